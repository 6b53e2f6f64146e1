//! One error type for handlers; rendered as a JSON problem on the API and as a page elsewhere
//! (see `web::errors`).

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Page not found")]
    NotFound,
    /// A permission check said no. `visible`: the caller may know the thing exists (403);
    /// otherwise it answers exactly like a missing thing (404). Audited by `web::errors`.
    #[error("{}", if *visible { "You do not have permission to do that" } else { "Page not found" })]
    Denied { visible: bool, action: &'static str },
    #[error("Sign in to continue")]
    Unauthorized,
    #[error("Enter a correct email address and password")]
    InvalidCredentials,
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
        /// Why the fields were refused, which decides the status; a form shows the
        /// messages by the fields whatever the reason.
        why: Refusal,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: i64 },
    #[error("Your form has expired. Go back, reload the page and try again.")]
    Csrf,
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Unavailable,
    #[error("Sorry, there is a problem with the service")]
    Internal(#[from] anyhow::Error),
}

/// Why a request's fields were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The values break the rules: 422.
    Invalid,
    /// Every field names a record that does not exist or is not visible: 404, like any
    /// invisible thing.
    Unknown,
    /// Well-formed values the record's present state does not allow (a second review for a
    /// quarter, a move the stage cannot make): 409.
    Conflict,
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable snake_case code clients can match on.
    pub error: String,
    pub message: String,
    /// Field name → what is wrong with it.
    pub fields: BTreeMap<String, String>,
}

/// Left on a response when a permission check refused, so the refusal can be audited
/// outside the (rolled back) transaction.
#[derive(Clone, Copy, Debug)]
pub struct Denial {
    pub action: &'static str,
}

/// What the HTML error page needs, left on the response by `error_response`.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub message: String,
}

impl AppError {
    pub fn validation(fields: BTreeMap<String, String>) -> AppError {
        AppError::Validation {
            message: "Check the highlighted fields".into(),
            fields,
            why: Refusal::Invalid,
        }
    }

    /// Fields that name records which do not exist or which the caller cannot see.
    pub fn unknown_references(fields: BTreeMap<String, String>) -> AppError {
        AppError::Validation {
            message: "Something this refers to does not exist or is not visible to you".into(),
            fields,
            why: Refusal::Unknown,
        }
    }

    /// One field that names a record which does not exist or which the caller cannot see.
    pub fn unknown(name: &str, message: &str) -> AppError {
        AppError::unknown_references(BTreeMap::from([(name.to_string(), message.to_string())]))
    }

    pub fn field(name: &str, message: &str) -> AppError {
        AppError::refused(Refusal::Invalid, name, message)
    }

    /// One well-formed field that the record's present state does not allow (409).
    pub fn conflict_on(name: &str, message: &str) -> AppError {
        AppError::refused(Refusal::Conflict, name, message)
    }

    /// One field refused for `why`.
    pub fn refused(why: Refusal, name: &str, message: &str) -> AppError {
        AppError::Validation {
            message: message.to_string(),
            fields: BTreeMap::from([(name.to_string(), message.to_string())]),
            why,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound | AppError::Denied { visible: false, .. } => "not_found",
            AppError::Denied { visible: true, .. } => "forbidden",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::BadRequest(_) => "bad_request",
            AppError::Validation {
                why: Refusal::Unknown,
                ..
            } => "not_found",
            AppError::Validation {
                why: Refusal::Invalid,
                ..
            } => "validation_failed",
            AppError::Validation {
                why: Refusal::Conflict,
                ..
            }
            | AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Csrf => "csrf_failed",
            AppError::Unavailable => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::Denied { visible: false, .. } => StatusCode::NOT_FOUND,
            AppError::Denied { visible: true, .. } => StatusCode::FORBIDDEN,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation {
                why: Refusal::Unknown,
                ..
            } => StatusCode::NOT_FOUND,
            AppError::Validation {
                why: Refusal::Invalid,
                ..
            } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Validation {
                why: Refusal::Conflict,
                ..
            }
            | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let problem = Problem {
            error: self.code().to_string(),
            message: self.to_string(),
            fields: match self {
                AppError::Validation { fields, .. } => fields.clone(),
                _ => BTreeMap::new(),
            },
        };
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests { retry_after, .. } => {
                builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            AppError::Unauthorized => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::Unavailable => {
                builder.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        let mut response = builder.json(problem);
        response.extensions_mut().insert(ErrorInfo {
            message: self.to_string(),
        });
        if let AppError::Denied { action, .. } = self {
            response.extensions_mut().insert(Denial { action });
        }
        response
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => AppError::Unavailable,
            // The server went away under a query (a restart, a failover): a 503 to retry,
            // not a fault of this request.
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if lost_connection(info.message()) =>
            {
                AppError::Unavailable
            }
            // A reference to something that does not exist (or was removed meanwhile) that
            // no check caught: the request's fault, and nothing was written.
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::Validation {
                    message:
                        "Something this refers to does not exist. Reload the page and try again."
                            .into(),
                    fields: BTreeMap::new(),
                    why: Refusal::Invalid,
                }
            }
            // Two requests racing past the same check: the database keeps the rule.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("That already exists. Reload the page and try again.".into())
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// Messages PostgreSQL and libpq give when the connection, not the query, failed.
fn lost_connection(message: &str) -> bool {
    const SIGNS: &[&str] = &[
        "terminating connection",
        "server closed the connection",
        "connection to server",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "the database system is shutting down",
        "the database system is starting up",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> AppError {
        AppError::Internal(e.into())
    }
}
