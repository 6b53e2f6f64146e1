//! The one place that answers "may this caller see or do this?". Handlers call these
//! before acting. A refusal about something the caller may not even know exists answers
//! 404 (`visible: false`); a refusal about something they can see answers 403.

use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::auth::Caller;
use crate::db::MultiBackend;
use crate::error::{AppError, AppResult};
use crate::opportunities::model::{Opportunity, OpportunityVisibility};
use crate::reviews::model::Review;
use crate::schema::opportunities;
use crate::users::{Role, User};
use crate::workspaces::model::{MemberRole, Workspace};

fn deny(action: &'static str) -> AppError {
    AppError::Denied {
        visible: false,
        action,
    }
}

fn refuse(action: &'static str) -> AppError {
    AppError::Denied {
        visible: true,
        action,
    }
}

fn is_platform_admin(caller: &Caller) -> bool {
    caller.role() == Role::PlatformAdmin
}

fn is_admin_of(caller: &Caller, organisation_id: i64) -> bool {
    is_platform_admin(caller)
        || (caller.role() == Role::OrgAdmin && caller.organisation_id == organisation_id)
}

/// The admin area exists only for organisation and platform admins.
pub fn use_admin_area(caller: &Caller) -> AppResult<()> {
    match caller.role() {
        Role::PlatformAdmin | Role::OrgAdmin => Ok(()),
        _ => Err(deny("admin.view")),
    }
}

/// Listing and adding organisations.
pub fn manage_organisations(caller: &Caller) -> AppResult<()> {
    if is_platform_admin(caller) {
        Ok(())
    } else {
        Err(deny("organisation.manage"))
    }
}

/// Seeing an organisation's people: its own admins and platform admins.
pub fn view_org_users(caller: &Caller, organisation_id: i64) -> AppResult<()> {
    if is_admin_of(caller, organisation_id) {
        Ok(())
    } else {
        Err(deny("organisation.users.view"))
    }
}

/// Inviting into an organisation, with a role an invitation may carry.
pub fn invite(caller: &Caller, organisation_id: i64, role: Role) -> AppResult<()> {
    view_org_users(caller, organisation_id)?;
    if role == Role::PlatformAdmin {
        return Err(refuse("organisation.users.invite_platform_admin"));
    }
    Ok(())
}

/// Disabling or re-enabling someone: an admin of their organisation, never oneself.
pub fn manage_user(caller: &Caller, target: &User) -> AppResult<()> {
    view_org_users(caller, target.organisation_id)?;
    if target.id == caller.user_id {
        return Err(refuse("user.manage_self"));
    }
    if target.role() == Role::PlatformAdmin && !is_platform_admin(caller) {
        return Err(refuse("user.manage_platform_admin"));
    }
    Ok(())
}

/// The roles an invitation from this caller may carry, for the invite form.
pub fn invitable_roles(_caller: &Caller) -> Vec<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|r| *r != Role::PlatformAdmin)
        .collect()
}

/// What the caller's organisation is in a workspace, if anything.
pub type Membership = Option<crate::workspaces::model::MemberRole>;

/// Seeing a workspace and everything in it. Invisible workspaces answer 404.
pub fn view_workspace(
    caller: Option<&Caller>,
    ws: &Workspace,
    membership: Membership,
) -> AppResult<()> {
    let visible = match ws.visibility.as_str() {
        "public" => true,
        "partners" => caller.is_some(),
        _ => caller.is_some_and(is_platform_admin) || membership.is_some(),
    };
    if visible {
        Ok(())
    } else {
        Err(deny("workspace.view"))
    }
}

/// Adding workspaces, editing their summaries, archiving them.
pub fn manage_workspaces(caller: &Caller) -> AppResult<()> {
    if is_platform_admin(caller) {
        Ok(())
    } else {
        Err(refuse("workspace.manage"))
    }
}

/// A workspace's own pages for adding workspaces: invisible to anyone else.
pub fn create_workspace(caller: &Caller) -> AppResult<()> {
    if is_platform_admin(caller) {
        Ok(())
    } else {
        Err(deny("workspace.create"))
    }
}

fn writable(ws: &Workspace, action: &'static str) -> AppResult<()> {
    if ws.is_archived() {
        Err(refuse(action))
    } else {
        Ok(())
    }
}

/// Leads (their staff, leaders and admins) manage who is a member.
pub fn manage_members(caller: &Caller, ws: &Workspace, membership: Membership) -> AppResult<()> {
    writable(ws, "workspace.members.archived")?;
    let lead = membership == Some(MemberRole::Lead) && caller.role() != Role::Partner;
    if is_platform_admin(caller) || lead {
        Ok(())
    } else {
        Err(refuse("workspace.members.manage"))
    }
}

