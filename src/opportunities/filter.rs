//! The register's one filter: the query string of the register page, the API list and the
//! exports, parsed into a `Filter` and a `Sort` with a clear 400 for a bad value.

use serde::Deserialize;
use utoipa::IntoParams;

use super::model::*;
use super::queries::{Filter, Sort};
use crate::error::{AppError, AppResult};

/// The register's query string, as typed: everything optional. The register page, the API
/// list and both exports read this one type.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// Words to find in titles, summaries and barriers (each as a prefix).
    pub q: Option<String>,
    #[param(value_type = Option<Stage>)]
    pub stage: Option<String>,
    /// Lead organisation id.
    #[param(value_type = Option<i64>)]
    pub lead: Option<String>,
    /// Partner organisation id.
    #[param(value_type = Option<i64>)]
    pub partner: Option<String>,
    #[param(value_type = Option<ServiceArea>)]
    pub service_area: Option<String>,
    #[param(value_type = Option<OpportunityKind>)]
    pub kind: Option<String>,
    /// Theme workspace id.
    #[param(value_type = Option<i64>)]
    pub theme: Option<String>,
    /// "open_high": only those with open high-severity barriers.
    #[param(pattern = "^(open_high)?$")]
    pub barriers: Option<String>,
    /// Days without a stage change: only open opportunities stuck that long.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    pub stale: Option<String>,
    #[param(pattern = "^(updated|reference|savings)?$")]
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl RegisterQuery {
    /// The filter, or a clear 400 naming what is wrong.
    pub fn filter(&self) -> AppResult<(Filter, Sort)> {
        let bad = |field: &str, message: &str| AppError::field(field, message);
        let id = |field: &str, v: &Option<String>| -> AppResult<Option<i64>> {
            present(v)
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| bad(field, "Choose from the list"))
                })
                .transpose()
        };
        let filter = Filter {
            q: self.q.clone().unwrap_or_default(),
            stage: present(&self.stage)
                .map(|s| Stage::parse(s).map_err(|m| bad("stage", m)))
                .transpose()?,
            lead: id("lead", &self.lead)?,
            partner: id("partner", &self.partner)?,
            service_area: present(&self.service_area)
                .map(|s| ServiceArea::parse(s).map_err(|m| bad("service_area", m)))
                .transpose()?,
            kind: present(&self.kind)
                .map(|s| OpportunityKind::parse(s).map_err(|m| bad("kind", m)))
                .transpose()?,
            theme: id("theme", &self.theme)?,
            open_high_barriers: matches!(present(&self.barriers), Some("open_high")),
            stale_days: present(&self.stale)
                .map(|s| match s.parse::<i64>() {
                    Ok(days) if (1..=3650).contains(&days) => Ok(days),
                    _ => Err(bad("stale", "Enter a number of days from 1 to 3650")),
                })
                .transpose()?,
        };
        let sort = Sort::parse(present(&self.sort).unwrap_or("")).map_err(|m| bad("sort", m))?;
        Ok((filter, sort))
    }

    /// The same query again, without the page, for pagination links.
    pub fn base_link(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("q", &self.q),
            ("stage", &self.stage),
            ("lead", &self.lead),
            ("partner", &self.partner),
            ("service_area", &self.service_area),
            ("kind", &self.kind),
            ("theme", &self.theme),
            ("barriers", &self.barriers),
            ("stale", &self.stale),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter_map(|(k, v)| present(v).map(|v| (k, v)))
        .collect();
        let query = serde_html_form::to_string(pairs).unwrap_or_default();
        if query.is_empty() {
            "/opportunities".into()
        } else {
            format!("/opportunities?{query}")
        }
    }
}
