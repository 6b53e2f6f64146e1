//! Pages that belong to no feature: the start page, the accessibility statement and the
//! health check.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{Page, Titled};

pub async fn home(page: Page) -> AppResult<HttpResponse> {
    page.render("home", Titled { title: "Home" })
}

pub async fn accessibility(page: Page) -> AppResult<HttpResponse> {
    page.render(
        "accessibility",
        Titled {
            title: "Accessibility statement",
        },
    )
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// ok | unavailable
    pub status: &'static str,
    /// sqlite | postgres
    pub database: &'static str,
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.backend().name();
    let ok = state
        .db
        .run(|conn| Ok(conn.batch_execute("SELECT 1")?))
        .await
        .is_ok();
    if ok {
        HttpResponse::Ok().json(Health {
            status: "ok",
            database,
        })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
            database,
        })
    }
}
