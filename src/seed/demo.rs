//! Demo data for `serve --demo`: the Metro partners and an account for each role.
//! Written only into an empty database.

use crate::auth::passwords::hash_password;
use crate::db::{write_tx, Db};
use crate::error::AppError;
use crate::organisations::{self, OrgKind};
use crate::users::{self, queries::NewUser, Role};

/// The partners of the Derby–Nottingham Metro and the East Midlands alliance.
pub const ORGANISATIONS: &[(&str, &str, OrgKind)] = &[
    ("derby", "Derby City Council", OrgKind::CityCouncil),
    (
        "nottingham",
        "Nottingham City Council",
        OrgKind::CityCouncil,
    ),
    (
        "derbyshire",
        "Derbyshire County Council",
        OrgKind::CountyCouncil,
    ),
    (
        "nottinghamshire",
        "Nottinghamshire County Council",
        OrgKind::CountyCouncil,
    ),
    ("leicester", "Leicester City Council", OrgKind::CityCouncil),
    (
        "leicestershire",
        "Leicestershire County Council",
        OrgKind::CountyCouncil,
    ),
    (
        "lincolnshire",
        "Lincolnshire County Council",
        OrgKind::CountyCouncil,
    ),
    (
        "d2n2",
        "D2N2 Local Enterprise Partnership",
        OrgKind::Business,
    ),
    ("uni-derby", "University of Derby", OrgKind::Education),
    (
        "uni-nottingham",
        "University of Nottingham",
        OrgKind::Education,
    ),
    ("nhs-derbyshire", "Joined Up Care Derbyshire", OrgKind::Nhs),
    ("cad", "Community Action Derby", OrgKind::Voluntary),
    (
        "metro",
        "Derby Nottingham Metro Programme Office",
        OrgKind::Other,
    ),
];

pub enum Seeded {
    Created { accounts: Vec<(String, Role)> },
    Skipped,
}

const FIRST_NAMES: &[&str] = &[
    "Amira", "Ben", "Chloe", "Dev", "Eleanor", "Faisal", "Grace", "Harjit", "Isla", "Jonah",
    "Kiran", "Lauren", "Marcus", "Niamh", "Oliver", "Priya", "Rhys",
];
const SURNAMES: &[&str] = &[
    "Ahmed", "Bennett", "Clarke", "Dhillon", "Evans", "Fletcher", "Gill", "Hughes", "Iqbal",
    "Jones", "Kaur", "Lewis", "Mistry", "Nowak", "Okafor", "Patel", "Quinn", "Robinson", "Shaw",
];

/// A made-up person's name, different for each demo account.
fn person_name(n: usize) -> String {
    format!(
        "{} {}",
        FIRST_NAMES[n % FIRST_NAMES.len()],
        SURNAMES[(n * 7) % SURNAMES.len()]
    )
}

/// The accounts an organisation gets: admin for all; leader and staff for councils;
/// partner for the others.
pub fn accounts_for(slug: &str, kind: OrgKind) -> Vec<(String, Role)> {
    let mut roles = vec![Role::OrgAdmin];
    if kind.is_council() {
        roles.extend([Role::Leader, Role::Staff]);
    } else {
        roles.push(Role::Partner);
    }
    roles
        .into_iter()
        .map(|role| {
            let local = match role {
                Role::OrgAdmin => "admin",
                Role::Leader => "leader",
                Role::Staff => "staff",
                _ => "partner",
            };
            (format!("{local}@{slug}.example"), role)
        })
        .collect()
}

pub fn seed(db: &Db, password: &str) -> anyhow::Result<Seeded> {
    let mut conn = db.get()?;
    if organisations::queries::count(&mut conn)? > 0 {
        return Ok(Seeded::Skipped);
    }
    // One hash serves every demo account: they share the demo password.
    let hash = hash_password(password)?;
    let accounts = write_tx(&mut conn, |conn| {
        let mut accounts = Vec::new();
        for (slug, name, kind) in ORGANISATIONS {
            let org_id = organisations::queries::insert(conn, name, slug, *kind)?;
            let mut people = accounts_for(slug, *kind);
            if *slug == "metro" {
                people.insert(
                    0,
                    ("platform@metro.example".to_string(), Role::PlatformAdmin),
                );
            }
            for (email, role) in people {
                users::queries::insert(
                    conn,
                    &NewUser {
                        organisation_id: org_id,
                        email: &email,
                        name: &person_name(accounts.len()),
                        role,
                        password_hash: &hash,
                    },
                )?;
                accounts.push((email, role));
            }
        }
        Ok::<_, AppError>(accounts)
    })?;
    crate::seed::demo_notifications::seed(&mut conn)
        .map_err(|e| anyhow::anyhow!("demo subscriptions: {e}"))?;
    crate::seed::demo_workspaces::seed(&mut conn)
        .map_err(|e| anyhow::anyhow!("demo workspaces: {e}"))?;
    crate::seed::demo_opportunities::seed(&mut conn)
        .map_err(|e| anyhow::anyhow!("demo opportunities: {e}"))?;
    crate::seed::demo_reviews::seed(&mut conn).map_err(|e| anyhow::anyhow!("demo reviews: {e}"))?;
    Ok(Seeded::Created { accounts })
}
