//! The route table. Every page, form and API operation is registered here once, by the slice
//! that serves it; the server, the OpenAPI document and the authorisation test all read the
//! same table.
//!
//! Pages and forms give their method and path. API operations give their `#[utoipa::path]`
//! description, which already holds the method and path, so the document cannot disagree
//! with what is served. Routes that share a path become one resource: a request with a
//! method the path does not serve answers 405 with `Allow`, `OPTIONS` answers 204 with the
//! same `Allow`, and `HEAD` is served wherever `GET` is (RFC 9110 §9.3.2). Resources are matched most specific first (a literal segment
//! before `name.{format}`, before `{id}`), so registration order does not matter.

use actix_web::dev::HttpServiceFactory;
use actix_web::http::{header, Method};
use actix_web::{guard, web, FromRequest, Handler, HttpResponse, Responder};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};

type Register = Box<dyn FnOnce(actix_web::Resource) -> actix_web::Resource>;

/// One route as the table lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    /// As actix writes it: `/workspaces/{slug}/actions/{id}`.
    pub path: String,
    /// Described in the OpenAPI document.
    pub api: bool,
}

struct Operated {
    path: String,
    methods: Vec<HttpMethod>,
    operation: Operation,
    schemas: Vec<(String, RefOr<Schema>)>,
}

/// The routes of the portal, filled by each slice's `routes(&mut Routes)`.
#[derive(Default)]
pub struct Routes {
    routes: Vec<(RouteInfo, Register)>,
    operations: Vec<Operated>,
}

impl Routes {
    /// A page or form: `GET` (and so `HEAD`) or `POST` at `path`.
    pub fn page<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(method, path, false, handler)
    }

    /// `GET path` (and `HEAD path`).
    pub fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.page(Method::GET, path, handler)
    }

    /// `POST path`.
    pub fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.page(Method::POST, path, handler)
    }

    /// An API operation: `described` is the struct `#[utoipa::path]` made for `handler`
    /// (`__path_<handler>`), which gives its method, path and schemas.
    pub fn api<P, F, Args>(&mut self, described: P, handler: F) -> &mut Self
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences,
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let _ = described;
        let path = P::path();
        let methods = P::methods();
        let mut schemas = Vec::new();
        P::schemas(&mut schemas);
        assert!(methods.len() == 1, "{path}: one method per API handler");
        let method = actix_method(&methods[0]);
        let operation = P::operation();
        // Generated clients name their functions after operation ids.
        assert!(
            !self
                .operations
                .iter()
                .any(|o| o.operation.operation_id == operation.operation_id),
            "{path}: operation id {:?} is used twice",
            operation.operation_id
        );
        self.operations.push(Operated {
            path: path.clone(),
            methods,
            operation,
            schemas,
        });
        self.add(method, &path, true, handler)
    }

    fn add<F, Args>(&mut self, method: Method, path: &str, api: bool, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let info = RouteInfo {
            method: method.clone(),
            path: path.to_string(),
            api,
        };
        assert!(
            !self.routes.iter().any(|(r, _)| *r == info),
            "{method} {path} is registered twice"
        );
        let register: Register = Box::new(move |resource: actix_web::Resource| {
            let route = if method == Method::GET {
                web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
            } else {
                web::route().method(method)
            };
            resource.route(route.to(handler))
        });
        self.routes.push((info, register));
        self
    }

    /// Every route, in the order the slices registered them.
    pub fn table(&self) -> Vec<RouteInfo> {
        self.routes.iter().map(|(info, _)| info.clone()).collect()
    }

    /// Adds the API operations and the schemas they name to `document`.
    pub fn describe(&self, document: &mut OpenApi) {
        let components = document.components.get_or_insert_with(Default::default);
        for op in &self.operations {
            document
                .paths
                .add_path_operation(&op.path, op.methods.clone(), op.operation.clone());
            components.schemas.extend(op.schemas.iter().cloned());
        }
    }

    /// The resources to mount, one per path, most specific first.
    pub fn into_services(self) -> Vec<impl HttpServiceFactory> {
        let mut paths: Vec<(String, Vec<Method>, Vec<Register>)> = Vec::new();
        for (info, register) in self.routes {
            match paths.iter_mut().find(|(p, ..)| *p == info.path) {
                Some((_, methods, registers)) => {
                    methods.push(info.method);
                    registers.push(register);
                }
                None => paths.push((info.path, vec![info.method], vec![register])),
            }
        }
        paths.sort_by_cached_key(|(path, ..)| specificity(path));
        paths
            .into_iter()
            .map(|(path, methods, registers)| {
                let allow = allow_header(&methods);
                let options = allow.clone();
                let resource = registers
                    .into_iter()
                    .fold(web::resource(path), |resource, register| register(resource));
                resource
                    .route(web::route().method(Method::OPTIONS).to(move || {
                        let allow = options.clone();
                        async move { answer_options(&allow) }
                    }))
                    .default_service(web::to(move || {
                        let allow = allow.clone();
                        async move { method_not_allowed(&allow) }
                    }))
            })
            .collect()
    }
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// The methods a path serves, as `Allow` lists them: `HEAD` beside `GET`, and `OPTIONS`.
fn allow_header(methods: &[Method]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for m in methods {
        names.push(m.as_str());
        if *m == Method::GET {
            names.push("HEAD");
        }
    }
    names.push("OPTIONS");
    names.join(", ")
}

