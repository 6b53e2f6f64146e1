//! Updates posted in a workspace, and the comments on them: the changes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz;
use crate::db::{now, write_tx, DbConn};
use crate::error::AppResult;
use crate::schema::{comments, posts};
use crate::validate::Check;
use crate::workspaces::queries::{self, Access};

use crate::auth::Actor;
use crate::workspaces::service::{follow, record};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PostInput {
    pub title: String,
    pub body: String,
}

fn parse_post(input: &PostInput) -> AppResult<(String, String)> {
    let mut check = Check::default();
    let title = check.text("title", &input.title, 200, "Enter a title");
    let body = check.text("body", &input.body, 20_000, "Enter the update");
    check.done()?;
    Ok((title, body))
}

pub fn create_post(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    input: &PostInput,
) -> AppResult<i64> {
    authz::contribute(actor.caller, &access.ws, access.membership)?;
    let (title, body) = parse_post(input)?;
    write_tx(conn, |conn| {
        let at = now();
        let id = diesel::insert_into(posts::table)
            .values((
                posts::workspace_id.eq(access.ws.id),
                posts::author_user_id.eq(actor.caller.user_id),
                posts::organisation_id.eq(actor.caller.organisation_id),
                posts::title.eq(&title),
                posts::body.eq(&body),
                posts::created_at.eq(at),
                posts::updated_at.eq(at),
            ))
            .returning(posts::id)
            .get_result(conn)?;
        follow(conn, actor.caller.user_id, access.ws.id)?;
        record(
            conn,
            actor,
            &access.ws,
            "post.created",
            ("post", id),
            &title,
        )?;
        Ok(id)
    })
}

pub fn update_post(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    post_id: i64,
    input: &PostInput,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let post = queries::find_post(conn, access.ws.id, post_id)?;
        authz::edit_post(
            actor.caller,
            &access.ws,
            access.membership,
            post.item.author_user_id,
        )?;
        let (title, body) = parse_post(input)?;
        diesel::update(posts::table.find(post_id))
            .set((
                posts::title.eq(&title),
                posts::body.eq(&body),
                posts::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(record(
            conn,
            actor,
            &access.ws,
            "post.edited",
            ("post", post_id),
            &title,
        )?)
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CommentInput {
    pub body: String,
}

pub fn create_comment(
    conn: &mut DbConn,
    actor: &Actor,
    access: &Access,
    post_id: i64,
    input: &CommentInput,
) -> AppResult<i64> {
    write_tx(conn, |conn| {
        let post = queries::find_post(conn, access.ws.id, post_id)?;
        authz::comment(actor.caller, &access.ws, access.membership)?;
        let mut check = Check::default();
        let body = check.text("body", &input.body, 5000, "Enter a comment");
        check.done()?;
        let id = diesel::insert_into(comments::table)
            .values((
                comments::post_id.eq(post_id),
                comments::author_user_id.eq(actor.caller.user_id),
                comments::organisation_id.eq(actor.caller.organisation_id),
                comments::body.eq(&body),
                comments::created_at.eq(now()),
            ))
            .returning(comments::id)
            .get_result(conn)?;
        record(
            conn,
            actor,
            &access.ws,
            "comment.created",
            ("post", post_id),
            &post.item.title,
        )?;
        Ok(id)
    })
}