/// Posting updates and adding actions, outcomes, measures and readings: lead and member
/// organisations.
pub fn contribute(caller: &Caller, ws: &Workspace, membership: Membership) -> AppResult<()> {
    writable(ws, "workspace.archived")?;
    if is_platform_admin(caller)
        || matches!(membership, Some(MemberRole::Lead | MemberRole::Member))
    {
        Ok(())
    } else {
        Err(refuse("workspace.contribute"))
    }
}

/// Commenting: any organisation in the workspace, observers too.
pub fn comment(caller: &Caller, ws: &Workspace, membership: Membership) -> AppResult<()> {
    writable(ws, "workspace.archived")?;
    if is_platform_admin(caller) || membership.is_some() {
        Ok(())
    } else {
        Err(refuse("workspace.comment"))
    }
}

/// Editing an update: its author or a lead.
pub fn edit_post(
    caller: &Caller,
    ws: &Workspace,
    membership: Membership,
    author_user_id: i64,
) -> AppResult<()> {
    writable(ws, "workspace.archived")?;
    // An author whose organisation has left (or only observes) no longer edits.
    let contributor = matches!(membership, Some(MemberRole::Lead | MemberRole::Member));
    if is_platform_admin(caller)
        || membership == Some(MemberRole::Lead)
        || (contributor && caller.user_id == author_user_id)
    {
        Ok(())
    } else {
        Err(refuse("post.edit"))
    }
}

/// Changing an action (status, RAG, milestones): a lead, or the owning organisation.
pub fn edit_action(
    caller: &Caller,
    ws: &Workspace,
    membership: Membership,
    owner_organisation_id: i64,
) -> AppResult<()> {
    writable(ws, "workspace.archived")?;
    let contributor = matches!(membership, Some(MemberRole::Lead | MemberRole::Member));
    let owner = caller.organisation_id == owner_organisation_id && contributor;
    if is_platform_admin(caller) || membership == Some(MemberRole::Lead) || owner {
        Ok(())
    } else {
        Err(refuse("action.edit"))
    }
}

/// Seeing an opportunity: drafts only inside the lead organisation (everyone else, platform
/// admins too, gets 404), partnership ones when signed in, public ones by anyone.
pub fn view_opportunity(caller: Option<&Caller>, opportunity: &Opportunity) -> AppResult<()> {
    let visible = match opportunity.visibility {
        OpportunityVisibility::Public => true,
        OpportunityVisibility::Partnership => caller.is_some(),
        OpportunityVisibility::Draft => {
            caller.is_some_and(|c| c.organisation_id == opportunity.lead_organisation_id)
        }
    };
    if visible {
        Ok(())
    } else {
        Err(deny("opportunity.view"))
    }
}

/// A condition over `opportunities` in a query whose rows come from `QS`.
pub type OpportunityCondition<QS> = Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>>;

/// The rule of `view_opportunity` as a condition over `opportunities`, for every list, count
/// and total of the register (its pages, the API, exports, the dashboard): none of them can
/// count what the opportunity's own page would not show the caller.
pub fn visible_opportunities<QS>(caller: Option<&Caller>) -> OpportunityCondition<QS>
where
    opportunities::visibility: SelectableExpression<QS>,
    opportunities::lead_organisation_id: SelectableExpression<QS>,
{
    match caller {
        None => Box::new(opportunities::visibility.eq(OpportunityVisibility::Public)),
        Some(c) => Box::new(
            opportunities::visibility
                .ne(OpportunityVisibility::Draft)
                .or(opportunities::lead_organisation_id.eq(c.organisation_id)),
        ),
    }
}

/// What the whole partnership can see, whoever asks: every opportunity that is not a draft.
/// The quarterly review's figures are the partnership's, so no viewer's own drafts are in
/// them.
pub fn partnership_opportunities<QS>() -> OpportunityCondition<QS>
where
    opportunities::visibility: SelectableExpression<QS>,
{
    Box::new(opportunities::visibility.ne(OpportunityVisibility::Draft))
}

fn lead_staff(caller: &Caller, opportunity: &Opportunity) -> bool {
    caller.organisation_id == opportunity.lead_organisation_id && manages_own(caller)
}

/// Staff, leaders and org admins manage their own organisation's opportunities; partners
/// (and platform admins, who lead none) do not.
fn manages_own(caller: &Caller) -> bool {
    matches!(caller.role(), Role::OrgAdmin | Role::Leader | Role::Staff)
}

/// Placing an organisation's own opportunities at a stage other than "idea", as an import
/// of its register does: the same people who may move them later.
pub fn place_own_opportunities(caller: &Caller) -> AppResult<()> {
    if manages_own(caller) {
        Ok(())
    } else {
        Err(refuse("opportunity.manage"))
    }
}

