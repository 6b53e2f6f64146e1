//! The OpenAPI document: the API operations of the route table, as their `#[utoipa::path]`
//! annotations describe them, with the security scheme and the answers every operation may
//! give.

use actix_web::{web, HttpResponse};

use crate::web::routes::Routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Metro Portal API", description = "The Derby–Nottingham Metro collaboration portal."),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "auth", description = "Tokens and the signed-in caller"),
        (name = "organisations", description = "Organisations and their people"),
        (name = "reviews", description = "Quarterly reviews, returns and sign-off"),
        (name = "dashboard", description = "Joint progress for leaders"),
        (name = "notifications", description = "Following workspaces, the register and opportunities; the inbox"),
        (name = "opportunities", description = "The shared-services opportunity register"),
        (name = "workspaces", description = "Theme and programme workspaces: members, updates, actions, milestones, outcomes, measures and readings"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Answers any operation may give, added where an operation does not describe them itself:
/// a malformed request, a missing or bad token, a refusal, something invisible, too large,
/// too many attempts, and the database briefly unavailable. All are `Problem`s.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        const COMMON: &[(&str, &str)] = &[
            ("400", "The request is malformed (JSON, query or form)"),
            ("401", "No token, or a token that is not valid"),
            ("403", "Not allowed for this caller"),
            ("404", "Not found, or not visible to this caller"),
            ("413", "The request body is too large"),
            ("429", "Too many attempts; see Retry-After"),
            ("503", "Briefly unavailable; see Retry-After"),
        ];
        let problem = || {
            ResponseBuilder::new().content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (code, description) in COMMON {
                    operation
                        .responses
                        .responses
                        .entry((*code).to_string())
                        .or_insert_with(|| RefOr::T(problem().description(*description).build()));
                }
            }
        }
    }
}

pub async fn openapi_json(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(document.0.clone())
}

/// The document as served, made once at start-up.
pub struct Document(pub actix_web::web::Bytes);

impl Document {
    pub fn of(routes: &Routes) -> Document {
        let document = describe(routes);
        Document(serde_json::to_vec(&document).unwrap_or_default().into())
    }
}

/// The document for the API operations of `routes`.
pub fn describe(routes: &Routes) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    routes.describe(&mut document);
    BearerAuth.modify(&mut document);
    CommonAnswers.modify(&mut document);
    document
}
