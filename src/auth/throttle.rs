//! Sign-in throttling, kept in the database so every instance sees the same counts.
//!
//! After OWASP's device cookies: an attempt that presents a valid device cookie for the
//! account is judged by that device's own failures alone, so a guessing attack from
//! elsewhere never locks the owner out. Any other attempt is untrusted and judged by the
//! account's failures from untrusted clients and by its source address's; the address limit
//! refuses only accounts that have failures of their own, so a shared NAT or proxy where
//! others mistype never refuses someone who types their password right.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::config::SecuritySettings;
use crate::db::{now, DbConn};
use crate::schema::login_failures;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One account, as tried from clients without its device cookie (key: normalised email).
    Account,
    /// One source address (key: the client address).
    Client,
    /// One device that signed in as the account before (key: `user id:nonce`).
    Device,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Client => "client",
            Scope::Device => "device",
        }
    }
}

/// How many failures within the window each scope allows.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_account: i64,
    pub per_client: i64,
    pub per_device: i64,
    pub window: Duration,
}

impl Limits {
    pub fn from_settings(security: &SecuritySettings) -> Limits {
        Limits {
            per_account: security.max_failures_per_account,
            per_client: security.max_failures_per_client,
            per_device: security.max_failures_per_device,
            window: Duration::minutes(security.failure_window_minutes),
        }
    }

    fn of(&self, scope: Scope) -> i64 {
        match scope {
            Scope::Account => self.per_account,
            Scope::Client => self.per_client,
            Scope::Device => self.per_device,
        }
    }
}

/// Who is signing in, as far as the counts are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Client {
    /// Presented a valid device cookie for this very account.
    Trusted { device: String },
    /// Anyone else: the normalised email tried, and the source address.
    Untrusted { email: String, ip: String },
}

impl Client {
    /// The counts this attempt is judged by, and a failure of it is added to.
    fn keys(&self) -> Vec<(Scope, &str)> {
        match self {
            Client::Trusted { device } => vec![(Scope::Device, device)],
            Client::Untrusted { email, ip } => vec![(Scope::Account, email), (Scope::Client, ip)],
        }
    }
}

/// The failures within the window, per scope, that one attempt is judged by.
struct Counts(Vec<(Scope, i64)>);

impl Counts {
    fn of(&self, scope: Scope) -> i64 {
        self.0
            .iter()
            .find(|(s, _)| *s == scope)
            .map_or(0, |(_, n)| *n)
    }

    /// The scope that refuses the attempt before its password is checked, if any.
    fn refusal(&self, limits: &Limits) -> Option<Scope> {
        let account = self.of(Scope::Account);
        self.0
            .iter()
            .find(|(scope, n)| match scope {
                // A busy address stops guesses at accounts already guessed at, never the
                // first try at an account, which may be its owner behind the same NAT.
                Scope::Client => *n >= limits.of(Scope::Client) && account > 0,
                _ => *n >= limits.of(*scope),
            })
            .map(|(scope, _)| *scope)
    }

    /// The scopes this attempt brings to their limit if it fails.
    fn locked_by_failure(&self, limits: &Limits) -> Vec<Scope> {
        self.0
            .iter()
            .filter(|(scope, n)| n + 1 == limits.of(*scope))
            .map(|(scope, _)| *scope)
            .collect()
    }
}

/// What the counts say about one attempt.
#[derive(Debug)]
pub enum Admission {
    /// Refused by this scope's limit; the password must not be checked.
    Refused(Scope),
    /// May be checked. Already counted as a failure (`provisional` rows, to take back if it
    /// succeeds); if it fails, these scopes reach their limit.
    Admitted {
        provisional: Vec<i64>,
        locks: Vec<Scope>,
    },
}