/// `OPTIONS` on a path: what it serves (RFC 9110 §9.3.7).
fn answer_options(allow: &str) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ALLOW, allow))
        .finish()
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .finish()
}

/// Sorts paths so that a path is tried before any pattern that would also take it: segment
/// by segment, a literal before a segment that mixes text and a parameter, before a bare
/// parameter, before a parameter that may span segments.
fn specificity(path: &str) -> Vec<(u8, String)> {
    path.split('/')
        .map(|segment| {
            if !segment.contains('{') {
                (0, segment.to_string())
            } else if segment.contains(":.*") || segment.contains(":.+") {
                (3, String::new())
            } else if segment.starts_with('{') && segment.ends_with('}') {
                (2, String::new())
            } else {
                (1, segment.to_string())
            }
        })
        .collect()
}

/// For tests of the table: whether `concrete` (with `{placeholders}` of its own, or real
/// values) is a request to the route `pattern`.
pub fn matches(pattern: &str, concrete: &str) -> bool {
    let (p, c): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), concrete.split('/').collect());
    for (i, segment) in p.iter().enumerate() {
        let Some(value) = c.get(i) else {
            return false;
        };
        match specificity(segment)[0].0 {
            0 if segment != value => return false,
            1 => {
                let (before, rest) = segment.split_once('{').unwrap_or_default();
                let after = rest.split_once('}').map(|(_, a)| a).unwrap_or_default();
                let fits = value.len() > before.len() + after.len()
                    && value.starts_with(before)
                    && value.ends_with(after);
                if !fits {
                    return false;
                }
            }
            3 => return true,
            _ => {}
        }
    }
    p.len() == c.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_come_before_patterns_that_would_take_them() {
        let mut paths = vec![
            "/opportunities/{id}",
            "/opportunities/export.{format}",
            "/opportunities/new",
            "/assets/{file:.*}",
            "/assets/site.css",
        ];
        paths.sort_by_cached_key(|p| specificity(p));
        assert_eq!(
            paths,
            [
                "/assets/site.css",
                "/assets/{file:.*}",
                "/opportunities/new",
                "/opportunities/export.{format}",
                "/opportunities/{id}",
            ]
        );
    }

    #[test]
    fn a_concrete_path_matches_its_pattern_only() {
        assert!(matches(
            "/workspaces/{slug}/actions/{id}",
            "/workspaces/{pub}/actions/{a}"
        ));
        assert!(matches(
            "/opportunities/export.{format}",
            "/opportunities/export.csv"
        ));
        assert!(!matches(
            "/opportunities/export.{format}",
            "/opportunities/7"
        ));
        assert!(!matches("/workspaces/{slug}", "/workspaces/{pub}/edit"));
        assert!(matches("/assets/{file:.*}", "/assets/fonts/a.woff2"));
        assert_eq!(
            allow_header(&[Method::GET, Method::POST]),
            "GET, HEAD, POST, OPTIONS"
        );
    }
}
