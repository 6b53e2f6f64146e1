//! An event as people read it: in the inbox, in emails, in feeds and webhooks. Only events
//! the reader may see (`visibility::Sight`) are put in words, and an opportunity is named
//! as it is now, not as the event recorded it: what it was called while it was a draft is
//! not for those who could not see it then.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde::Serialize;
use serde_json::Value;

use super::visibility::Sight;
use crate::db::{rfc3339, DbConn};
use crate::events::Event;
use crate::opportunities::model::Opportunity;

/// What happened, in words, with a link.
#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    /// "New update", "Moved to a new stage", …
    pub label: String,
    pub title: String,
    /// Where it happened: a workspace's name or an opportunity's reference.
    pub place: String,
    /// The workspace or opportunity it belongs to, for grouping digests.
    pub group_key: String,
    pub path: String,
    pub actor: String,
    pub organisation: String,
    pub when: String,
    pub at: String,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
}

pub fn label(kind: &str) -> &'static str {
    match kind {
        "workspace.created" => "New workspace",
        "workspace.updated" => "Workspace details changed",
        "workspace.archived" => "Workspace archived",
        "workspace.restored" => "Workspace restored",
        "workspace.member_added" => "Organisation joined",
        "workspace.member_changed" => "Membership changed",
        "workspace.member_removed" => "Organisation left",
        "post.created" => "New update",
        "post.edited" => "Update edited",
        "comment.created" => "New comment",
        "action.created" => "New action",
        "action.updated" => "Action changed",
        "action.rag_changed" => "RAG status changed",
        "milestone.created" => "New milestone",
        "milestone.completed" => "Milestone completed",
        "outcome.created" => "New outcome",
        "measure.created" => "New measure",
        "reading.recorded" => "New reading",
        "opportunity.created" => "New opportunity",
        "opportunity.updated" => "Opportunity changed",
        "opportunity.moved" => "Moved to a new stage",
        "opportunity.saving_added" => "Saving recorded",
        "opportunity.barrier_added" => "Barrier raised",
        "opportunity.barrier_updated" => "Barrier changed",
        "opportunity.commented" => "New comment",
        "opportunity.interest_registered" => "A partner wants in",
        "opportunity.interest_withdrawn" => "A partner withdrew interest",
        "review.opened" => "Quarterly review opened",
        "review.submitted" => "Quarterly return submitted",
        "review.returned" => "Quarterly return sent back",
        "review.reminder" => "Quarterly return due",
        "review.signed_off" => "Quarterly review signed off",
        "organisation.created" => "Organisation added",
        "user.invited" => "Someone was invited",
        "user.joined" => "Someone joined",
        _ => "Activity",
    }
}

/// Every event kind, for choosing what a webhook receives.
pub const KINDS: &[&str] = &[
    "workspace.created",
    "workspace.updated",
    "workspace.archived",
    "workspace.restored",
    "workspace.member_added",
    "workspace.member_changed",
    "workspace.member_removed",
    "post.created",
    "post.edited",
    "comment.created",
    "action.created",
    "action.updated",
    "action.rag_changed",
    "milestone.created",
    "milestone.completed",
    "outcome.created",
    "measure.created",
    "reading.recorded",
    "opportunity.created",
    "opportunity.updated",
    "opportunity.moved",
    "opportunity.saving_added",
    "opportunity.barrier_added",
    "opportunity.barrier_updated",
    "opportunity.commented",
    "opportunity.interest_registered",
    "opportunity.interest_withdrawn",
    "review.opened",
    "review.submitted",
    "review.signed_off",
];

