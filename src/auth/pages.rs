//! Sign in, sign out, your account, password reset and accepting an invitation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::device;
use super::login::{self, Attempt};
use super::passwords::check_new_password;
use super::sessions::{self, SessionKind};
use super::tokens::{hash_token, new_secret_token};
use super::CurrentUser;
use crate::audit::{self, Entry};
use crate::db::{now, write_tx, DbConn};
use crate::email;
use crate::error::{AppError, AppResult};
use crate::events::{self, NewEvent, Visibility};
use crate::schema::password_resets;
use crate::state::AppState;
use crate::users::{self, invitations, model::parse_name, queries::NewUser, Role};
use crate::web::{
    redirect, redirect_with_flash, safe_next, FieldErrors, Form, NoFields, Page, Titled,
};
use diesel::prelude::*;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

pub async fn login_page(page: Page, query: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if page.user.is_some() {
        return Ok(redirect(&next));
    }
    page.render("auth/login", LoginView::new(&next, ""))
}

/// The sign-in page.
#[derive(Serialize)]
struct LoginView<'a> {
    title: &'static str,
    next: &'a str,
    email: &'a str,
    errors: Option<FieldErrors>,
}

impl<'a> LoginView<'a> {
    fn new(next: &'a str, email: &'a str) -> LoginView<'a> {
        LoginView {
            title: "Sign in",
            next,
            email,
            errors: None,
        }
    }
}

pub async fn login_submit(page: Page, form: Form<LoginForm>) -> AppResult<HttpResponse> {
    let form = form.0;
    let next = safe_next(Some(&form.next));
    let mut errors = FieldErrors::default();
    if form.email.trim().is_empty() {
        errors.add("email", "Enter your email address");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    let render_error = |status: StatusCode, errors: FieldErrors| {
        page.render_status(
            status,
            "auth/login",
            LoginView {
                errors: Some(errors),
                ..LoginView::new(&next, &form.email)
            },
        )
    };
    if !errors.is_empty() {
        return render_error(StatusCode::UNPROCESSABLE_ENTITY, errors);
    }
    let state = page.state();
    let attempt = Attempt {
        email: form.email.clone(),
        password: form.password.clone(),
        ip: state.client_ip(page.request()),
        user_agent: AppState::user_agent(page.request()),
        kind: SessionKind::Web,
        device: device::presented(state, page.request()),
    };
    match login::sign_in(state, attempt).await {
        Ok(signed_in) => {
            let mut response = redirect(&next);
            let _ = response.add_cookie(&state.cookie("session", signed_in.token));
            // Kept after sign-out: it marks this browser as the person's own next time.
            let _ = response.add_cookie(&device::cookie(state, signed_in.device_token));
            Ok(response)
        }
        Err(AppError::InvalidCredentials) => {
            errors.add("email", "Enter a correct email address and password");
            render_error(StatusCode::UNAUTHORIZED, errors)
        }
        Err(AppError::TooManyRequests { message, .. }) => {
            errors.add("email", message);
            render_error(StatusCode::TOO_MANY_REQUESTS, errors)
        }
        Err(other) => Err(other),
    }
}

pub async fn logout_page(page: Page) -> AppResult<HttpResponse> {
    if page.user.is_none() {
        return Ok(redirect("/"));
    }
    page.render("auth/logout", Titled { title: "Sign out" })
}

pub async fn logout_submit(page: Page, _form: Form<NoFields>) -> AppResult<HttpResponse> {
    let state = page.state();
    if let Some(user) = page.user.clone() {
        let ip = state.client_ip(page.request());
        state
            .db
            .run(move |conn| sessions::sign_out(conn, &user, "sign_out", &ip))
            .await?;
    }
    let mut response = redirect_with_flash(state, "/", "You have signed out");
    let _ = response.add_cookie(&state.removal_cookie("session"));
    Ok(response)
}

#[derive(Serialize)]
struct AccountView {
    title: &'static str,
    name: String,
    email: String,
    organisation: String,
    role: &'static str,
}

pub async fn account_page(page: Page, user: CurrentUser) -> AppResult<HttpResponse> {
    let user = user.0;
    page.render(
        "auth/account",
        AccountView {
            title: "Your account",
            role: user.role().label(),
            name: user.name,
            email: user.email,
            organisation: user.organisation_name,
        },
    )
}

pub async fn sign_out_everywhere(
    page: Page,
    user: CurrentUser,
    _form: Form<NoFields>,
) -> AppResult<HttpResponse> {
    let state = page.state();
    let user = user.0;
    let ip = state.client_ip(page.request());
    state
        .db
        .write(move |conn| {
            let ended = users::queries::revoke_all_sessions(conn, user.user_id)?;
            audit::record(
                conn,
                Entry::new("sign_out.everywhere")
                    .actor(user.user_id, user.organisation_id)
                    .target("user", user.user_id)
                    .ip(&ip)
                    .details(json!({ "sessions_ended": ended })),
            )?;
            Ok(())
        })
        .await?;
    let mut response =
        redirect_with_flash(state, "/login", "You have been signed out on every device");
    let _ = response.add_cookie(&state.removal_cookie("session"));
    Ok(response)
}

/// Reset emails one account may be sent in an hour.
const MAX_RESETS_PER_HOUR: i64 = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    email: String,
}

