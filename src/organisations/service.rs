//! Adding an organisation: validation, the row, its event and its audit entry together.

use serde_json::json;

use super::model::{parse_slug, slug_from_name, OrgKind};
use super::queries;
use crate::audit::{self, Entry};
use crate::auth::Caller;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::web::FieldErrors;

pub struct NewOrganisation {
    pub name: String,
    pub slug: String,
    pub kind: OrgKind,
}

impl NewOrganisation {
    /// Checks raw input; an empty slug is made from the name.
    pub fn parse(name: &str, slug: &str, kind: &str) -> Result<NewOrganisation, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.trim().to_string();
        if name.is_empty() {
            errors.add("name", "Enter the organisation's name");
        } else if crate::validate::has_control_characters(&name) {
            errors.add("name", crate::validate::CONTROL_CHARACTERS);
        } else if name.chars().count() > 120 {
            errors.add("name", "Name must be 120 characters or fewer");
        }
        let slug_input = if slug.trim().is_empty() {
            slug_from_name(&name)
        } else {
            slug.to_string()
        };
        let slug = errors.check("slug", parse_slug(&slug_input));
        let kind = errors.check(
            "kind",
            OrgKind::parse(kind).map_err(|_| "Select the kind of organisation"),
        );
        match (slug, kind) {
            (Some(slug), Some(kind)) if errors.is_empty() => {
                Ok(NewOrganisation { name, slug, kind })
            }
            _ => Err(errors),
        }
    }
}

pub fn create(
    conn: &mut DbConn,
    actor: &Caller,
    new: &NewOrganisation,
    ip: &str,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        if queries::find_by_slug(conn, &new.slug)?.is_some() {
            return Err(AppError::field(
                "slug",
                "An organisation with this short name already exists",
            ));
        }
        let id = queries::insert(conn, &new.name, &new.slug, new.kind)?;
        audit::record(
            conn,
            Entry::new("organisation.created")
                .actor(actor.user_id, actor.organisation_id)
                .target("organisation", id)
                .ip(ip)
                .details(json!({ "name": new.name, "slug": new.slug, "kind": new.kind.as_str() })),
        )?;
        events::emit(
            conn,
            NewEvent {
                kind: "organisation.created",
                actor_user_id: Some(actor.user_id),
                organisation_id: Some(id),
                target_kind: "organisation",
                target_id: id.to_string(),
                workspace_id: None,
                visibility: Visibility::Partners,
                payload: json!({ "name": new.name, "slug": new.slug }),
            },
        )?;
        Ok(id)
    })
}
