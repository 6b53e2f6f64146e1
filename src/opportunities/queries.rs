//! Reading the register: the filtered, visible list with its totals, and one opportunity
//! with everything attached to it.

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use super::model::*;
use super::search;
use crate::auth::Caller;
use crate::authz;
use crate::cache::Cache;
use crate::db::{DbConn, MultiBackend};
use crate::error::AppResult;
use crate::schema::{
    barriers, endorsements, opportunities, opportunity_comments, opportunity_partners,
    opportunity_transitions, organisations, savings, users, workspaces,
};
use crate::web::Paging;

/// What the register is narrowed to. Every field is optional.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub q: String,
    pub stage: Option<Stage>,
    pub lead: Option<i64>,
    pub partner: Option<i64>,
    pub service_area: Option<ServiceArea>,
    pub kind: Option<OpportunityKind>,
    pub theme: Option<i64>,
    pub open_high_barriers: bool,
    /// Only open opportunities whose stage has not changed for this many days.
    pub stale_days: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Updated,
    Reference,
    Savings,
}

impl Sort {
    pub fn parse(value: &str) -> Result<Sort, &'static str> {
        match value {
            "" | "updated" => Ok(Sort::Updated),
            "reference" => Ok(Sort::Reference),
            "savings" => Ok(Sort::Savings),
            _ => Err("Sort by updated, reference or savings"),
        }
    }
}

type Boxed<'a> = opportunities::BoxedQuery<'a, MultiBackend>;
/// Estimated, validated, realised, cashable realised, one-off costs.
type FiveSums = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Narrows a boxed query over `opportunities` (alone or joined) to what `caller` may see
/// and `filter` asks for.
macro_rules! narrow {
    ($query:expr, $conn:expr, $caller:expr, $filter:expr) => {{
        let (conn, caller, filter): (&DbConn, Option<&Caller>, &Filter) = ($conn, $caller, $filter);
        let mut query = $query;
        query = query.filter(authz::visible_opportunities(caller));
        if let Some(stage) = filter.stage {
            query = query.filter(opportunities::stage.eq(stage.as_str()));
        }
        if let Some(lead) = filter.lead {
            query = query.filter(opportunities::lead_organisation_id.eq(lead));
        }
        if let Some(area) = filter.service_area {
            query = query.filter(opportunities::service_area.eq(area.as_str()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(opportunities::kind.eq(kind.as_str()));
        }
        if let Some(theme) = filter.theme {
            query = query.filter(opportunities::workspace_id.eq(theme));
        }
        if let Some(partner) = filter.partner {
            query = query.filter(
                opportunities::id.eq_any(
                    opportunity_partners::table
                        .filter(opportunity_partners::organisation_id.eq(partner))
                        .select(opportunity_partners::opportunity_id),
                ),
            );
        }
        if let Some(days) = filter.stale_days {
            query = query
                .filter(opportunities::stage_changed_at.lt(crate::db::now() - chrono::Duration::days(days)))
                .filter(opportunities::stage.ne_all(["realised", "declined"]));
        }
        if filter.open_high_barriers {
            query = query.filter(
                opportunities::id.eq_any(
                    barriers::table
                        .filter(barriers::status.eq("open"))
                        .filter(barriers::severity.eq("high"))
                        .select(barriers::opportunity_id),
                ),
            );
        }
        let terms = search::terms(&filter.q);
        if !terms.is_empty() {
            query = match conn {
                DbConn::Sqlite(_) => query.filter(
                    sql::<Bool>("opportunities.id IN (SELECT rowid FROM opportunity_search WHERE opportunity_search MATCH ")
                        .bind::<Text, _>(search::sqlite_query(&terms))
                        .sql(")"),
                ),
                DbConn::Pg(_) => query.filter(
                    sql::<Bool>("opportunities.search @@ to_tsquery('simple', ")
                        .bind::<Text, _>(search::postgres_query(&terms))
                        .sql(")"),
                ),
            };
        }
        query
    }};
}

/// The opportunities `caller` may see that match `filter`.
pub(crate) fn visible<'a>(conn: &DbConn, caller: Option<&Caller>, filter: &Filter) -> Boxed<'a> {
    narrow!(opportunities::table.into_boxed(), conn, caller, filter)
}

/// Savings of the opportunities `caller` may see that match `filter`, with each saving's
/// opportunity, for working out totals in the database.
pub(crate) fn visible_savings<'a>(
    conn: &DbConn,
    caller: Option<&Caller>,
    filter: &Filter,
) -> diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::InnerJoin<savings::table, opportunities::table>,
    MultiBackend,
> {
    narrow!(
        savings::table.inner_join(opportunities::table).into_boxed(),
        conn,
        caller,
        filter
    )
}

/// Totals of savings, in pence.
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub estimated: i64,
    pub validated: i64,
    pub realised: i64,
    pub cashable_realised: i64,
    pub one_off_costs: i64,
}

