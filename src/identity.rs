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

/// Who is making a change, and from where: what services record in events and the audit.
pub struct Actor<'a> {
    pub caller: &'a Caller,
    pub ip: &'a str,
}
