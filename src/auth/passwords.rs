//! Password hashing (argon2id, 19 MiB, t=2, p=1) off the async threads, with a bound on how
//! many hashes run at once, and the rules a new password must meet.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use actix_web::web;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that the answer takes
/// as long as for a real account.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").expect("hash"))
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

/// Length 12–128 characters, no composition rules, and not a well-known password.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err("Password must be 12 characters or more");
    }
    if length > MAX_LENGTH {
        return Err("Password must be 128 characters or fewer");
    }
    if common_passwords().contains(password.to_lowercase().as_str()) {
        return Err("That password is too common. Choose one that is harder to guess, such as three random words");
    }
    Ok(())
}

/// Runs hashing on the blocking pool, never more than `limit` at once.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub fn new(limit: usize) -> Hasher {
        Hasher {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// The permit travels into the blocking task, so it is held until the hash is done
    /// even if the request that asked for it has gone.
    async fn permit(&self) -> AppResult<OwnedSemaphorePermit> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(e.into()))
    }

    pub async fn hash(&self, password: String) -> AppResult<String> {
        let permit = self.permit().await?;
        web::block(move || {
            let _held = permit;
            hash_password(&password)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
        .map_err(AppError::Internal)
    }

    /// Verifies against `phc`, or against a dummy hash when there is no account.
    pub async fn verify(&self, password: String, phc: Option<String>) -> AppResult<bool> {
        let permit = self.permit().await?;
        web::block(move || {
            let _held = permit;
            match phc {
                Some(phc) => verify_password(&password, &phc),
                None => {
                    verify_password(&password, dummy_hash());
                    false
                }
            }
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
    }
}
