//! Demo subscriptions: partners following the Metro themes as whole organisations, people
//! with their own choice of email, and an example webhook (turned off). Seeded before the
//! demo content, so its events fill every demo account's inbox.

use diesel::prelude::*;

use crate::auth::Actor;
use crate::db::{now, DbConn};
use crate::error::AppResult;
use crate::notifications::subscriptions::{follow, FollowInput};
use crate::schema::{users, webhooks};
use crate::seed::demo_workspaces::{caller, org_id};

/// Who follows what for their whole organisation: (organisation, target, workspace or
/// register theme).
const ORGANISATION_FOLLOWS: &[(&str, &str, &str)] = &[
    ("d2n2", "workspace", "business-investment"),
    ("d2n2", "workspace", "skills"),
    ("d2n2", "register", "business-investment"),
    ("uni-derby", "workspace", "skills"),
    ("uni-nottingham", "workspace", "skills"),
    ("uni-nottingham", "workspace", "business-investment"),
    ("derby", "workspace", "transport-connectivity"),
    ("derby", "register", ""),
    ("nottingham", "workspace", "city-living"),
    ("nottingham", "register", ""),
    ("derbyshire", "workspace", "transport-connectivity"),
    ("nottinghamshire", "workspace", "transport-connectivity"),
    ("leicester", "register", ""),
    ("leicestershire", "register", ""),
    ("lincolnshire", "register", ""),
    ("nhs-derbyshire", "workspace", "city-living"),
    ("cad", "workspace", "city-living"),
    ("metro", "workspace", "business-investment"),
    ("metro", "workspace", "skills"),
    ("metro", "workspace", "transport-connectivity"),
    ("metro", "workspace", "city-living"),
];

/// People's own defaults: most keep the daily digest.
const DEFAULTS: &[(&str, &str)] = &[
    ("leader@derby.example", "immediate"),
    ("leader@nottingham.example", "weekly"),
    ("partner@d2n2.example", "weekly"),
    ("partner@uni-derby.example", "inbox"),
    ("platform@metro.example", "inbox"),
];

pub fn seed(conn: &mut DbConn) -> AppResult<()> {
    for (org, target, value) in ORGANISATION_FOLLOWS {
        let admin = caller(conn, &format!("admin@{org}.example"))?;
        let input = FollowInput {
            target: target.to_string(),
            workspace: if *target == "workspace" {
                value.to_string()
            } else {
                String::new()
            },
            theme: if *target == "register" {
                value.to_string()
            } else {
                String::new()
            },
            scope: "organisation".into(),
            ..FollowInput::default()
        };
        follow(
            conn,
            &Actor {
                caller: &admin,
                ip: "127.0.0.1",
            },
            &input,
        )?;
    }
    let staff = caller(conn, "staff@derby.example")?;
    let input = FollowInput {
        target: "register".into(),
        service_area: "legal".into(),
        delivery: "immediate".into(),
        ..FollowInput::default()
    };
    follow(
        conn,
        &Actor {
            caller: &staff,
            ip: "127.0.0.1",
        },
        &input,
    )?;
    for (email, delivery) in DEFAULTS {
        diesel::update(users::table.filter(users::email.eq(email)))
            .set(users::default_delivery.eq(delivery))
            .execute(conn)?;
    }
    let derby_admin = caller(conn, "admin@derby.example")?;
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::organisation_id.eq(org_id(conn, "derby")?),
            webhooks::url.eq("https://integration.derby.example/metro/events"),
            webhooks::secret.eq(crate::auth::tokens::random_token(32)),
            webhooks::event_kinds.eq("opportunity.created,opportunity.moved"),
            webhooks::active.eq(false),
            webhooks::created_by.eq(derby_admin.user_id),
            webhooks::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}
