//! Reading and writing workspace data. Every lookup of an item is scoped to its workspace,
//! so an id from another workspace answers "not found".

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::model::*;
use crate::auth::Caller;
use crate::authz;
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::schema::{
    actions, comments, events, measures, milestones, organisations, outcomes, posts, readings,
    users, workspace_members, workspaces,
};
use crate::web::{Paged, Paging};

/// A workspace as one caller sees it.
#[derive(Clone, Debug)]
pub struct Access {
    pub ws: Workspace,
    pub membership: authz::Membership,
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Workspace> {
    workspaces::table
        .filter(workspaces::slug.eq(slug))
        .select(Workspace::as_select())
        .first(conn)
}

pub fn membership(
    conn: &mut DbConn,
    workspace_id: i64,
    organisation_id: i64,
) -> QueryResult<authz::Membership> {
    workspace_members::table
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .filter(workspace_members::organisation_id.eq(organisation_id))
        .select(workspace_members::role)
        .first(conn)
        .optional()
}

/// The workspace behind `slug` if the caller may see it; 404 otherwise.
pub fn load(conn: &mut DbConn, slug: &str, caller: Option<&Caller>) -> AppResult<Access> {
    let ws = find_by_slug(conn, slug)?;
    let membership = match caller {
        Some(c) => membership(conn, ws.id, c.organisation_id)?,
        None => None,
    };
    authz::view_workspace(caller, &ws, membership)?;
    Ok(Access { ws, membership })
}

/// Every workspace the caller may see, active ones first, by name.
pub fn list_visible(conn: &mut DbConn, caller: Option<&Caller>) -> QueryResult<Vec<Access>> {
    let all: Vec<Workspace> = workspaces::table
        .select(Workspace::as_select())
        .order((
            workspaces::archived_at.is_not_null(),
            workspaces::name.asc(),
        ))
        .load(conn)?;
    let mine: HashMap<i64, MemberRole> = match caller {
        Some(c) => workspace_members::table
            .filter(workspace_members::organisation_id.eq(c.organisation_id))
            .select((workspace_members::workspace_id, workspace_members::role))
            .load::<(i64, MemberRole)>(conn)?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    };
    Ok(all
        .into_iter()
        .map(|ws| {
            let membership = mine.get(&ws.id).copied();
            Access { ws, membership }
        })
        .filter(|a| authz::view_workspace(caller, &a.ws, a.membership).is_ok())
        .collect())
}

#[derive(Clone, Debug, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub organisation_id: i64,
    pub organisation: String,
    pub role: MemberRole,
}

pub fn members(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<MemberView>> {
    members_in(workspace_id).load(conn)
}

type MemberColumns = (
    organisations::id,
    organisations::name,
    workspace_members::role,
);

/// A workspace's members in the order every list shows them.
fn members_in<'a>(
    workspace_id: i64,
) -> diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<
        diesel::dsl::InnerJoin<workspace_members::table, organisations::table>,
        MemberColumns,
    >,
    crate::db::MultiBackend,
> {
    workspace_members::table
        .inner_join(organisations::table)
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .select((
            organisations::id,
            organisations::name,
            workspace_members::role,
        ))
        .into_boxed()
        .order((
            workspace_members::role.eq("lead").desc(),
            workspace_members::role.eq("member").desc(),
            organisations::name.asc(),
        ))
}

