//! Atom feeds of a workspace's activity and of the register. Signed-out readers get what is
//! public; a personal feed token (revocable, shown once) gives what its owner may see. An
//! entry is listed only when its reader could open the page it links to (`Sight`): a
//! quarterly return in a public workspace, whose pages need signing in, is not for the
//! signed out.

use actix_web::{web, HttpResponse};
use atom_syndication::{Entry, Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset};
use diesel::prelude::*;
use serde::Deserialize;

use super::view::view;
use super::visibility::{caller_for_user, Sight};
use crate::auth::tokens::{hash_token, new_secret_token};
use crate::auth::Caller;
use crate::db::{now, write_tx, DbConn, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::events::Event;
use crate::schema::{events, feed_tokens};
use crate::state::AppState;
use crate::workspaces::queries as ws_queries;

/// How many entries a feed carries.
const ENTRIES: usize = 50;
/// How many recent events are read to find them (some may be hidden from the reader).
const SCAN: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    pub token: Option<String>,
}

/// Makes a new feed token for the caller, ending any earlier one; gives the token.
pub fn new_token(conn: &mut DbConn, caller: &Caller) -> AppResult<String> {
    let (token, hash) = new_secret_token();
    write_tx(conn, |conn| {
        revoke(conn, caller)?;
        diesel::insert_into(feed_tokens::table)
            .values((
                feed_tokens::user_id.eq(caller.user_id),
                feed_tokens::token_hash.eq(hash),
                feed_tokens::created_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(token)
}

pub fn revoke(conn: &mut DbConn, caller: &Caller) -> QueryResult<usize> {
    diesel::update(
        feed_tokens::table
            .filter(feed_tokens::user_id.eq(caller.user_id))
            .filter(feed_tokens::revoked_at.is_null()),
    )
    .set(feed_tokens::revoked_at.eq(Some(now())))
    .execute(conn)
}

/// When the caller's current feed token was made, if they have one.
pub fn token_created(
    conn: &mut DbConn,
    user_id: i64,
) -> QueryResult<Option<chrono::NaiveDateTime>> {
    feed_tokens::table
        .filter(feed_tokens::user_id.eq(user_id))
        .filter(feed_tokens::revoked_at.is_null())
        .select(feed_tokens::created_at)
        .first(conn)
        .optional()
}

/// The reader behind a feed token; a token that does not work is refused rather than
/// quietly treated as signed out.
fn reader(conn: &mut DbConn, token: Option<&str>) -> AppResult<Option<Caller>> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let user_id: Option<i64> = feed_tokens::table
        .filter(feed_tokens::token_hash.eq(hash_token(token)))
        .filter(feed_tokens::revoked_at.is_null())
        .select(feed_tokens::user_id)
        .first(conn)
        .optional()?;
    let caller = match user_id {
        Some(id) => caller_for_user(conn, id)?,
        None => None,
    };
    let caller = caller.ok_or(AppError::Unauthorized)?;
    diesel::update(feed_tokens::table.filter(feed_tokens::token_hash.eq(hash_token(token))))
        .set(feed_tokens::last_used_at.eq(Some(now())))
        .execute(conn)?;
    Ok(Some(caller))
}

fn utc(at: chrono::NaiveDateTime) -> DateTime<FixedOffset> {
    at.and_utc().fixed_offset()
}

fn build(
    conn: &mut DbConn,
    base: &str,
    reader: Option<&Caller>,
    title: String,
    self_path: &str,
    recent: Vec<Event>,
) -> QueryResult<String> {
    let mut sight = Sight::default();
    sight.preload(conn, &recent)?;
    let mut entries = Vec::new();
    for event in recent {
        if entries.len() >= ENTRIES {
            break;
        }
        if !sight.can_see(conn, reader, &event)? {
            continue;
        }
        let item = view(conn, &mut sight, &event)?;
        let mut entry = Entry::default();
        entry.set_id(format!("{base}/events/{}", item.id));
        entry.set_title(Text::plain(format!("{}: {}", item.label, item.title)));
        entry.set_updated(utc(item.created_at));
        let mut link = Link::default();
        link.set_href(format!("{base}{}", item.path));
        entry.set_links(vec![link]);
        let mut author = Person::default();
        author.set_name(if item.organisation.is_empty() {
            item.actor.clone()
        } else {
            format!("{} ({})", item.actor, item.organisation)
        });
        entry.set_authors(vec![author]);
        entry.set_summary(Some(Text::plain(format!(
            "{} – {}",
            item.label, item.place
        ))));
        entries.push(entry);
    }
    let mut feed = Feed::default();
    feed.set_id(format!("{base}{self_path}"));
    feed.set_title(Text::plain(title));
    // The newest entry's time; a feed with none has never changed (so its ETag stays).
    feed.set_updated(
        entries
            .first()
            .map(|e| *e.updated())
            .unwrap_or(DateTime::UNIX_EPOCH.fixed_offset()),
    );
    let mut link = Link::default();
    link.set_href(format!("{base}{self_path}"));
    link.set_rel("self");
    feed.set_links(vec![link]);
    feed.set_entries(entries);
    Ok(feed.to_string())
}

fn atom(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        // A feed reader keeps the feed and asks again with its ETag (`web::conditional`).
        .insert_header(("Cache-Control", "private, no-cache"))
        .body(body)
}

/// What a feed is: its title, its own path and its latest events, for this reader.
struct Source {
    title: String,
    path: String,
    recent: Vec<Event>,
}

/// Answers a feed request: finds the reader from the token, lets `source` choose the events,
/// and writes the Atom document.
async fn serve<F>(state: &AppState, token: Option<String>, source: F) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, Option<&Caller>) -> AppResult<Source> + Send + 'static,
{
    let base = state.settings.base_url().to_string();
    let body = state
        .db
        .run(move |conn| {
            let reader = reader(conn, token.as_deref())?;
            let s = source(conn, reader.as_ref())?;
            Ok(build(
                conn,
                &base,
                reader.as_ref(),
                s.title,
                &s.path,
                s.recent,
            )?)
        })
        .await?;
    Ok(atom(body))
}

/// The newest events of those `narrow` keeps, as many as a feed looks through.
fn latest<F>(conn: &mut DbConn, narrow: F) -> QueryResult<Vec<Event>>
where
    F: FnOnce(
        events::BoxedQuery<'static, MultiBackend>,
    ) -> events::BoxedQuery<'static, MultiBackend>,
{
    narrow(events::table.into_boxed())
        .order(events::id.desc())
        .limit(SCAN)
        .select(Event::as_select())
        .load(conn)
}

pub async fn workspace_feed(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    serve(&state, query.into_inner().token, move |conn, reader| {
        let access = ws_queries::load(conn, &slug, reader)?;
        let recent = latest(conn, |q| {
            q.filter(events::workspace_id.eq(access.ws.id))
                .filter(events::target_kind.ne("opportunity"))
        })?;
        Ok(Source {
            title: format!("{} – Metro Portal", access.ws.name),
            path: format!("/workspaces/{}/feed.atom", access.ws.slug),
            recent,
        })
    })
    .await
}

pub async fn register_feed(
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    serve(&state, query.into_inner().token, |conn, _| {
        let recent = latest(conn, |q| q.filter(events::target_kind.eq("opportunity")))?;
        Ok(Source {
            title: "Shared-services opportunities – Metro Portal".to_string(),
            path: "/opportunities/feed.atom".to_string(),
            recent,
        })
    })
    .await
}
