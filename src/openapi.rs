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
        crate::workspaces::api::list,
        crate::workspaces::api::create,
        crate::workspaces::api::show,
        crate::workspaces::api::update,
        crate::workspaces::api::list_members,
        crate::workspaces::api::set_member,
        crate::workspaces::api::remove_member,
        crate::workspaces::api::list_posts,
        crate::workspaces::api::create_post,
        crate::workspaces::api::show_post,
        crate::workspaces::api::update_post,
        crate::workspaces::api::list_comments,
        crate::workspaces::api::create_comment,
        crate::workspaces::api::list_actions,
        crate::workspaces::api::create_action,
        crate::workspaces::api::show_action,
        crate::workspaces::api::update_action,
        crate::workspaces::api::list_milestones,
        crate::workspaces::api::create_milestone,
        crate::workspaces::api::complete_milestone,
        crate::workspaces::api::list_outcomes,
        crate::workspaces::api::create_outcome,
        crate::workspaces::api::list_measures,
        crate::workspaces::api::create_measure,
        crate::workspaces::api::show_measure,
        crate::workspaces::api::list_readings,
        crate::workspaces::api::create_reading,
        crate::opportunities::api::list,
        crate::opportunities::export::api_export,
        crate::opportunities::upload::api_import,
        crate::opportunities::api::create,
        crate::opportunities::api::show,
        crate::opportunities::api::update,
        crate::opportunities::api::transitions,
        crate::opportunities::api::create_transition,
        crate::opportunities::api::savings,
        crate::opportunities::api::create_saving,
        crate::opportunities::api::barriers,
        crate::opportunities::api::create_barrier,
        crate::opportunities::api::update_barrier,
        crate::opportunities::api::endorsements,
        crate::opportunities::api::create_endorsement,
        crate::opportunities::api::delete_endorsement,
        crate::opportunities::api::comments,
        crate::opportunities::api::create_comment,
        crate::notifications::api::list_subscriptions,
        crate::notifications::api::create_subscription,
        crate::notifications::api::update_subscription,
        crate::notifications::api::delete_subscription,
        crate::notifications::api::list_notifications,
        crate::notifications::api::mark_all_read,
        crate::notifications::api::mark_read,
        crate::dashboard::api::dashboard,
        crate::reviews::api::list,
        crate::reviews::api::open,
        crate::reviews::api::show,
        crate::reviews::api::submissions,
        crate::reviews::api::submit,
        crate::reviews::api::send_back,
        crate::reviews::api::sign_off,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth, &CommonAnswers),
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

#[get("/api/v1/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