/// Adds an organisation or changes its role. Returns whether it was new.
pub fn set_member(
    conn: &mut DbConn,
    workspace_id: i64,
    organisation_id: i64,
    role: MemberRole,
) -> QueryResult<bool> {
    let updated = diesel::update(
        workspace_members::table
            .filter(workspace_members::workspace_id.eq(workspace_id))
            .filter(workspace_members::organisation_id.eq(organisation_id)),
    )
    .set(workspace_members::role.eq(role))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(workspace_members::table)
            .values((
                workspace_members::workspace_id.eq(workspace_id),
                workspace_members::organisation_id.eq(organisation_id),
                workspace_members::role.eq(role),
                workspace_members::created_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(updated == 0)
}

pub fn remove_member(
    conn: &mut DbConn,
    workspace_id: i64,
    organisation_id: i64,
) -> QueryResult<usize> {
    diesel::delete(
        workspace_members::table
            .filter(workspace_members::workspace_id.eq(workspace_id))
            .filter(workspace_members::organisation_id.eq(organisation_id)),
    )
    .execute(conn)
}

/// An item with the names of who wrote it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Authored<T> {
    #[serde(flatten)]
    pub item: T,
    pub author: String,
    pub organisation: String,
}

pub fn posts_page(
    conn: &mut DbConn,
    workspace_id: i64,
    paging: Paging,
) -> QueryResult<(Vec<Authored<Post>>, i64)> {
    let total: i64 = posts::table
        .filter(posts::workspace_id.eq(workspace_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<(Post, String, String)> = posts::table
        .inner_join(users::table)
        .inner_join(organisations::table.on(organisations::id.eq(posts::organisation_id)))
        .filter(posts::workspace_id.eq(workspace_id))
        .order((posts::created_at.desc(), posts::id.desc()))
        .limit(paging.per_page)
        .offset(paging.offset())
        .select((Post::as_select(), users::name, organisations::name))
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|(item, author, organisation)| Authored {
                item,
                author,
                organisation,
            })
            .collect(),
        total,
    ))
}

pub fn find_post(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<Authored<Post>> {
    let (item, author, organisation) = posts::table
        .inner_join(users::table)
        .inner_join(organisations::table.on(organisations::id.eq(posts::organisation_id)))
        .filter(posts::workspace_id.eq(workspace_id))
        .filter(posts::id.eq(id))
        .select((Post::as_select(), users::name, organisations::name))
        .first(conn)?;
    Ok(Authored {
        item,
        author,
        organisation,
    })
}

pub fn comments_for(conn: &mut DbConn, post_id: i64) -> QueryResult<Vec<Authored<Comment>>> {
    let rows: Vec<(Comment, String, String)> = comments::table
        .inner_join(users::table)
        .inner_join(organisations::table.on(organisations::id.eq(comments::organisation_id)))
        .filter(comments::post_id.eq(post_id))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select((Comment::as_select(), users::name, organisations::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(item, author, organisation)| Authored {
            item,
            author,
            organisation,
        })
        .collect())
}

/// An action with the names of its owners.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ActionView {
    #[serde(flatten)]
    pub action: Action,
    pub owner_organisation: String,
    pub owner_person: Option<String>,
}

