//! Errors mapped to HTTP once: API calls get `{"error": "..."}`, pages get a rendered message.
//! The person sees what went wrong in plain words; the log gets the cause.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::acd::{AcdCallError, AcdError};
use crate::sms::outbound::ReplyError;
use crate::store::StoreError;

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The request field the message is about, answered as `"field"`.
    pub field: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }

    /// 422: the request was understood but `field`'s value cannot be taken; the answer names
    /// the field so a client can point at it.
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; nothing was changed. Please try again.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.field {
            Some(field) => json!({ "error": self.message, "field": field }),
            None => json!({ "error": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<AcdCallError> for ApiError {
    fn from(e: AcdCallError) -> Self {
        match e {
            AcdCallError::Refused(AcdError::UnknownWorkitem) => ApiError::not_found(e.to_string()),
            AcdCallError::Refused(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            AcdCallError::Store(e) => ApiError::internal(e),
            AcdCallError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is shutting down; try again in a moment.",
            ),
        }
    }
}

impl From<ReplyError> for ApiError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::Empty | ReplyError::TooLong(_) => ApiError::bad_request(e.to_string()),
            ReplyError::NotYours | ReplyError::OptedOut(_) | ReplyError::QuietHours(_) => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
            }
            ReplyError::UnknownWorkitem => ApiError::not_found(e.to_string()),
            ReplyError::Store(e) => ApiError::internal(e),
        }
    }
}

/// An error answered as an HTML page with the message.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn internal(cause: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %cause, "page failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Something went wrong on the server; nothing was changed. Please try again."
                .into(),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::internal(e)
    }
}

impl From<AcdCallError> for PageError {
    fn from(e: AcdCallError) -> Self {
        PageError::internal(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = super::views::ErrorView {
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            message: self.message,
        };
        (self.status, super::views::render(&page)).into_response()
    }
}