impl Totals {
    /// The one place where a saving's kind decides which figure it counts in: the register,
    /// the dashboard and the quarterly review all add up through here.
    pub fn add(&mut self, kind: SavingKind, cashable: bool, amount: i64, cost: i64) {
        match kind {
            SavingKind::Estimated => self.estimated += amount,
            SavingKind::Validated => self.validated += amount,
            SavingKind::Realised => {
                self.realised += amount;
                if cashable {
                    self.cashable_realised += amount;
                }
            }
        }
        self.one_off_costs += cost;
    }
}

fn totals_by_opportunity(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, Totals>> {
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    for chunk in ids.chunks(5000) {
        let rows: Vec<(i64, SavingKind, bool, i64, i64)> = savings::table
            .filter(savings::opportunity_id.eq_any(chunk))
            .select((
                savings::opportunity_id,
                savings::kind,
                savings::cashable,
                savings::amount_pence,
                savings::one_off_cost_pence,
            ))
            .load(conn)?;
        for (id, kind, cashable, amount, cost) in rows {
            totals
                .entry(id)
                .or_default()
                .add(kind, cashable, amount, cost);
        }
    }
    Ok(totals)
}

/// One row of the register.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ListItem {
    pub opportunity: Opportunity,
    pub lead: String,
    pub totals: Totals,
    pub open_high_barriers: i64,
}

pub struct Listing {
    pub items: Vec<ListItem>,
    pub total: i64,
    /// Totals of the whole filtered view, not just this page.
    pub totals: Totals,
}

/// The number of opportunities in the view and the totals of their savings, worked out by
/// the database.
fn whole_view(
    conn: &mut DbConn,
    caller: Option<&Caller>,
    filter: &Filter,
) -> QueryResult<(i64, Totals)> {
    let total: i64 = visible(conn, caller, filter).count().get_result(conn)?;
    type Sum = diesel::sql_types::Nullable<BigInt>;
    let sum = |condition: &str, column: &str| {
        sql::<Sum>(&format!(
            "CAST(SUM(CASE WHEN {condition} THEN savings.{column} ELSE 0 END) AS BIGINT)"
        ))
    };
    let sums: FiveSums = visible_savings(conn, caller, filter)
        .select((
            sum("savings.kind = 'estimated'", "amount_pence"),
            sum("savings.kind = 'validated'", "amount_pence"),
            sum("savings.kind = 'realised'", "amount_pence"),
            sum(
                "savings.kind = 'realised' AND savings.cashable",
                "amount_pence",
            ),
            sum("1 = 1", "one_off_cost_pence"),
        ))
        .first(conn)?;
    let sums: [Option<i64>; 5] = sums.into();
    let [estimated, validated, realised, cashable_realised, one_off_costs] =
        sums.map(|s| s.unwrap_or(0));
    Ok((
        total,
        Totals {
            estimated,
            validated,
            realised,
            cashable_realised,
            one_off_costs,
        },
    ))
}