fn action_views(conn: &mut DbConn, list: Vec<Action>) -> QueryResult<Vec<ActionView>> {
    let org_ids: Vec<i64> = list.iter().map(|a| a.owner_organisation_id).collect();
    let user_ids: Vec<i64> = list.iter().filter_map(|a| a.owner_user_id).collect();
    let orgs: HashMap<i64, String> = organisations::table
        .filter(organisations::id.eq_any(&org_ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let people: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(list
        .into_iter()
        .map(|action| ActionView {
            owner_organisation: orgs
                .get(&action.owner_organisation_id)
                .cloned()
                .unwrap_or_default(),
            owner_person: action.owner_user_id.and_then(|id| people.get(&id).cloned()),
            action,
        })
        .collect())
}

/// Which actions a list shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct ActionFilter {
    pub rag: Option<Rag>,
    /// Only actions not done or cancelled.
    pub open: bool,
    /// Only open actions past their due date.
    pub overdue: bool,
    /// Only actions owned by this organisation.
    pub owner: Option<i64>,
}

/// Actions by due date (undated last), as `filter` narrows them.
pub fn actions_page(
    conn: &mut DbConn,
    workspace_id: i64,
    filter: &ActionFilter,
    paging: Paging,
) -> QueryResult<(Vec<ActionView>, i64)> {
    let closed = [
        ActionStatus::Done.as_str(),
        ActionStatus::Cancelled.as_str(),
    ];
    let today = now().date();
    macro_rules! narrowed {
        () => {{
            let mut q = actions::table
                .filter(actions::workspace_id.eq(workspace_id))
                .into_boxed();
            if let Some(rag) = filter.rag {
                q = q.filter(actions::rag.eq(rag.as_str()));
            }
            if filter.open || filter.overdue {
                q = q.filter(actions::status.ne_all(closed));
            }
            if filter.overdue {
                q = q.filter(actions::due_date.lt(today));
            }
            if let Some(owner) = filter.owner {
                q = q.filter(actions::owner_organisation_id.eq(owner));
            }
            q
        }};
    }
    let total: i64 = narrowed!().count().get_result(conn)?;
    let list: Vec<Action> = narrowed!()
        .order((
            actions::due_date.is_null(),
            actions::due_date.asc(),
            actions::id.asc(),
        ))
        .limit(paging.per_page)
        .offset(paging.offset())
        .select(Action::as_select())
        .load(conn)?;
    Ok((action_views(conn, list)?, total))
}

/// Every action of the workspace, by due date (those with none last).
pub fn actions_of(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<Action>> {
    actions::table
        .filter(actions::workspace_id.eq(workspace_id))
        .order((
            actions::due_date.is_null(),
            actions::due_date.asc(),
            actions::id.asc(),
        ))
        .select(Action::as_select())
        .load(conn)
}

pub fn all_actions(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Vec<ActionView>> {
    let list = actions_of(conn, workspace_id)?;
    action_views(conn, list)
}

pub fn find_action(conn: &mut DbConn, workspace_id: i64, id: i64) -> QueryResult<ActionView> {
    let action = actions::table
        .filter(actions::workspace_id.eq(workspace_id))
        .filter(actions::id.eq(id))
        .select(Action::as_select())
        .first(conn)?;
    Ok(action_views(conn, vec![action])?.remove(0))
}

/// Defines `fn $name(conn, parent_id) -> QueryResult<Vec<$model>>`: every row of `$table`
/// whose `$parent` column is `parent_id`, in `$order`. With `/ $page`, also `$page`: one page
/// of the same rows in the same order, in SQL (see `children_page!`).
#[macro_export]
macro_rules! children_list {
    ($(#[$doc:meta])* $name:ident $(/ $page:ident)?, $table:ident, $parent:ident, $model:ty, $order:expr) => {
        $(#[$doc])*
        pub fn $name(
            conn: &mut $crate::db::DbConn,
            parent_id: i64,
        ) -> diesel::QueryResult<Vec<$model>> {
            $table::table
                .filter($table::$parent.eq(parent_id))
                .order($order)
                .select(<$model>::as_select())
                .load(conn)
        }
        $($crate::children_page!($page, $table, $parent, $model, $order);)?
    };
}

/// Defines `fn $name(conn, parent_id, id) -> QueryResult<$model>`: the row `id` of `$table`
/// whose `$parent` column is `parent_id`, or not found (also when it belongs to another).
#[macro_export]
macro_rules! child_row {
    ($(#[$doc:meta])* $name:ident, $table:ident, $parent:ident, $model:ty) => {
        $(#[$doc])*
        pub fn $name(
            conn: &mut $crate::db::DbConn,
            parent_id: i64,
            id: i64,
        ) -> diesel::QueryResult<$model> {
            $table::table
                .filter($table::$parent.eq(parent_id))
                .filter($table::id.eq(id))
                .select(<$model>::as_select())
                .first(conn)
        }
    };
}

crate::children_list!(
    milestones_for / milestones_page,
    milestones,
    action_id,
    Milestone,
    (milestones::due_date.asc(), milestones::id.asc())
);
crate::children_list!(
    outcomes_for / outcomes_page,
    outcomes,
    workspace_id,
    Outcome,
    outcomes::id.asc()
);
crate::children_list!(
    measures_for / measures_page,
    measures,
    workspace_id,
    Measure,
    (measures::outcome_id.asc(), measures::id.asc())
);
crate::children_page!(
    readings_page,
    readings,
    measure_id,
    Reading,
    (readings::year.asc(), readings::quarter.asc())
);
crate::children_page!(
    comments_page,
    comments,
    post_id,
    Comment,
    (comments::created_at.asc(), comments::id.asc())
);

/// A page of a workspace's member organisations: leads, then members, then observers, each
/// by name.
pub fn members_page(
    conn: &mut DbConn,
    workspace_id: i64,
    paging: Paging,
) -> QueryResult<Paged<MemberView>> {
    let total = workspace_members::table
        .filter(workspace_members::workspace_id.eq(workspace_id))
        .count()
        .get_result(conn)?;
    let items = members_in(workspace_id)
        .limit(paging.per_page)
        .offset(paging.offset())
        .load(conn)?;
    Ok(Paged::of(items, paging, total))
}

/// A milestone with its action, both within the workspace.
pub fn find_milestone(
    conn: &mut DbConn,
    workspace_id: i64,
    id: i64,
) -> QueryResult<(Milestone, Action)> {
    milestones::table
        .inner_join(actions::table)
        .filter(actions::workspace_id.eq(workspace_id))
        .filter(milestones::id.eq(id))
        .select((Milestone::as_select(), Action::as_select()))
        .first(conn)
}

/// Open milestones of the workspace due before `before`, soonest first, with their action's title.
pub fn open_milestones(
    conn: &mut DbConn,
    workspace_id: i64,
    before: NaiveDate,
) -> QueryResult<Vec<(Milestone, String)>> {
    milestones::table
        .inner_join(actions::table)
        .filter(actions::workspace_id.eq(workspace_id))
        .filter(milestones::done_date.is_null())
        .filter(milestones::due_date.lt(before))
        .order(milestones::due_date.asc())
        .select((Milestone::as_select(), actions::title))
        .load(conn)
}

crate::child_row!(find_outcome, outcomes, workspace_id, Outcome);

crate::child_row!(find_measure, measures, workspace_id, Measure);

/// Readings of the given measures, oldest quarter first.
pub fn readings_for(conn: &mut DbConn, measure_ids: &[i64]) -> QueryResult<Vec<Reading>> {
    readings::table
        .filter(readings::measure_id.eq_any(measure_ids))
        .order((readings::year.asc(), readings::quarter.asc()))
        .select(Reading::as_select())
        .load(conn)
}

/// Records a quarter's reading, replacing one already recorded for that quarter.
pub fn set_reading(
    conn: &mut DbConn,
    measure_id: i64,
    quarter: Quarter,
    value: f64,
    note: &str,
    user_id: i64,
) -> QueryResult<i64> {
    let existing: Option<i64> = readings::table
        .filter(readings::measure_id.eq(measure_id))
        .filter(readings::year.eq(quarter.year))
        .filter(readings::quarter.eq(quarter.quarter))
        .select(readings::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(readings::table.find(id))
                .set((
                    readings::value.eq(value),
                    readings::note.eq(note),
                    readings::recorded_by.eq(user_id),
                ))
                .execute(conn)?;
            Ok(id)
        }
        None => diesel::insert_into(readings::table)
            .values((
                readings::measure_id.eq(measure_id),
                readings::year.eq(quarter.year),
                readings::quarter.eq(quarter.quarter),
                readings::value.eq(value),
                readings::note.eq(note),
                readings::recorded_by.eq(user_id),
                readings::created_at.eq(now()),
            ))
            .returning(readings::id)
            .get_result(conn),
    }
}

/// The newest events of a workspace that `reader` may see: (kind, payload JSON, when).
/// Each is judged by the one rule for events (`notifications::visibility`), so an entry
/// whose page needs sign-in (a quarterly return, say) is not shown to a signed-out reader.
pub fn activity(
    conn: &mut DbConn,
    workspace_id: i64,
    reader: Option<&crate::auth::Caller>,
    limit: i64,
) -> QueryResult<Vec<(String, String, chrono::NaiveDateTime)>> {
    // Only the workspace's own events: opportunities linked to a theme have their own
    // visibility (drafts among them) and are shown through the register.
    let recent: Vec<crate::events::Event> = events::table
        .filter(events::workspace_id.eq(workspace_id))
        .filter(events::target_kind.ne("opportunity"))
        .filter(events::visibility.ne_all(["draft", "private"]))
        .order(events::id.desc())
        .limit(limit * 4)
        .select(crate::events::Event::as_select())
        .load(conn)?;
    let mut sight = crate::notifications::visibility::Sight::default();
    let mut shown = Vec::new();
    for event in recent {
        if shown.len() as i64 == limit {
            break;
        }
        if sight.can_see(conn, reader, &event)? {
            shown.push((event.kind, event.payload, event.created_at));
        }
    }
    Ok(shown)
}