pub async fn reset_request_page(page: Page) -> AppResult<HttpResponse> {
    page.render("auth/password_reset_request", ResetRequestView::default())
}

/// The page asking for the address a reset link goes to.
#[derive(Serialize)]
struct ResetRequestView<'a> {
    title: &'static str,
    email: &'a str,
    errors: Option<FieldErrors>,
}

impl Default for ResetRequestView<'_> {
    fn default() -> Self {
        ResetRequestView {
            title: "Reset your password",
            email: "",
            errors: None,
        }
    }
}

pub async fn reset_request_submit(
    page: Page,
    form: Form<ResetRequestForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", users::model::parse_email(&form.0.email)) else {
        return page.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/password_reset_request",
            ResetRequestView {
                email: &form.0.email,
                errors: Some(errors),
                ..Default::default()
            },
        );
    };
    let state = page.state();
    let ip = state.client_ip(page.request());
    let (templates, settings) = (state.templates.clone(), state.settings.clone());
    let sent = state
        .db
        .write(move |conn| {
            let Some(user) = users::queries::find_by_email(conn, &email)?.filter(|u| u.is_active()) else {
                return Ok(false);
            };
            let recent: i64 = password_resets::table
                .filter(password_resets::user_id.eq(user.id))
                .filter(password_resets::created_at.gt(now() - Duration::hours(1)))
                .count()
                .get_result(conn)?;
            if recent >= MAX_RESETS_PER_HOUR {
                // Silently: the answer must not tell whether the account exists.
                return Ok(false);
            }
            let (token, token_hash) = new_secret_token();
            let expires_at = now() + Duration::minutes(settings.security.password_reset_minutes);
            diesel::insert_into(password_resets::table)
                .values((
                    password_resets::user_id.eq(user.id),
                    password_resets::token_hash.eq(&token_hash),
                    password_resets::created_at.eq(now()),
                    password_resets::expires_at.eq(expires_at),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                Entry::new("password_reset.requested").target("user", user.id).ip(&ip),
            )?;
            let link = format!("{}/password-reset/{token}", settings.base_url());
            email::enqueue(
                conn,
                &templates,
                &settings,
                &user.email,
                "password_reset",
                &json!({ "name": user.name, "link": link, "minutes": settings.security.password_reset_minutes }),
            )?;
            Ok(true)
        })
        .await?;
    if sent {
        state.jobs.wake();
    }
    // The same answer whether or not the account exists.
    page.render(
        "auth/password_reset_sent",
        Titled {
            title: "Check your email",
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    password: String,
    confirm: String,
}

fn check_password_pair(errors: &mut FieldErrors, form: &NewPasswordForm) {
    if let Err(message) = check_new_password(&form.password) {
        errors.add("password", message);
    } else if form.password != form.confirm {
        errors.add("confirm", "The passwords do not match");
    }
}

fn usable_reset(conn: &mut crate::db::DbConn, token: &str) -> QueryResult<Option<(i64, i64)>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(hash_token(token)))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now()))
        .select((password_resets::id, password_resets::user_id))
        .first(conn)
        .optional()
}

fn link_expired() -> AppError {
    AppError::BadRequest(
        "This link has expired or has already been used. Ask for a new one.".into(),
    )
}

/// The form to choose a new password, from a reset link.
#[derive(Serialize)]
struct ResetView {
    title: &'static str,
    token: String,
    errors: Option<FieldErrors>,
}

pub async fn reset_page(page: Page, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let probe = token.clone();
    let usable = page
        .state()
        .db
        .run(move |conn| Ok(usable_reset(conn, &probe)?))
        .await?;
    if usable.is_none() {
        return Err(link_expired());
    }
    page.render(
        "auth/password_reset",
        ResetView {
            title: "Choose a new password",
            token,
            errors: None,
        },
    )
}

