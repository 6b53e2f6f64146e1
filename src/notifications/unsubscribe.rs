//! Signed unsubscribe links (RFC 8058 one-click): each names one person and one thing they
//! receive, works signed out, and changes only that.

use diesel::prelude::*;

use super::model::{Delivery, Subscription};
use super::subscriptions::{describe, end, find as find_subscription};
use super::visibility::caller_for_user;
use crate::auth::tokens::Keys;
use crate::db::{now, write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::schema::{subscription_opt_outs, subscriptions, users};

/// What one link stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One subscription: the person's own is ended, an organisation's is opted out of.
    Subscription(i64),
    /// The daily or weekly digest: what came by it comes to the inbox only.
    Digest(Delivery),
}

pub fn token(keys: &Keys, user_id: i64, scope: Scope) -> String {
    let data = match scope {
        Scope::Subscription(id) => format!("unsubscribe:{user_id}:subscription:{id}"),
        Scope::Digest(d) => format!("unsubscribe:{user_id}:digest:{}", d.as_str()),
    };
    keys.sign_link(&data)
}

pub fn url(base_url: &str, keys: &Keys, user_id: i64, scope: Scope) -> String {
    format!("{base_url}/unsubscribe/{}", token(keys, user_id, scope))
}

/// The person and scope of a genuine link; anything else is "not found".
pub fn parse(keys: &Keys, token: &str) -> AppResult<(i64, Scope)> {
    let data = keys.verify_link(token).ok_or(AppError::NotFound)?;
    let parts: Vec<&str> = data.split(':').collect();
    let parsed = match parts.as_slice() {
        ["unsubscribe", user, "subscription", id] => user
            .parse()
            .ok()
            .zip(id.parse().ok().map(Scope::Subscription)),
        ["unsubscribe", user, "digest", d] => user
            .parse()
            .ok()
            .zip(Delivery::parse(d).ok().map(Scope::Digest)),
        _ => None,
    };
    parsed.ok_or(AppError::NotFound)
}

/// What the link would stop, in words, or `None` when it is already stopped.
pub fn describe_scope(conn: &mut DbConn, user_id: i64, scope: Scope) -> AppResult<Option<String>> {
    match scope {
        Scope::Subscription(id) => {
            let Some(sub) = subscription_for(conn, user_id, id)? else {
                return Ok(None);
            };
            if sub.is_organisation_wide() && opted_out(conn, id, user_id)? {
                return Ok(None);
            }
            // Signed out, the link's person is the reader: what they can no longer see
            // is named only by a neutral label.
            let reader = caller_for_user(conn, user_id)?;
            let what = describe(conn, reader.as_ref(), &sub)?;
            Ok(Some(format!("Emails about {what}")))
        }
        Scope::Digest(d) => Ok(Some(format!("The {} digest email", d.as_str()))),
    }
}

/// The subscription a link names, if it still reaches this person.
fn subscription_for(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<Option<Subscription>> {
    let Some(sub) = find_subscription(conn, id).optional()? else {
        return Ok(None);
    };
    let organisation_id: i64 = users::table
        .find(user_id)
        .select(users::organisation_id)
        .first(conn)?;
    let reaches = match sub.user_id {
        Some(owner) => owner == user_id,
        None => sub.organisation_id == organisation_id,
    };
    Ok(reaches.then_some(sub))
}

fn opted_out(conn: &mut DbConn, subscription_id: i64, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        subscription_opt_outs::table
            .filter(subscription_opt_outs::subscription_id.eq(subscription_id))
            .filter(subscription_opt_outs::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Carries out the link. Doing it twice is harmless.
pub fn apply(conn: &mut DbConn, user_id: i64, scope: Scope) -> AppResult<()> {
    write_tx(conn, |conn| {
        match scope {
            Scope::Subscription(id) => {
                let Some(sub) = subscription_for(conn, user_id, id)? else {
                    return Ok(());
                };
                if sub.is_organisation_wide() {
                    let insert = diesel::insert_into(subscription_opt_outs::table).values((
                        subscription_opt_outs::subscription_id.eq(id),
                        subscription_opt_outs::user_id.eq(user_id),
                        subscription_opt_outs::created_at.eq(now()),
                    ));
                    crate::insert_ignore!(conn, insert)?;
                } else {
                    end(conn, &sub)?;
                }
            }
            Scope::Digest(d) => {
                let inbox = Delivery::Inbox.as_str();
                diesel::update(
                    subscriptions::table
                        .filter(subscriptions::user_id.eq(user_id))
                        .filter(subscriptions::delivery.eq(d.as_str())),
                )
                .set(subscriptions::delivery.eq(inbox))
                .execute(conn)?;
                // Subscriptions on the person's default (their organisation's included)
                // follow the default.
                diesel::update(
                    users::table
                        .find(user_id)
                        .filter(users::default_delivery.eq(d.as_str())),
                )
                .set(users::default_delivery.eq(inbox))
                .execute(conn)?;
            }
        }
        Ok(())
    })
}
