use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::users;
use crate::text_enum;

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub organisation_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub last_sign_in_at: Option<NaiveDateTime>,
}

impl User {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
}

pub use crate::identity::Role;

text_enum!(UserStatus, "active or disabled", {
    Active => ("active", "Active"),
    Disabled => ("disabled", "Disabled"),
});

/// A syntactically plausible email address, trimmed and lower-cased.
pub fn parse_email(value: &str) -> Result<String, &'static str> {
    let email = value.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter an email address");
    }
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err("Enter an email address in the correct format, like name@example.org")
    }
}

/// A person's name as shown to others: 1–100 characters.
pub fn parse_name(value: &str) -> Result<String, &'static str> {
    let name = value.trim();
    if name.is_empty() {
        Err("Enter your full name")
    } else if crate::validate::has_control_characters(name) {
        Err(crate::validate::CONTROL_CHARACTERS)
    } else if name.chars().count() > 100 {
        Err("Name must be 100 characters or fewer")
    } else {
        Ok(name.to_string())
    }
}
