//! Signed session tokens (JWT, HS256 only) and the random single-use tokens sent by email.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const WEB_AUDIENCE: &str = "metro-portal/web";
pub const API_AUDIENCE: &str = "metro-portal/api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Session id, checked against the sessions table on every request.
    pub sid: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    csrf: Vec<u8>,
    links: Vec<u8>,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Keys {
        Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            csrf: derive(secret, b"csrf"),
            links: derive(secret, b"links"),
        }
    }

    pub fn issue(
        &self,
        user_id: i64,
        session_id: &str,
        audience: &str,
        issued: NaiveDateTime,
        expires: NaiveDateTime,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            aud: audience.to_string(),
            iat: issued.and_utc().timestamp(),
            exp: expires.and_utc().timestamp(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a token signed with our key, for `audience`, not expired.
    pub fn verify(&self, token: &str, audience: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience]);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The form token that goes with a CSRF cookie value, masked afresh for each page: a
    /// random pad, then the pad XOR the token. The secret never stands twice the same in
    /// the pages, so compressed pages that also show what a visitor typed (a search) do not
    /// give it away by their length (BREACH).
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        let token = mac(&self.csrf, cookie_value.as_bytes());
        let pad: Vec<u8> = (0..token.len()).map(|_| rand::random::<u8>()).collect();
        let masked: Vec<u8> = pad.iter().zip(&token).map(|(p, t)| p ^ t).collect();
        hex::encode([pad, masked].concat())
    }

    /// A link token that carries `data` and proves we wrote it (unsubscribe links).
    pub fn sign_link(&self, data: &str) -> String {
        let signature = URL_SAFE_NO_PAD.encode(mac(&self.links, data.as_bytes()));
        format!("{}.{signature}", URL_SAFE_NO_PAD.encode(data))
    }

    /// The data of a link token made by `sign_link`, if it is genuine.
    pub fn verify_link(&self, token: &str) -> Option<String> {
        let (data, signature) = token.split_once('.')?;
        let data = String::from_utf8(URL_SAFE_NO_PAD.decode(data).ok()?).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut m = Hmac::<Sha256>::new_from_slice(&self.links).expect("any key length");
        m.update(data.as_bytes());
        m.verify_slice(&signature).ok()?;
        Some(data)
    }

    pub fn csrf_matches(&self, cookie_value: &str, form_token: &str) -> bool {
        let Ok(given) = hex::decode(form_token) else {
            return false;
        };
        if given.len() % 2 != 0 {
            return false;
        }
        let (pad, masked) = given.split_at(given.len() / 2);
        let given: Vec<u8> = pad.iter().zip(masked).map(|(p, m)| p ^ m).collect();
        let mut m = Hmac::<Sha256>::new_from_slice(&self.csrf).expect("any key length");
        m.update(cookie_value.as_bytes());
        m.verify_slice(&given).is_ok()
    }
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn derive(secret: &[u8], purpose: &[u8]) -> Vec<u8> {
    mac(secret, purpose)
}

/// A new random token (to send) and its hash (to store).
pub fn new_secret_token() -> (String, String) {
    let token = random_token(32);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The configured secret, or one generated on first start and kept in the data directory.
pub fn load_or_create_secret(configured: &str, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if !configured.is_empty() {
        if configured.len() < 32 {
            anyhow::bail!("security.jwt_secret must be at least 32 characters");
        }
        return Ok(configured.as_bytes().to_vec());
    }
    let path = data_dir.join("signing.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let secret = existing.trim();
        if secret.len() >= 32 {
            return Ok(secret.as_bytes().to_vec());
        }
        anyhow::bail!(
            "{} is too short; delete it to make a new one",
            path.display()
        );
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = random_token(48);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(&path) {
        Ok(file) => file,
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Ok(std::fs::read_to_string(&path)?.trim().as_bytes().to_vec());
        }
        Err(e) => return Err(e.into()),
    };
    file.write_all(secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new signing secret");
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_masked_afresh_and_match_only_their_cookie() {
        let keys = Keys::new(b"a test secret of some length");
        let one = keys.csrf_token("cookie-a");
        let two = keys.csrf_token("cookie-a");
        assert_ne!(one, two, "each page carries a different mask");
        assert!(keys.csrf_matches("cookie-a", &one));
        assert!(keys.csrf_matches("cookie-a", &two));
        assert!(!keys.csrf_matches("cookie-b", &one));
        // The bare token, a cut-down one and junk are all refused.
        let bare = hex::encode(mac(&keys.csrf, b"cookie-a"));
        assert!(!keys.csrf_matches("cookie-a", &bare));
        assert!(!keys.csrf_matches("cookie-a", &one[..one.len() - 2]));
        assert!(!keys.csrf_matches("cookie-a", "zz"));
        assert!(!keys.csrf_matches("cookie-a", ""));
    }
}
