//! Page-number pagination for lists, on pages and on the API.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (at most 100).
    pub per_page: Option<i64>,
}

#[derive(Clone, Copy, Debug)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl PageQuery {
    pub fn paging(&self, default_per_page: i64) -> Paging {
        Paging {
            page: self.page.unwrap_or(1).max(1),
            per_page: self.per_page.unwrap_or(default_per_page).clamp(1, 100),
        }
    }
}

impl Paging {
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// For the pagination partial: links are `base` with `page=N` added.
    pub fn context(&self, total: i64, base: &str) -> Value {
        let pages = ((total + self.per_page - 1) / self.per_page).max(1);
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |n: i64| format!("{base}{sep}page={n}");
        json!({
            "page": self.page,
            "pages": pages,
            "total": total,
            "show": pages > 1,
            "prev": (self.page > 1).then(|| link(self.page - 1)),
            "next": (self.page < pages).then(|| link(self.page + 1)),
        })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn of(items: Vec<T>, paging: Paging, total: i64) -> Paged<T> {
        Paged {
            items,
            page: paging.page,
            per_page: paging.per_page,
            total,
        }
    }

    /// Pages a short list held in memory.
    pub fn slice(all: Vec<T>, paging: Paging) -> Paged<T> {
        let total = all.len() as i64;
        let items = all
            .into_iter()
            .skip(paging.offset() as usize)
            .take(paging.per_page as usize)
            .collect();
        Paged::of(items, paging, total)
    }
}

/// Defines `fn $name(conn, parent_id, paging) -> QueryResult<Paged<$model>>`: one page, in
/// SQL, of the rows of `$table` whose `$parent` column is `parent_id`, in `$order`, with
/// their total. The caller has already checked that the parent is visible.
#[macro_export]
macro_rules! children_page {
    ($name:ident, $table:ident, $parent:ident, $model:ty, $order:expr) => {
        pub fn $name(
            conn: &mut $crate::db::DbConn,
            parent_id: i64,
            paging: $crate::web::Paging,
        ) -> diesel::QueryResult<$crate::web::Paged<$model>> {
            let total = $table::table
                .filter($table::$parent.eq(parent_id))
                .count()
                .get_result(conn)?;
            let items = $table::table
                .filter($table::$parent.eq(parent_id))
                .order($order)
                .limit(paging.per_page)
                .offset(paging.offset())
                .select(<$model>::as_select())
                .load(conn)?;
            Ok($crate::web::Paged::of(items, paging, total))
        }
    };
}