fn text(payload: &Value, key: &str) -> String {
    payload
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub fn when(at: NaiveDateTime) -> String {
    at.format("%-d %B %Y, %H:%M").to_string()
}

/// Where an event happened, the key that groups it in digests, and its link.
struct Place {
    place: String,
    group_key: String,
    path: String,
}

/// A quarterly review's event: the review, named by its workspace.
fn review_place(conn: &mut DbConn, sight: &mut Sight, event: &Event) -> QueryResult<Place> {
    let workspace = match event.workspace_id {
        Some(id) => sight.workspace(conn, id)?,
        None => None,
    };
    Ok(Place {
        place: match workspace {
            Some(ws) => format!("Quarterly review – {}", ws.name),
            None => "Quarterly review".to_string(),
        },
        group_key: format!("review:{}", event.target_id),
        path: format!("/reviews/{}", event.target_id),
    })
}

/// A workspace's event: the workspace, with a link to the thing inside it.
fn workspace_place(
    conn: &mut DbConn,
    sight: &mut Sight,
    event: &Event,
    ws_id: i64,
) -> QueryResult<Place> {
    let ws = sight.workspace(conn, ws_id)?;
    let (name, slug) = ws.map(|w| (w.name, w.slug)).unwrap_or_default();
    let base = format!("/workspaces/{slug}");
    let path = match event.target_kind.as_str() {
        "post" => format!("{base}/updates/{}", event.target_id),
        "action" => format!("{base}/actions/{}", event.target_id),
        "measure" => format!("{base}/measures/{}", event.target_id),
        "outcome" => format!("{base}/outcomes"),
        _ => base,
    };
    Ok(Place {
        place: name,
        group_key: format!("workspace:{ws_id}"),
        path,
    })
}

/// Where any other event happened: its opportunity (as it is now), its workspace, or nowhere.
fn place(
    conn: &mut DbConn,
    sight: &mut Sight,
    event: &Event,
    current: Option<&Opportunity>,
) -> QueryResult<Place> {
    if let Some(id) = event.opportunity_id() {
        return Ok(Place {
            place: current
                .map(|o| format!("{} {}", o.reference, o.title))
                .unwrap_or_default(),
            group_key: format!("opportunity:{id}"),
            path: format!("/opportunities/{id}"),
        });
    }
    match event.workspace_id {
        Some(ws_id) => workspace_place(conn, sight, event, ws_id),
        None => Ok(Place {
            place: String::new(),
            group_key: "other".into(),
            path: "/".into(),
        }),
    }
}

/// The event's label; a move says where to: "Moved to Business case".
fn headline(event: &Event, payload: &Value) -> String {
    let moved_to = (event.kind == "opportunity.moved")
        .then(|| payload["details"]["to"].as_str())
        .flatten()
        .and_then(|s| crate::opportunities::model::Stage::parse(s).ok());
    match moved_to {
        Some(stage) => format!("Moved to {}", stage.label()),
        None => label(&event.kind).to_string(),
    }
}

/// What the event is about: an opportunity's title as it is now; older kinds name their
/// subject as "name", or only a role.
fn subject(event: &Event, payload: &Value, current: Option<&Opportunity>) -> String {
    if event.opportunity_id().is_some() {
        return current.map(|o| o.title.clone()).unwrap_or_default();
    }
    ["title", "name", "role"]
        .into_iter()
        .map(|key| text(payload, key))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// The words and link for `event`, reading its workspace through `sight`.
pub fn view(conn: &mut DbConn, sight: &mut Sight, event: &Event) -> QueryResult<EventView> {
    let payload = event.payload();
    let (at, label, title) = if event.target_kind == "review" {
        let at = review_place(conn, sight, event)?;
        (at, label(&event.kind).to_string(), text(&payload, "title"))
    } else {
        let current = match event.opportunity_id() {
            Some(id) => sight.opportunity(conn, id)?,
            None => None,
        };
        let at = place(conn, sight, event, current.as_ref())?;
        let title = subject(event, &payload, current.as_ref());
        (at, headline(event, &payload), title)
    };
    Ok(EventView {
        id: event.id,
        kind: event.kind.clone(),
        label,
        title,
        place: at.place,
        group_key: at.group_key,
        path: at.path,
        actor: text(&payload, "actor"),
        organisation: text(&payload, "organisation"),
        when: when(event.created_at),
        at: rfc3339(event.created_at),
        created_at: event.created_at,
    })
}
