//! Who is acting: the signed-in `Caller`, the `Actor` a change is recorded against, and the
//! `Role` a person holds. Below the feature slices: the policy, the page layer and every
//! service take these, and nothing here knows any slice.

use serde::Serialize;

use crate::text_enum;

text_enum!(Role, "a role", {
    PlatformAdmin => ("platform_admin", "Platform administrator"),
    OrgAdmin => ("org_admin", "Organisation administrator"),
    Leader => ("leader", "Leader"),
    Staff => ("staff", "Staff"),
    Partner => ("partner", "Partner"),
});

/// The signed-in person behind a request.
#[derive(Clone, Debug, Serialize)]
pub struct Caller {
    pub user_id: i64,
    pub organisation_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_name: String,
    pub organisation_slug: String,
    #[serde(skip)]
    pub session_id: String,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.role
    }
}

/// A person as a `Caller` is read: the user joined to their organisation
/// (`users::table.inner_join(organisations::table)`, then `CallerRow::as_select()`).
#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::users)]
pub struct CallerRow {
    id: i64,
    organisation_id: i64,
    email: String,
    name: String,
    role: Role,
    #[diesel(select_expression = crate::schema::organisations::name)]
    organisation_name: String,
    #[diesel(select_expression = crate::schema::organisations::slug)]
    organisation_slug: String,
}

impl CallerRow {
    /// The caller, acting in `session_id` (empty where there is no session).
    pub fn caller(self, session_id: &str) -> Caller {
        Caller {
            user_id: self.id,
            organisation_id: self.organisation_id,
            email: self.email,
            name: self.name,
            role: self.role,
            organisation_name: self.organisation_name,
            organisation_slug: self.organisation_slug,
            session_id: session_id.to_string(),
        }
    }
}

/// Who is making a change, and from where: what services record in events and the audit.
pub struct Actor<'a> {
    pub caller: &'a Caller,
    pub ip: &'a str,
}
