//! API errors: every failure answers `{"error": "...", "field": "..."}` with a status that
//! says whose fault it is. Bad input is 4xx with a message that says how to fix it;
//! internal failures are 500 with a generic message, the detail goes to the log.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use heron_directory::DirectoryError;
use heron_settings::SettingsError;
use heron_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A failed request.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: String,
    pub field: Option<&'static str>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            field: None,
            retry_after: None,
        }
    }
    /// 400: the request itself is malformed.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, msg)
    }
    /// 401: not (or no longer) authenticated.
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, msg)
    }
    /// 403: authenticated but not allowed.
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, msg)
    }
    /// 404.
    /// 503: what is asked needs something this process does not run.
    pub fn unavailable(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, msg)
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, msg)
    }
    /// 422 naming the field at fault.
    pub fn invalid(field: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, msg).with_field(field)
    }
    /// 500: log the detail, answer generically.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(target: "events", "admin API internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }
    /// Name the field at fault (only for 422 and 409 answers).
    pub fn with_field(mut self, field: &'static str) -> Self {
        if matches!(
            self.status,
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
        ) {
            self.field = Some(field);
        }
        self
    }
    /// A JSON body the `Json` extractor refused: 400 (415 without a JSON content type,
    /// 413 when too large).
    pub fn from_json(r: JsonRejection) -> Self {
        let status = match r.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::PAYLOAD_TOO_LARGE => r.status(),
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.error,
            field: self.field.map(str::to_owned),
        };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = s.to_string().parse()
        {
            r.headers_mut().insert("retry-after", v);
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::Conflict(_) => Self::new(StatusCode::CONFLICT, "already exists"),
            e => Self::internal(e),
        }
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Invalid(m) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            DirectoryError::Limit(_) | DirectoryError::Policy(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            DirectoryError::NotFound(_) => Self::not_found(e.to_string()),
            DirectoryError::Exists(_) => Self::new(StatusCode::CONFLICT, e.to_string()),
            DirectoryError::Store(e) => e.into(),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::UnknownKey(k) => Self::not_found(format!("unknown setting {k:?}")),
            SettingsError::Invalid { reason, .. } => Self::invalid("value", reason),
            SettingsError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let s = |e: ApiError| e.status.as_u16();
        assert_eq!(s(DirectoryError::Invalid("x".into()).into()), 422);
        assert_eq!(s(DirectoryError::NotFound("x".into()).into()), 404);
        assert_eq!(s(DirectoryError::Exists("x".into()).into()), 409);
        assert_eq!(s(DirectoryError::Policy(vec![]).into()), 422);
        assert_eq!(s(StoreError::Db("boom".into()).into()), 500);
        assert_eq!(s(SettingsError::UnknownKey("x".into()).into()), 404);
        let e: ApiError = SettingsError::Invalid {
            key: "k".into(),
            reason: "too big".into(),
        }
        .into();
        assert_eq!(
            (e.status.as_u16(), e.field, e.error.as_str()),
            (422, Some("value"), "too big")
        );
        // 500s never carry the detail.
        let e: ApiError = StoreError::Db("secret path /x".into()).into();
        assert!(!e.error.contains("secret"));
        // Only 422/409 name a field.
        assert_eq!(ApiError::not_found("x").with_field("name").field, None);
    }
}