/// A page of the register (or, without paging, the whole view for exports) with the
/// view's count and totals. With `cache` and the request's data version, the count and
/// totals are kept until the data changes; views narrowed by staleness depend on the clock
/// and are always worked out.
pub fn list(
    conn: &mut DbConn,
    caller: Option<&Caller>,
    filter: &Filter,
    sort: Sort,
    paging: Option<Paging>,
    cache: Option<(&Cache, i64)>,
) -> QueryResult<Listing> {
    let (total, totals) = match cache {
        Some((cache, version)) if filter.stale_days.is_none() => {
            let key = (caller.map(|c| c.organisation_id), format!("{filter:?}"));
            cache
                .kept::<RegisterTotals>()
                .get_or_try(version, key, || whole_view(conn, caller, filter))?
        }
        _ => whole_view(conn, caller, filter)?,
    };
    let query = visible(conn, caller, filter);
    let query = match sort {
        Sort::Updated => query.order((opportunities::updated_at.desc(), opportunities::id.desc())),
        // OPP-0009 before OPP-0010 before OPP-10000: by length, then text.
        Sort::Reference => query.order((
            sql::<BigInt>("LENGTH(opportunities.reference)").asc(),
            opportunities::reference.asc(),
        )),
        Sort::Savings => query.order((
            sql::<BigInt>(
                "(SELECT COALESCE(SUM(s.amount_pence), 0) FROM savings s \
                 WHERE s.opportunity_id = opportunities.id AND s.kind = 'estimated') DESC",
            ),
            opportunities::id.asc(),
        )),
    };
    // Without paging: the whole view (exports).
    let query = match paging {
        Some(p) => query.limit(p.per_page).offset(p.offset()),
        None => query,
    };
    let page: Vec<Opportunity> = query.select(Opportunity::as_select()).load(conn)?;
    let page_ids: Vec<i64> = page.iter().map(|o| o.id).collect();
    let by_opportunity = totals_by_opportunity(conn, &page_ids)?;
    let lead_ids: Vec<i64> = page.iter().map(|o| o.lead_organisation_id).collect();
    let leads: HashMap<i64, String> = organisations::table
        .filter(organisations::id.eq_any(&lead_ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let high: Vec<i64> = barriers::table
        .filter(barriers::opportunity_id.eq_any(&page_ids))
        .filter(barriers::status.eq("open"))
        .filter(barriers::severity.eq("high"))
        .select(barriers::opportunity_id)
        .load(conn)?;
    let items = page
        .into_iter()
        .map(|o| ListItem {
            lead: leads
                .get(&o.lead_organisation_id)
                .cloned()
                .unwrap_or_default(),
            totals: by_opportunity.get(&o.id).cloned().unwrap_or_default(),
            open_high_barriers: high.iter().filter(|id| **id == o.id).count() as i64,
            opportunity: o,
        })
        .collect();
    Ok(Listing {
        items,
        total,
        totals,
    })
}

/// The opportunity if the caller may see it; 404 otherwise.
pub fn load(conn: &mut DbConn, id: i64, caller: Option<&Caller>) -> AppResult<Opportunity> {
    let opportunity = opportunities::table
        .find(id)
        .select(Opportunity::as_select())
        .first(conn)?;
    authz::view_opportunity(caller, &opportunity)?;
    Ok(opportunity)
}

pub fn find_by_reference(conn: &mut DbConn, reference: &str) -> QueryResult<Option<Opportunity>> {
    opportunities::table
        .filter(opportunities::reference.eq(reference))
        .select(Opportunity::as_select())
        .first(conn)
        .optional()
}

/// Everything shown on an opportunity's page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Detail {
    pub lead: String,
    pub workspace: Option<(String, String)>,
    pub contact: Option<String>,
    pub partners: Vec<(i64, String)>,
    pub transitions: Vec<(Transition, String)>,
    pub savings: Vec<(Saving, String)>,
    pub totals: Totals,
    pub barriers: Vec<Barrier>,
    pub endorsements: Vec<(Endorsement, String, String)>,
    pub comments: Vec<(OpportunityComment, String, String)>,
}

/// Everything about `o`, as `caller` may see it: a linked workspace they cannot see is
/// left out.
pub fn detail(conn: &mut DbConn, o: &Opportunity, caller: Option<&Caller>) -> QueryResult<Detail> {
    let lead = organisations::table
        .find(o.lead_organisation_id)
        .select(organisations::name)
        .first(conn)?;
    let workspace = match o.workspace_id {
        Some(id) => workspaces::table
            .find(id)
            .select((workspaces::slug, workspaces::name))
            .first::<(String, String)>(conn)
            .optional()?
            .filter(|(slug, _)| crate::workspaces::queries::load(conn, slug, caller).is_ok()),
        None => None,
    };
    let contact = match o.contact_user_id {
        Some(id) => users::table
            .find(id)
            .select(users::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    let partners = partners(conn, o.id)?;
    let transitions = opportunity_transitions::table
        .inner_join(users::table)
        .filter(opportunity_transitions::opportunity_id.eq(o.id))
        .order(opportunity_transitions::id.asc())
        .select((Transition::as_select(), users::name))
        .load(conn)?;
    let savings: Vec<(Saving, String)> = savings::table
        .inner_join(organisations::table.on(organisations::id.eq(savings::organisation_id)))
        .filter(savings::opportunity_id.eq(o.id))
        .order((savings::financial_year.asc(), savings::id.asc()))
        .select((Saving::as_select(), organisations::name))
        .load(conn)?;
    let mut totals = Totals::default();
    for (s, _) in &savings {
        totals.add(s.kind, s.cashable, s.amount_pence, s.one_off_cost_pence);
    }
    let barriers = barriers::table
        .filter(barriers::opportunity_id.eq(o.id))
        .order(barriers::id.asc())
        .select(Barrier::as_select())
        .load(conn)?;
    let endorsements = endorsements::table
        .inner_join(organisations::table.on(organisations::id.eq(endorsements::organisation_id)))
        .inner_join(users::table.on(users::id.eq(endorsements::user_id)))
        .filter(endorsements::opportunity_id.eq(o.id))
        .order(endorsements::id.asc())
        .select((Endorsement::as_select(), organisations::name, users::name))
        .load(conn)?;
    let comments = opportunity_comments::table
        .inner_join(users::table)
        .inner_join(
            organisations::table.on(organisations::id.eq(opportunity_comments::organisation_id)),
        )
        .filter(opportunity_comments::opportunity_id.eq(o.id))
        .order(opportunity_comments::id.asc())
        .select((
            OpportunityComment::as_select(),
            users::name,
            organisations::name,
        ))
        .load(conn)?;
    Ok(Detail {
        lead,
        workspace,
        contact,
        partners,
        transitions,
        savings,
        totals,
        barriers,
        endorsements,
        comments,
    })
}

pub fn partners(conn: &mut DbConn, opportunity_id: i64) -> QueryResult<Vec<(i64, String)>> {
    opportunity_partners::table
        .inner_join(
            organisations::table.on(organisations::id.eq(opportunity_partners::organisation_id)),
        )
        .filter(opportunity_partners::opportunity_id.eq(opportunity_id))
        .order(organisations::name.asc())
        .select((organisations::id, organisations::name))
        .load(conn)
}

// One row attached to the opportunity, or not found (also when it belongs to another
// opportunity).
crate::child_row!(saving, savings, opportunity_id, Saving);
crate::child_row!(barrier, barriers, opportunity_id, Barrier);
crate::child_row!(
    comment,
    opportunity_comments,
    opportunity_id,
    OpportunityComment
);

crate::children_page!(
    transitions_page,
    opportunity_transitions,
    opportunity_id,
    Transition,
    opportunity_transitions::id.asc()
);
crate::children_page!(
    savings_page,
    savings,
    opportunity_id,
    Saving,
    (savings::financial_year.asc(), savings::id.asc())
);
crate::children_page!(
    barriers_page,
    barriers,
    opportunity_id,
    Barrier,
    barriers::id.asc()
);
crate::children_list!(
    /// Every partner's interest in the opportunity, first registered first.
    endorsements_of / endorsements_page,
    endorsements,
    opportunity_id,
    Endorsement,
    endorsements::id.asc()
);
crate::children_page!(
    comments_page,
    opportunity_comments,
    opportunity_id,
    OpportunityComment,
    opportunity_comments::id.asc()
);

/// The register's count and totals, kept by the caller's organisation (none when signed
/// out) and the filter.
pub struct RegisterTotals;

impl crate::cache::Keep for RegisterTotals {
    type Key = (Option<i64>, String);
    type Value = (i64, Totals);
    fn store() -> crate::cache::Versioned<Self::Key, Self::Value> {
        crate::cache::Versioned::new(2_000)
    }
}
