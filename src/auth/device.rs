//! Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): after a
//! successful sign-in the browser gets a long-lived cookie, and an API client a
//! `device_token` to send back in `X-Device-Token`, naming the account and a random nonce
//! under our signature. Presented again with that account's email, it lets the attempt be
//! judged by this device's own failures instead of the account's and the address's.
//!
//! It grants nothing else: no session, no access. It only says "this client signed in as
//! this person before".

use actix_web::cookie::{time, Cookie};
use actix_web::HttpRequest;
use chrono::NaiveDateTime;

use super::tokens::{random_token, Keys};
use crate::state::AppState;

/// The cookie's base name; `AppState::cookie_name` adds the prefix.
pub const COOKIE: &str = "device";
/// The header an API client sends its device token back in.
pub const HEADER: &str = "x-device-token";

/// Marks the signed data as a device token. The link key also signs unsubscribe links,
/// whose data starts `unsubscribe:`; each reader accepts only its own prefix, so neither
/// can pass for the other.
const PREFIX: &str = "device";

/// A genuine, unexpired device token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub user_id: i64,
    nonce: String,
}

impl Device {
    /// What this device's failures are counted under.
    pub fn key(&self) -> String {
        format!("{}:{}", self.user_id, self.nonce)
    }
}

/// A new device token for `user_id`, good until `expires`.
pub fn issue(keys: &Keys, user_id: i64, expires: NaiveDateTime) -> String {
    let nonce = random_token(16);
    let expires = expires.and_utc().timestamp();
    keys.sign_link(&format!("{PREFIX}:{user_id}:{nonce}:{expires}"))
}

/// The device a token names, if we signed it and it has not expired.
pub fn verify(keys: &Keys, token: &str, now: NaiveDateTime) -> Option<Device> {
    let data = keys.verify_link(token)?;
    let [prefix, user_id, nonce, expires] = data.split(':').collect::<Vec<_>>()[..] else {
        return None;
    };
    let expires: i64 = expires.parse().ok()?;
    if prefix != PREFIX || nonce.is_empty() || expires <= now.and_utc().timestamp() {
        return None;
    }
    Some(Device {
        user_id: user_id.parse().ok()?,
        nonce: nonce.to_string(),
    })
}

/// The device token a request carries: the header (API clients), else the cookie.
pub fn presented(state: &AppState, req: &HttpRequest) -> Option<String> {
    let header = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    header.or_else(|| {
        req.cookie(&state.cookie_name(COOKIE))
            .map(|c| c.value().to_string())
    })
}

/// The cookie that carries a device token: HttpOnly, SameSite=Lax, and Secure with the
/// `__Host-` prefix over HTTPS, like the session's, but kept across browser restarts.
pub fn cookie(state: &AppState, token: String) -> Cookie<'static> {
    let mut cookie = state.cookie(COOKIE, token);
    let days = state.settings.security.device_cookie_days;
    cookie.set_max_age(time::Duration::days(days));
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn keys() -> Keys {
        Keys::new(b"a signing secret of at least thirty-two bytes")
    }

    #[test]
    fn a_token_names_its_account_until_it_expires() {
        let keys = keys();
        let now = crate::db::now();
        let token = issue(&keys, 42, now + Duration::days(1));
        let device = verify(&keys, &token, now).expect("genuine");
        assert_eq!(device.user_id, 42);
        assert!(verify(&keys, &token, now + Duration::days(2)).is_none());
    }

    #[test]
    fn each_sign_in_gets_a_device_of_its_own() {
        let keys = keys();
        let now = crate::db::now();
        let later = now + Duration::days(1);
        let a = verify(&keys, &issue(&keys, 7, later), now).unwrap();
        let b = verify(&keys, &issue(&keys, 7, later), now).unwrap();
        assert_ne!(a.key(), b.key());
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let keys = keys();
        let now = crate::db::now();
        let token = issue(&keys, 42, now + Duration::days(1));
        let other = Keys::new(b"another signing secret, also thirty-two bytes");
        assert!(verify(&other, &token, now).is_none());
        let mut tampered = token.clone();
        tampered.insert(0, 'A');
        assert!(verify(&keys, &tampered, now).is_none());
        let link = keys.sign_link("unsubscribe:42:digest:daily");
        assert!(verify(&keys, &link, now).is_none());
    }
}
