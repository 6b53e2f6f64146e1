//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Metro Portal API", description = "The Derby–Nottingham Metro collaboration portal."),
    paths(
        crate::auth::api::issue_token,
        crate::auth::api::revoke_token,
        crate::auth::api::me,
        crate::organisations::api::list,
        crate::organisations::api::create,
        crate::users::api::list,
        crate::users::api::invite,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Tokens and the signed-in caller"),
        (name = "organisations", description = "Organisations and their people"),
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

#[get("/api/v1/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
