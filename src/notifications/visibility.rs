//! Who may see an event, decided again at every delivery: an opportunity that became a
//! draft, or a workspace an organisation has left, tells nobody who can no longer see it.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::auth::Caller;
use crate::authz::{self, Membership};
use crate::db::DbConn;
use crate::events::Event;
use crate::opportunities::model::Opportunity;
use crate::schema::{opportunities, organisations, users};
use crate::workspaces::model::Workspace;
use crate::workspaces::queries as ws_queries;

/// A person as the permission checks see them, if their account is active.
pub fn caller_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Caller>> {
    Ok(readers(conn, &[user_id])?
        .remove(&user_id)
        .map(|(caller, _)| caller))
}

/// A person, their organisation's name and slug, and their default delivery.
type ReaderRow = (i64, i64, String, String, String, String, String, String);

/// Active people as the permission checks see them, with their default delivery, loaded
/// together for a fan-out to many.
pub fn readers(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, (Caller, String)>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<ReaderRow> = users::table
            .inner_join(organisations::table)
            .filter(users::id.eq_any(chunk))
            .filter(users::status.eq("active"))
            .select((
                users::id,
                users::organisation_id,
                users::email,
                users::name,
                users::role,
                organisations::name,
                organisations::slug,
                users::default_delivery,
            ))
            .load(conn)?;
        for (user_id, organisation_id, email, name, role, org_name, org_slug, default) in rows {
            let caller = Caller {
                user_id,
                organisation_id,
                email,
                name,
                role,
                organisation_name: org_name,
                organisation_slug: org_slug,
                session_id: String::new(),
            };
            out.insert(user_id, (caller, default));
        }
    }
    Ok(out)
}

/// An organisation as a reader with no special role: what its webhooks may be told.
pub fn caller_for_organisation(conn: &mut DbConn, organisation_id: i64) -> QueryResult<Caller> {
    let (name, slug): (String, String) = organisations::table
        .find(organisation_id)
        .select((organisations::name, organisations::slug))
        .first(conn)?;
    Ok(Caller {
        user_id: 0,
        organisation_id,
        email: String::new(),
        name: name.clone(),
        role: crate::users::Role::Partner.as_str().to_string(),
        organisation_name: name,
        organisation_slug: slug,
        session_id: String::new(),
    })
}

/// Answers "may this reader see this event?" with what it has loaded kept for the next
/// question, so a fan-out to many people reads each workspace and opportunity once.
#[derive(Default)]
pub struct Sight {
    opportunities: HashMap<i64, Option<Opportunity>>,
    workspaces: HashMap<i64, Option<Workspace>>,
    memberships: HashMap<(i64, i64), Membership>,
}

impl Sight {
    /// Loads the opportunities these events are about in one query, so deciding on a long
    /// list of events does not ask the database once per event.
    pub fn preload(&mut self, conn: &mut DbConn, events: &[Event]) -> QueryResult<()> {
        let ids: Vec<i64> = events
            .iter()
            .filter_map(Event::opportunity_id)
            .filter(|id| !self.opportunities.contains_key(id))
            .collect();
        for chunk in ids.chunks(1000) {
            let found: Vec<Opportunity> = opportunities::table
                .filter(opportunities::id.eq_any(chunk))
                .select(Opportunity::as_select())
                .load(conn)?;
            for id in chunk {
                self.opportunities.insert(*id, None);
            }
            for o in found {
                self.opportunities.insert(o.id, Some(o));
            }
        }
        Ok(())
    }

    pub fn opportunity(&mut self, conn: &mut DbConn, id: i64) -> QueryResult<Option<Opportunity>> {
        if let Some(found) = self.opportunities.get(&id) {
            return Ok(found.clone());
        }
        let found = opportunities::table
            .find(id)
            .select(Opportunity::as_select())
            .first(conn)
            .optional()?;
        self.opportunities.insert(id, found.clone());
        Ok(found)
    }

    pub fn workspace(&mut self, conn: &mut DbConn, id: i64) -> QueryResult<Option<Workspace>> {
        if let Some(found) = self.workspaces.get(&id) {
            return Ok(found.clone());
        }
        let found = crate::schema::workspaces::table
            .find(id)
            .select(Workspace::as_select())
            .first(conn)
            .optional()?;
        self.workspaces.insert(id, found.clone());
        Ok(found)
    }

    fn membership(&mut self, conn: &mut DbConn, ws: i64, org: i64) -> QueryResult<Membership> {
        if let Some(found) = self.memberships.get(&(ws, org)) {
            return Ok(*found);
        }
        let found = ws_queries::membership(conn, ws, org)?;
        self.memberships.insert((ws, org), found);
        Ok(found)
    }

    pub fn can_see(
        &mut self,
        conn: &mut DbConn,
        reader: Option<&Caller>,
        event: &Event,
    ) -> QueryResult<bool> {
        if event.target_kind == "opportunity" {
            let Some(id) = event.opportunity_id() else {
                return Ok(false);
            };
            return Ok(match self.opportunity(conn, id)? {
                Some(o) => authz::view_opportunity(reader, &o).is_ok(),
                None => false,
            });
        }
        if let Some(ws_id) = event.workspace_id {
            let Some(ws) = self.workspace(conn, ws_id)? else {
                return Ok(false);
            };
            let membership = match reader {
                Some(c) => self.membership(conn, ws_id, c.organisation_id)?,
                None => None,
            };
            return Ok(authz::view_workspace(reader, &ws, membership).is_ok());
        }
        Ok(match event.visibility.as_str() {
            "public" => true,
            "partners" => reader.is_some(),
            "private" => reader.is_some_and(|c| Some(c.organisation_id) == event.organisation_id),
            _ => false,
        })
    }
}
