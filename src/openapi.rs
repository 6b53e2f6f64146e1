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

/// Every operation of the document.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
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
        for operation in operations(openapi) {
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
    RequestText.modify(&mut document);
    RequiredToCreate.modify(&mut document);
    document
}

/// Bodies that one schema describes for both a POST and a PATCH: what the POST (a new one)
/// cannot do without. In the document, the POST's body is that schema with these required
/// and filled in.
const REQUIRED_TO_CREATE: &[(&str, &[&str])] = &[
    (
        "/api/v1/opportunities/{id}/barriers",
        &["category", "description", "severity"],
    ),
    (
        "/api/v1/workspaces/{slug}/actions",
        &["title", "owner_organisation_id"],
    ),
];

struct RequiredToCreate;

impl Modify for RequiredToCreate {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{AllOfBuilder, Schema};
        use utoipa::openapi::RefOr;
        for (path, fields) in REQUIRED_TO_CREATE {
            let body = openapi
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.post.as_mut())
                .and_then(|post| post.request_body.as_mut());
            let Some(body) = body else {
                continue;
            };
            for content in body.content.values_mut() {
                let Some(RefOr::Ref(base)) = content.schema.clone() else {
                    continue;
                };
                let properties: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|f| {
                        (
                            (*f).to_string(),
                            // Any value but null.
                            serde_json::json!({
                                "type": ["string", "number", "integer", "boolean", "array", "object"]
                            }),
                        )
                    })
                    .collect();
                let needed: Schema = serde_json::from_value(serde_json::json!({
                    "type": "object",
                    "required": fields,
                    "properties": properties,
                }))
                .expect("a valid schema");
                content.schema = Some(RefOr::T(Schema::AllOf(
                    AllOfBuilder::new().item(base).item(needed).build(),
                )));
            }
        }
    }
}

/// Text the portal takes holds no control characters but line breaks and tabs
/// (`validate::has_control_characters`); text it requires holds more than white space.
const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
const FILLED_TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*\
    [^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Says of every free-text field a request sends (JSON bodies and query strings) what the
/// checks take, so that a client generated from the document sends only what is accepted:
/// no control characters, and something other than white space where the field is required.
struct RequestText;

impl Modify for RequestText {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::RefOr;
        let mut bodies = std::collections::BTreeSet::new();
        for operation in operations(openapi) {
            for parameter in operation.parameters.iter_mut().flatten() {
                if parameter.parameter_in == ParameterIn::Query {
                    if let Some(RefOr::T(schema)) = parameter.schema.as_mut() {
                        constrain_text(schema, false);
                    }
                }
            }
            let contents = operation
                .request_body
                .iter()
                .flat_map(|b| b.content.values());
            for schema in contents.filter_map(|c| c.schema.as_ref()) {
                if let RefOr::Ref(r) = schema {
                    bodies.insert(
                        r.ref_location
                            .trim_start_matches("#/components/schemas/")
                            .to_string(),
                    );
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        // And every schema those name, however deep (flattened parts, items of lists).
        let mut named: Vec<String> = bodies.iter().cloned().collect();
        while let Some(name) = named.pop() {
            let Some(schema) = components.schemas.get(&name) else {
                continue;
            };
            let mut refs = Vec::new();
            references(&serde_json::to_value(schema).unwrap_or_default(), &mut refs);
            for r in refs {
                if bodies.insert(r.clone()) {
                    named.push(r);
                }
            }
        }
        for name in bodies {
            if let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(object))) =
                components.schemas.get_mut(&name)
            {
                let required = object.required.clone();
                for (field, property) in object.properties.iter_mut() {
                    no_default(property);
                    let required = required.contains(field);
                    if required {
                        not_null(property);
                    }
                    if let RefOr::T(schema) = property {
                        constrain_text(schema, required);
                    }
                }
                add_conditions(object, &name);
            }
        }
    }
}

/// What a request leaves out is described in words (the Rust default of a field, such as
/// an empty text or 0, is not a value the field takes).
fn no_default(property: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;
    match property {
        RefOr::T(Schema::Object(object)) => object.default = None,
        RefOr::T(Schema::OneOf(one_of)) => one_of.default = None,
        RefOr::T(Schema::AllOf(all_of)) => all_of.default = None,
        _ => {}
    }
}

/// The component schemas a schema names by `$ref`.
fn references(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => {
                        found.push(r.trim_start_matches("#/components/schemas/").to_string())
                    }
                    _ => references(v, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

/// A required field must be given a value: `null` is not one (the checks answer it as if the
/// field were left out).
fn not_null(property: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;
    match property {
        RefOr::T(Schema::Object(object)) => {
            if let SchemaType::Array(types) = &object.schema_type {
                let types: Vec<Type> = types
                    .iter()
                    .filter(|t| **t != Type::Null)
                    .cloned()
                    .collect();
                object.schema_type = match types.as_slice() {
                    [one] => SchemaType::Type(one.clone()),
                    _ => SchemaType::Array(types),
                };
            }
        }
        RefOr::T(Schema::OneOf(one_of)) => {
            let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
            one_of.items.retain(|s| !is_null(s));
            if one_of.items.len() == 1 {
                *property = one_of.items.remove(0);
            }
        }
        _ => {}
    }
}

/// Rules across fields that the checks keep, as JSON Schema `if` / `then`: declining an
/// opportunity needs a reason, so does an action that is red or amber; following a
/// workspace or an opportunity names it; an organisation's follow has each member's own
/// delivery.
fn conditions(schema: &str) -> Vec<serde_json::Value> {
    use serde_json::json;
    let filled = |field: &str| json!({ "properties": { field: { "type": "string", "pattern": FILLED_TEXT } }, "required": [field] });
    let when = |field: &str, values: &[&str]| json!({ "properties": { field: { "enum": values } }, "required": [field] });
    match schema {
        "TransitionRequest" => {
            vec![json!({ "if": when("to", &["declined"]), "then": filled("note") })]
        }
        "ActionRequest" => {
            vec![json!({ "if": when("rag", &["red", "amber"]), "then": filled("rag_reason") })]
        }
        "FollowInput" => vec![
            json!({ "if": when("target", &["workspace"]), "then": filled("workspace") }),
            json!({ "if": when("target", &["opportunity"]), "then": filled("opportunity") }),
            json!({
                "if": when("scope", &["organisation"]),
                "then": { "properties": { "delivery": { "enum": ["", "default"] } } }
            }),
        ],
        _ => Vec::new(),
    }
}

fn add_conditions(object: &mut utoipa::openapi::schema::Object, name: &str) {
    let rules = conditions(name);
    if !rules.is_empty() {
        let extensions = object.extensions.get_or_insert_with(Default::default);
        extensions.insert("allOf".into(), serde_json::Value::Array(rules));
    }
}

/// A free-text string schema (no enum, format or pattern of its own) gets the text rule:
/// the filled-in one where the field is required or may not be empty (`min_length`).
fn constrain_text(schema: &mut utoipa::openapi::schema::Schema, required: bool) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    let Schema::Object(object) = schema else {
        return;
    };
    let is_string = match &object.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    if !is_string
        || object.enum_values.is_some()
        || object.format.is_some()
        || object.pattern.is_some()
    {
        return;
    }
    let filled = required || object.min_length.is_some_and(|n| n > 0);
    object.pattern = Some(if filled { FILLED_TEXT } else { TEXT }.to_string());
}
