//! How handlers answer what they were asked to do: a form's field errors split off the
//! outcome, to show on the form again; an API request's field errors as the 422 answer;
//! and one page of a list as the API answers it.

use std::future::Future;

use super::FieldErrors;
use crate::error::{AppError, AppResult};

/// A change's outcome with its validation errors split off: `Ok(Err(errors))` to show them
/// on the form again, `Err` for any other failure.
pub fn form_outcome<T>(outcome: AppResult<T>) -> AppResult<Result<T, FieldErrors>> {
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(AppError::Validation { fields, .. }) => Ok(Err(FieldErrors::from_map(fields))),
        Err(e) => Err(e),
    }
}

/// Saves what a form was parsed into, if it was: what the save gives back, or the field
/// errors of the parse or of the save's validation (see `form_outcome`).
pub async fn save_parsed<P, T, F, Fut>(
    parsed: Result<P, FieldErrors>,
    save: F,
) -> AppResult<Result<T, FieldErrors>>
where
    F: FnOnce(P) -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    match parsed {
        Ok(value) => form_outcome(save(value).await),
        Err(errors) => Ok(Err(errors)),
    }
}

/// The field errors of an API request's body, as the 422 answer gives them.
pub fn invalid(errors: FieldErrors) -> AppError {
    AppError::validation(errors.into_map())
}

/// Defines `pub struct $name($item);` as one page of a list of `$item`, as the API answers
/// it: its items, the page, the items per page and the total, with the attributes given
/// (its derives: the API document names it after `$name`). `$name::of(items, paging,
/// total)` makes one.
#[macro_export]
macro_rules! api_list {
    ($(#[$meta:meta])* pub struct $name:ident($item:ident);) => {
        $(#[$meta])*
        pub struct $name {
            pub items: Vec<$item>,
            pub page: i64,
            pub per_page: i64,
            pub total: i64,
        }

        impl $name {
            /// The page `paging` asks for: `items`, of `total` in all.
            pub fn of(items: Vec<$item>, paging: $crate::web::Paging, total: i64) -> $name {
                $name {
                    items,
                    page: paging.page,
                    per_page: paging.per_page,
                    total,
                }
            }
        }
    };
}