/// Judges an attempt and, unless it is refused, counts it as a failure before its password
/// is checked, so a burst of parallel guesses cannot slip past a limit. Run it in a write
/// transaction that serialises sign-ins.
pub fn admit(conn: &mut DbConn, limits: &Limits, client: &Client) -> QueryResult<Admission> {
    let since = now() - limits.window;
    let mut counts = Vec::new();
    for (scope, key) in client.keys() {
        counts.push((scope, failures_since(conn, scope, key, since)?));
    }
    let counts = Counts(counts);
    if let Some(scope) = counts.refusal(limits) {
        return Ok(Admission::Refused(scope));
    }
    let mut provisional = Vec::new();
    for (scope, key) in client.keys() {
        provisional.push(record_failure(conn, scope, key, since)?);
    }
    Ok(Admission::Admitted {
        provisional,
        locks: counts.locked_by_failure(limits),
    })
}

/// After a success: takes back its provisional failures and forgets the failures it
/// answers for. A trusted device forgets only its own, so the owner signing in does not
/// reopen the account to the guesser.
pub fn succeeded(conn: &mut DbConn, client: &Client, provisional: &[i64]) -> QueryResult<()> {
    remove(conn, provisional)?;
    match client {
        Client::Trusted { device } => clear(conn, Scope::Device, device)?,
        Client::Untrusted { email, .. } => clear(conn, Scope::Account, email)?,
    };
    Ok(())
}

pub fn failures_since(
    conn: &mut DbConn,
    scope: Scope,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    login_failures::table
        .filter(login_failures::scope.eq(scope.as_str()))
        .filter(login_failures::key.eq(key))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)
}

/// Records a failure and forgets every failure older than `forget_before`: device and
/// unknown-account keys are rarely tried again, so their old rows would otherwise stay.
/// Returns the new row's id.
pub fn record_failure(
    conn: &mut DbConn,
    scope: Scope,
    key: &str,
    forget_before: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::delete(login_failures::table.filter(login_failures::at.le(forget_before)))
        .execute(conn)?;
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::scope.eq(scope.as_str()),
            login_failures::key.eq(key),
            login_failures::at.eq(now()),
        ))
        .returning(login_failures::id)
        .get_result(conn)
}

/// Takes back failures recorded ahead of a check that then succeeded.
pub fn remove(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids))).execute(conn)
}

pub fn clear(conn: &mut DbConn, scope: Scope, key: &str) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::scope.eq(scope.as_str()))
            .filter(login_failures::key.eq(key)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        per_account: 5,
        per_client: 20,
        per_device: 5,
        window: Duration::minutes(15),
    };

    fn untrusted(account: i64, client: i64) -> Counts {
        Counts(vec![(Scope::Account, account), (Scope::Client, client)])
    }

    #[test]
    fn a_busy_address_refuses_only_accounts_with_failures_of_their_own() {
        assert_eq!(untrusted(0, 500).refusal(&LIMITS), None);
        assert_eq!(untrusted(1, 20).refusal(&LIMITS), Some(Scope::Client));
        assert_eq!(untrusted(1, 19).refusal(&LIMITS), None);
    }

    #[test]
    fn the_account_limit_refuses_untrusted_clients_whatever_the_address() {
        assert_eq!(untrusted(5, 0).refusal(&LIMITS), Some(Scope::Account));
        assert_eq!(untrusted(4, 0).refusal(&LIMITS), None);
    }

    #[test]
    fn a_device_is_judged_by_its_own_failures_alone() {
        let device = |n| Counts(vec![(Scope::Device, n)]);
        assert_eq!(device(4).refusal(&LIMITS), None);
        assert_eq!(device(5).refusal(&LIMITS), Some(Scope::Device));
    }

    #[test]
    fn the_failure_that_reaches_a_limit_is_the_one_that_locks() {
        assert_eq!(
            untrusted(4, 3).locked_by_failure(&LIMITS),
            vec![Scope::Account]
        );
        assert_eq!(
            untrusted(0, 19).locked_by_failure(&LIMITS),
            vec![Scope::Client]
        );
        assert!(untrusted(2, 3).locked_by_failure(&LIMITS).is_empty());
    }
}
