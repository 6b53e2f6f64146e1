//! Full-text search over title, summary and barriers. Both engines index the same words:
//! the text is lower-cased and split on anything that is not a letter or digit here, then
//! indexed by SQLite FTS5 (unicode61, diacritics kept) or PostgreSQL tsvector ('simple').
//! Queries match every term as a prefix, so both engines return the same opportunities.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbConn;
use crate::opportunities::model::Opportunity;
use crate::schema::{barriers, opportunities};

/// Lower-case words, in order.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// The search terms of a query: at most eight words.
pub fn terms(query: &str) -> Vec<String> {
    let mut terms = words(query);
    terms.dedup();
    terms.truncate(8);
    terms
}

/// An FTS5 query: every term as a quoted prefix, all required.
pub fn sqlite_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A tsquery: every term as a prefix, all required. Terms hold only letters and digits.
pub fn postgres_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Rebuilds one opportunity's entry from its own words (`Opportunity::search_text`) and its
/// barriers.
pub fn reindex(conn: &mut DbConn, opportunity_id: i64) -> QueryResult<()> {
    let o: Opportunity = opportunities::table
        .find(opportunity_id)
        .select(Opportunity::as_select())
        .first(conn)?;
    let barrier_texts: Vec<(String, String)> = barriers::table
        .filter(barriers::opportunity_id.eq(opportunity_id))
        .select((barriers::description, barriers::mitigation))
        .load(conn)?;
    let mut text = o.search_text();
    for (description, mitigation) in barrier_texts {
        text.push(' ');
        text.push_str(&description);
        text.push(' ');
        text.push_str(&mitigation);
    }
    let body = words(&text).join(" ");
    match conn {
        DbConn::Sqlite(c) => {
            diesel::sql_query("DELETE FROM opportunity_search WHERE rowid = ?")
                .bind::<BigInt, _>(opportunity_id)
                .execute(c)?;
            diesel::sql_query("INSERT INTO opportunity_search (rowid, body) VALUES (?, ?)")
                .bind::<BigInt, _>(opportunity_id)
                .bind::<Text, _>(body)
                .execute(c)?;
        }
        DbConn::Pg(c) => {
            diesel::sql_query(
                "UPDATE opportunities SET search = to_tsvector('simple', $1) WHERE id = $2",
            )
            .bind::<Text, _>(body)
            .bind::<BigInt, _>(opportunity_id)
            .execute(c)?;
        }
    }
    Ok(())
}

/// Rebuilds every entry (after an import, or to repair the index).
pub fn reindex_all(conn: &mut DbConn) -> QueryResult<usize> {
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute("DELETE FROM opportunity_search")?;
    }
    let ids: Vec<i64> = opportunities::table.select(opportunities::id).load(conn)?;
    for id in &ids {
        reindex(conn, *id)?;
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_and_lowered_the_same_way_for_both_engines() {
        assert_eq!(
            words("HR/TUPE: co-location, Café!"),
            vec!["hr", "tupe", "co", "location", "café"]
        );
        assert_eq!(
            sqlite_query(&terms("Joint  procurement")),
            "\"joint\"* AND \"procurement\"*"
        );
        assert_eq!(
            postgres_query(&terms("joint \"x\" ; drop")),
            "joint:* & x:* & drop:*"
        );
    }
}
