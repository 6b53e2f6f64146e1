//! Who may see an event, decided again at every delivery and every reading: an opportunity
//! that became a draft, or a workspace an organisation has left, tells nobody who can no
//! longer see it. An event is seen only by a reader who could open the page it links to and
//! see what is there, so every list, count, feed entry, email and label built from events
//! asks here.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::auth::Caller;
use crate::authz::{self, Membership};
use crate::db::DbConn;
use crate::events::Event;
use crate::identity::CallerRow;
use crate::opportunities::model::Opportunity;
use crate::schema::{events, opportunities, organisations, users};
use crate::workspaces::model::Workspace;
use crate::workspaces::queries as ws_queries;

/// What `map` holds for `key`, or else what `load` reads, kept in `map` for next time.
fn kept<K, V, F>(map: &mut HashMap<K, V>, key: K, load: F) -> QueryResult<V>
where
    K: std::hash::Hash + Eq,
    V: Clone,
    F: FnOnce() -> QueryResult<V>,
{
    if let Some(found) = map.get(&key) {
        return Ok(found.clone());
    }
    let found = load()?;
    map.insert(key, found.clone());
    Ok(found)
}

/// A person as the permission checks see them, if their account is active.
pub fn caller_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Caller>> {
    Ok(readers(conn, &[user_id])?
        .remove(&user_id)
        .map(|(caller, _)| caller))
}

/// Active people as the permission checks see them, with their default delivery, loaded
/// together for a fan-out to many.
pub fn readers(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, (Caller, String)>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(CallerRow, String)> = users::table
            .inner_join(organisations::table)
            .filter(users::id.eq_any(chunk))
            .filter(users::status.eq("active"))
            .select((CallerRow::as_select(), users::default_delivery))
            .load(conn)?;
        for (row, default) in rows {
            let caller = row.caller("");
            out.insert(caller.user_id, (caller, default));
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
        role: crate::identity::Role::Partner,
        organisation_name: name,
        organisation_slug: slug,
        session_id: String::new(),
    })
}

/// What an event is about, as the visibility rule needs it: an event without its payload,
/// so a whole inbox can be judged without reading every event's text.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Subject {
    pub organisation_id: Option<i64>,
    pub target_kind: String,
    pub target_id: String,
    pub workspace_id: Option<i64>,
    pub visibility: String,
}

impl Subject {
    fn opportunity_id(&self) -> Option<i64> {
        (self.target_kind == "opportunity")
            .then(|| self.target_id.parse().ok())
            .flatten()
    }
}

impl From<&Event> for Subject {
    fn from(event: &Event) -> Subject {
        Subject {
            organisation_id: event.organisation_id,
            target_kind: event.target_kind.clone(),
            target_id: event.target_id.clone(),
            workspace_id: event.workspace_id,
            visibility: event.visibility.clone(),
        }
    }
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
        let ids: Vec<i64> = events.iter().filter_map(Event::opportunity_id).collect();
        self.load_opportunities(conn, ids)
    }

    /// As `preload`, for subjects.
    pub fn preload_subjects(&mut self, conn: &mut DbConn, subjects: &[Subject]) -> QueryResult<()> {
        let ids: Vec<i64> = subjects
            .iter()
            .filter_map(Subject::opportunity_id)
            .collect();
        self.load_opportunities(conn, ids)
    }

    fn load_opportunities(&mut self, conn: &mut DbConn, mut ids: Vec<i64>) -> QueryResult<()> {
        ids.retain(|id| !self.opportunities.contains_key(id));
        ids.sort_unstable();
        ids.dedup();
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
        kept(&mut self.opportunities, id, || {
            opportunities::table
                .find(id)
                .select(Opportunity::as_select())
                .first(conn)
                .optional()
        })
    }

    pub fn workspace(&mut self, conn: &mut DbConn, id: i64) -> QueryResult<Option<Workspace>> {
        kept(&mut self.workspaces, id, || {
            crate::schema::workspaces::table
                .find(id)
                .select(Workspace::as_select())
                .first(conn)
                .optional()
        })
    }

    fn membership(&mut self, conn: &mut DbConn, ws: i64, org: i64) -> QueryResult<Membership> {
        kept(&mut self.memberships, (ws, org), || {
            ws_queries::membership(conn, ws, org)
        })
    }

    /// The opportunity, if this reader may see it now.
    pub fn visible_opportunity(
        &mut self,
        conn: &mut DbConn,
        reader: Option<&Caller>,
        id: i64,
    ) -> QueryResult<Option<Opportunity>> {
        let found = self.opportunity(conn, id)?;
        Ok(found.filter(|o| authz::view_opportunity(reader, o).is_ok()))
    }

    /// The workspace, if this reader may see it now.
    pub fn visible_workspace(
        &mut self,
        conn: &mut DbConn,
        reader: Option<&Caller>,
        id: i64,
    ) -> QueryResult<Option<Workspace>> {
        let Some(ws) = self.workspace(conn, id)? else {
            return Ok(None);
        };
        let membership = match reader {
            Some(c) => self.membership(conn, id, c.organisation_id)?,
            None => None,
        };
        Ok(authz::view_workspace(reader, &ws, membership)
            .is_ok()
            .then_some(ws))
    }

    pub fn can_see(
        &mut self,
        conn: &mut DbConn,
        reader: Option<&Caller>,
        event: &Event,
    ) -> QueryResult<bool> {
        self.can_see_subject(conn, reader, &Subject::from(event))
    }

    /// The rule, by what the event links to: an opportunity's page as the opportunity's
    /// visibility says; a review's pages only signed in (and a workspace's return only by
    /// those who see the workspace); a workspace's pages as the workspace's visibility says;
    /// anything else as the event was recorded. An event addressed to one organisation
    /// stays with it wherever it links.
    pub fn can_see_subject(
        &mut self,
        conn: &mut DbConn,
        reader: Option<&Caller>,
        subject: &Subject,
    ) -> QueryResult<bool> {
        if subject.visibility == "private"
            && reader.is_none_or(|c| Some(c.organisation_id) != subject.organisation_id)
        {
            return Ok(false);
        }
        if subject.target_kind == "opportunity" {
            return Ok(match subject.opportunity_id() {
                Some(id) => self.visible_opportunity(conn, reader, id)?.is_some(),
                None => false,
            });
        }
        // The review pages ask for a signed-in person whatever the workspace's visibility.
        if subject.target_kind == "review" && reader.is_none() {
            return Ok(false);
        }
        if let Some(ws_id) = subject.workspace_id {
            return Ok(self.visible_workspace(conn, reader, ws_id)?.is_some());
        }
        Ok(match subject.visibility.as_str() {
            "public" => true,
            "partners" | "private" => reader.is_some(),
            _ => false,
        })
    }
}
