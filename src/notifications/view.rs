//! An event as people read it: in the inbox, in emails, in feeds and webhooks. Only events
//! the reader may see (`visibility::Sight`) are put in words, and an opportunity is named
//! as it is now, not as the event recorded it: what it was called while it was a draft is
//! not for those who could not see it then.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use super::visibility::Sight;
use crate::db::{rfc3339, DbConn};
use crate::events::Event;

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

/// The words and link for `event`, reading its workspace through `sight`.
pub fn view(conn: &mut DbConn, sight: &mut Sight, event: &Event) -> diesel::QueryResult<EventView> {
    let payload = event.payload();
    if event.target_kind == "review" {
        let place = match event
            .workspace_id
            .map(|id| sight.workspace(conn, id))
            .transpose()?
            .flatten()
        {
            Some(ws) => format!("Quarterly review – {}", ws.name),
            None => "Quarterly review".to_string(),
        };
        return Ok(EventView {
            id: event.id,
            kind: event.kind.clone(),
            label: label(&event.kind).to_string(),
            title: text(&payload, "title"),
            place,
            group_key: format!("review:{}", event.target_id),
            path: format!("/reviews/{}", event.target_id),
            actor: text(&payload, "actor"),
            organisation: text(&payload, "organisation"),
            when: when(event.created_at),
            at: rfc3339(event.created_at),
            created_at: event.created_at,
        });
    }
    let current = event
        .opportunity_id()
        .map(|id| sight.opportunity(conn, id))
        .transpose()?
        .flatten();
    let (place, group_key, path) = match event.opportunity_id() {
        Some(id) => (
            current
                .as_ref()
                .map(|o| format!("{} {}", o.reference, o.title))
                .unwrap_or_default(),
            format!("opportunity:{id}"),
            format!("/opportunities/{id}"),
        ),
        None => match event.workspace_id {
            Some(ws_id) => {
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
                (name, format!("workspace:{ws_id}"), path)
            }
            None => (String::new(), "other".into(), "/".into()),
        },
    };
    // A move says where to: "Moved to Business case".
    let moved_to = (event.kind == "opportunity.moved")
        .then(|| payload["details"]["to"].as_str())
        .flatten()
        .and_then(|s| crate::opportunities::model::Stage::parse(s).ok());
    let label = match moved_to {
        Some(stage) => format!("Moved to {}", stage.label()),
        None => label(&event.kind).to_string(),
    };
    // Older kinds name their subject as "name", or only a role.
    let title = match (event.opportunity_id(), &current) {
        (Some(_), found) => found.as_ref().map(|o| o.title.clone()).unwrap_or_default(),
        (None, _) => [
            text(&payload, "title"),
            text(&payload, "name"),
            text(&payload, "role"),
        ]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_default(),
    };
    Ok(EventView {
        id: event.id,
        kind: event.kind.clone(),
        label,
        title,
        place,
        group_key,
        path,
        actor: text(&payload, "actor"),
        organisation: text(&payload, "organisation"),
        when: when(event.created_at),
        at: rfc3339(event.created_at),
        created_at: event.created_at,
    })
}
