//! API errors as Kubernetes `Status` objects: every failure a client sees has a `code`, a
//! `reason` and a message in the shape kubectl prints (`Error from server (<reason>): …`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_store::StoreError;
use serde_json::{Value, json};

use crate::resources::ResourceDef;

/// One field-level problem of a 422 `Invalid` (or a 409 apply conflict).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub kind: &'static str,
    pub field: String,
    pub message: String,
}

impl Cause {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Cause { kind: "FieldValueInvalid", field: field.into(), message: message.into() }
    }
    pub fn required(field: impl Into<String>) -> Self {
        Cause { kind: "FieldValueRequired", field: field.into(), message: "Required value".into() }
    }
}

/// A failed request, rendered as a `Status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Box<Details>>,
}

/// `Status.details`: what the error is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Details {
    pub name: Option<String>,
    pub group: Option<String>,
    pub kind: Option<String>,
    pub causes: Vec<Cause>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, reason, message: message.into(), details: None }
    }

    fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Box::default)
    }

    fn about(mut self, def: &ResourceDef, name: &str) -> Self {
        let details = self.details_mut();
        details.name = Some(name.to_owned());
        details.group = Some(def.group.to_owned());
        details.kind = Some(def.plural.to_owned());
        self
    }

    pub fn with_causes(mut self, causes: Vec<Cause>) -> Self {
        self.details_mut().causes = causes;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn not_found(def: &ResourceDef, name: &str) -> Self {
        ApiError::new(404, "NotFound", format!("{} \"{name}\" not found", def.qualified()))
            .about(def, name)
    }

    pub fn no_route() -> Self {
        ApiError::new(404, "NotFound", "the server could not find the requested resource")
    }

    pub fn already_exists(def: &ResourceDef, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", def.qualified()),
        )
        .about(def, name)
    }

    pub fn conflict(def: &ResourceDef, name: &str) -> Self {
        let message = format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please \
             apply your changes to the latest version and try again",
            def.qualified()
        );
        ApiError::new(409, "Conflict", message).about(def, name)
    }

    pub fn invalid(def: &ResourceDef, kind: &str, name: &str, causes: Vec<Cause>) -> Self {
        let details: Vec<String> =
            causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        let group = if def.group.is_empty() { String::new() } else { format!(".{}", def.group) };
        let message = format!("{kind}{group} \"{name}\" is invalid: {}", details.join(", "));
        let mut error = ApiError::new(422, "Invalid", message).about(def, name);
        error.details_mut().kind = Some(kind.to_owned());
        error.with_causes(causes)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(403, "Forbidden", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {content_type:?})"
            ),
        )
    }

    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn gone(message: impl Into<String>) -> Self {
        ApiError::new(410, "Expired", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "InternalError", message)
    }

    /// A store failure on `def`/`name`.
    pub fn from_store(error: StoreError, def: &ResourceDef, name: &str) -> Self {
        match error {
            StoreError::NotFound { .. } => ApiError::not_found(def, name),
            StoreError::AlreadyExists { .. } => ApiError::already_exists(def, name),
            StoreError::Conflict { .. } => ApiError::conflict(def, name),
            StoreError::Compacted { requested, compacted } => ApiError::gone(format!(
                "The resourceVersion for the provided list is too old (requested {requested}, oldest available {compacted})"
            )),
            StoreError::FutureRevision { requested, current } => ApiError::new(
                504,
                "Timeout",
                format!("Too large resource version: {requested}, current: {current}"),
            ),
            StoreError::TooLarge { .. } => {
                ApiError::new(413, "RequestEntityTooLarge", format!("etcdserver: {error}"))
            }
            StoreError::InvalidKey { .. } => ApiError::bad_request(error.to_string()),
            StoreError::Unavailable { .. } | StoreError::Indeterminate { .. } => {
                ApiError::new(503, "ServiceUnavailable", error.to_string())
            }
            StoreError::Corrupt { .. } | StoreError::Internal { .. } => {
                ApiError::internal(error.to_string())
            }
        }
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        let Some(about) = &self.details else { return status };
        let mut details = serde_json::Map::new();
        if let Some(name) = &about.name {
            details.insert("name".into(), json!(name));
        }
        if let Some(group) = &about.group {
            details.insert("group".into(), json!(group));
        }
        if let Some(kind) = &about.kind {
            details.insert("kind".into(), json!(kind));
        }
        if !about.causes.is_empty() {
            let causes: Vec<Value> = about
                .causes
                .iter()
                .map(|c| json!({"reason": c.kind, "message": c.message, "field": c.field}))
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.to_status().to_string();
        let mut response = (code, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}