/// Editing, moving through the pipeline, savings and barriers: staff and leaders of the
/// lead organisation. Others may comment and propose a move.
pub fn manage_opportunity(caller: &Caller, opportunity: &Opportunity) -> AppResult<()> {
    if lead_staff(caller, opportunity) {
        Ok(())
    } else {
        Err(refuse("opportunity.manage"))
    }
}

/// Logging an idea: anyone signed in, for their own organisation.
pub fn log_opportunity(caller: &Caller) -> AppResult<()> {
    match caller.role() {
        Role::PlatformAdmin => Err(refuse("opportunity.create")),
        _ => Ok(()),
    }
}

/// "We want in": organisations other than the lead.
pub fn register_interest(caller: &Caller, opportunity: &Opportunity) -> AppResult<()> {
    if caller.organisation_id != opportunity.lead_organisation_id
        && caller.role() != Role::PlatformAdmin
    {
        Ok(())
    } else {
        Err(refuse("opportunity.interest"))
    }
}

fn org_admin_of(caller: &Caller, organisation_id: i64) -> bool {
    caller.organisation_id == organisation_id
        && matches!(caller.role(), Role::OrgAdmin | Role::PlatformAdmin)
}

/// Following for the whole organisation, and its webhooks: that organisation's admins.
/// Its other members may see that these exist; other organisations may not.
pub fn manage_org_notifications(caller: &Caller, organisation_id: i64) -> AppResult<()> {
    if org_admin_of(caller, organisation_id) {
        Ok(())
    } else if caller.organisation_id == organisation_id {
        Err(refuse("notifications.organisation.manage"))
    } else {
        Err(deny("notifications.organisation.manage"))
    }
}

/// Changing or ending a subscription: one's own, or an organisation's by its admins.
pub fn manage_subscription(
    caller: &Caller,
    organisation_id: i64,
    user_id: Option<i64>,
) -> AppResult<()> {
    match user_id {
        Some(owner) if owner == caller.user_id => Ok(()),
        Some(_) => Err(deny("subscription.manage")),
        None => manage_org_notifications(caller, organisation_id),
    }
}

/// Opting out of (or back into) an organisation subscription: its members.
pub fn opt_out(caller: &Caller, organisation_id: i64, user_id: Option<i64>) -> AppResult<()> {
    if caller.organisation_id != organisation_id {
        return Err(deny("subscription.opt_out"));
    }
    match user_id {
        None => Ok(()),
        Some(owner) if owner == caller.user_id => Err(refuse("subscription.opt_out_own")),
        Some(_) => Err(deny("subscription.opt_out")),
    }
}

/// A notification is its recipient's alone.
pub fn read_notification(caller: &Caller, recipient_user_id: i64) -> AppResult<()> {
    if caller.user_id == recipient_user_id {
        Ok(())
    } else {
        Err(deny("notification.read"))
    }
}

/// The job queue's health page: platform admins.
pub fn view_queue(caller: &Caller) -> AppResult<()> {
    if is_platform_admin(caller) {
        Ok(())
    } else {
        Err(deny("jobs.view"))
    }
}

/// Opening a quarterly review: leaders and platform admins. The review then belongs to
/// the opener's organisation. Everyone signed in may read reviews.
pub fn open_review(caller: &Caller) -> AppResult<()> {
    match caller.role() {
        Role::Leader | Role::PlatformAdmin => Ok(()),
        _ => Err(refuse("review.open")),
    }
}

/// A review is run by the organisation that opened it (the programme office or a lead
/// council), not by every leader of every partner: only its leaders, and platform admins.
fn runs_review(caller: &Caller, review: &Review) -> bool {
    is_platform_admin(caller)
        || (caller.role() == Role::Leader && caller.organisation_id == review.organisation_id)
}

/// Sending a workspace's return back: those who run the review. Everyone else who can
/// see the review reads it.
pub fn send_back_return(caller: &Caller, review: &Review) -> AppResult<()> {
    if runs_review(caller, review) {
        Ok(())
    } else {
        Err(refuse("review.send_back"))
    }
}

/// Signing a review off, which freezes it: those who run the review.
pub fn sign_off_review(caller: &Caller, review: &Review) -> AppResult<()> {
    if runs_review(caller, review) {
        Ok(())
    } else {
        Err(refuse("review.sign_off"))
    }
}

/// A workspace's return for a review: staff, leaders and admins of its lead organisations.
pub fn submit_review(caller: &Caller, membership: Membership) -> AppResult<()> {
    let staff = matches!(caller.role(), Role::OrgAdmin | Role::Leader | Role::Staff);
    if staff && membership == Some(MemberRole::Lead) {
        Ok(())
    } else {
        Err(refuse("review.submit"))
    }
}

/// Searching the audit log: platform admins.
pub fn search_audit(caller: &Caller) -> AppResult<()> {
    if is_platform_admin(caller) {
        Ok(())
    } else {
        Err(deny("audit.search"))
    }
}