pub async fn reset_submit(
    page: Page,
    token: web::Path<String>,
    form: Form<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let mut errors = FieldErrors::default();
    check_password_pair(&mut errors, &form.0);
    if !errors.is_empty() {
        return page.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/password_reset",
            ResetView {
                title: "Choose a new password",
                token,
                errors: Some(errors),
            },
        );
    }
    let state = page.state();
    // A dead link costs no password hash.
    let probe = token.clone();
    if state
        .db
        .run(move |conn| Ok(usable_reset(conn, &probe)?))
        .await?
        .is_none()
    {
        return Err(link_expired());
    }
    let hash = state.hasher.hash(form.0.password.clone()).await?;
    let ip = state.client_ip(page.request());
    state
        .db
        .write(move |conn| {
            let Some((reset_id, user_id)) = usable_reset(conn, &token)? else {
                return Err(link_expired());
            };
            // Claimed only if still unused: two submits at once cannot both win.
            let claimed = diesel::update(
                password_resets::table
                    .find(reset_id)
                    .filter(password_resets::used_at.is_null())
                    .filter(password_resets::expires_at.gt(now())),
            )
            .set(password_resets::used_at.eq(Some(now())))
            .execute(conn)?;
            if claimed != 1 {
                return Err(link_expired());
            }
            // Any other reset links the person was sent stop working too.
            diesel::update(
                password_resets::table
                    .filter(password_resets::user_id.eq(user_id))
                    .filter(password_resets::used_at.is_null()),
            )
            .set(password_resets::used_at.eq(Some(now())))
            .execute(conn)?;
            users::queries::set_password_hash(conn, user_id, &hash)?;
            users::queries::revoke_all_sessions(conn, user_id)?;
            audit::record(
                conn,
                Entry::new("password_reset.completed")
                    .target("user", user_id)
                    .ip(&ip),
            )?;
            Ok(())
        })
        .await?;
    Ok(redirect_with_flash(
        state,
        "/login",
        "Your password has been changed. Sign in with your new password.",
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    name: String,
    password: String,
    confirm: String,
}

async fn load_invitation(
    state: &AppState,
    token: &str,
) -> AppResult<(invitations::Invitation, String)> {
    let token_hash = hash_token(token);
    state
        .db
        .run(move |conn| {
            let invitation =
                invitations::find_usable(conn, &token_hash)?.ok_or_else(link_expired)?;
            let org = crate::organisations::queries::find(conn, invitation.organisation_id)?;
            Ok((invitation, org.name))
        })
        .await
}

pub async fn invitation_page(page: Page, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let (invitation, org_name) = load_invitation(page.state(), &token).await?;
    page.render(
        "auth/invitation",
        InvitationView::new(&token, &invitation, &org_name),
    )
}

/// The page where an invited person chooses their name and password.
#[derive(Serialize)]
struct InvitationView {
    title: &'static str,
    token: String,
    email: String,
    organisation: String,
    role: Option<&'static str>,
    /// What was typed, when the form comes back with errors.
    name: String,
    errors: Option<FieldErrors>,
}

impl InvitationView {
    fn new(token: &str, invitation: &invitations::Invitation, org_name: &str) -> InvitationView {
        InvitationView {
            title: "Join Metro Portal",
            token: token.into(),
            email: invitation.email.clone(),
            organisation: org_name.into(),
            role: Role::parse(&invitation.role).map(Role::label).ok(),
            name: String::new(),
            errors: None,
        }
    }
}

/// Accepts an invitation: the account in the invited organisation with the invited role,
/// audited, and the event that tells the organisation's followers.
fn accept(
    conn: &mut DbConn,
    invitation: &invitations::Invitation,
    name: &str,
    hash: &str,
    ip: &str,
) -> AppResult<()> {
    if invitations::mark_accepted(conn, invitation.id)? == 0 {
        return Err(link_expired());
    }
    if users::queries::email_taken(conn, &invitation.email)? {
        return Err(AppError::Conflict(
            "An account with this email address already exists. Sign in instead.".into(),
        ));
    }
    let role = Role::parse(&invitation.role).map_err(|_| link_expired())?;
    let user_id = users::queries::insert(
        conn,
        &NewUser {
            organisation_id: invitation.organisation_id,
            email: &invitation.email,
            name,
            role,
            password_hash: hash,
        },
    )?;
    audit::record(
        conn,
        Entry::new("invitation.accepted")
            .actor(user_id, invitation.organisation_id)
            .target("invitation", invitation.id)
            .ip(ip),
    )?;
    events::emit(
        conn,
        NewEvent {
            kind: "user.joined",
            actor_user_id: Some(user_id),
            organisation_id: Some(invitation.organisation_id),
            target_kind: "user",
            target_id: user_id.to_string(),
            workspace_id: None,
            visibility: Visibility::Private,
            payload: json!({ "name": name, "role": role.as_str() }),
        },
    )?;
    Ok(())
}

pub async fn invitation_submit(
    page: Page,
    token: web::Path<String>,
    form: Form<AcceptForm>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let state = page.state();
    let (invitation, org_name) = load_invitation(state, &token).await?;
    let form = form.0;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_name(&form.name));
    check_password_pair(
        &mut errors,
        &NewPasswordForm {
            password: form.password.clone(),
            confirm: form.confirm.clone(),
        },
    );
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        let view = InvitationView {
            name: form.name,
            errors: Some(errors),
            ..InvitationView::new(&token, &invitation, &org_name)
        };
        return page.render_status(StatusCode::UNPROCESSABLE_ENTITY, "auth/invitation", view);
    };
    let hash = state.hasher.hash(form.password).await?;
    let ip = state.client_ip(page.request());
    state
        .db
        .run(move |conn| write_tx(conn, |conn| accept(conn, &invitation, &name, &hash, &ip)))
        .await?;
    Ok(redirect_with_flash(
        state,
        "/login",
        "Your account is ready. Sign in to continue.",
    ))
}
