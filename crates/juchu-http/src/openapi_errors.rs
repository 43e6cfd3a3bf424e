//! The error statuses every operation can answer with, added to the OpenAPI document where a
//! route's own annotation does not list them: they come from shared layers (keys and roles, body
//! limits, JSON parsing, `Idempotency-Key`, `If-Match`), not from the handler, so listing them by
//! hand on each route would drift. schemathesis' status_code_conformance check holds us to it.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

/// Adds the shared error responses (`Problem`, `application/problem+json`) to every operation.
pub fn add_shared_errors(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                add(path, method, op);
            }
        }
    }
}

fn add(path: &str, method: &str, op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let if_match = params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("if-match"));
    let body = op.request_body.is_some();
    let post = method == "post";
    let keyed = path.starts_with("/api/") || path.starts_with("/webhooks/");
    let mut errors: Vec<(&str, &str)> = Vec::new();
    if body || post || if_match {
        errors.push((
            "400",
            "bad_request: malformed JSON, a missing body, or a bad `If-Match` / `Idempotency-Key` header",
        ));
    }
    if method != "get" {
        errors.push(("413", "payload_too_large: the body is over 1 MiB"));
    }
    if keyed {
        errors.push((
            "401",
            "unauthorized: no API key, an unknown one, or a bad webhook signature",
        ));
    }
    if op.security.is_some() {
        errors.push(("403", "forbidden: the key's role may not do this"));
    }
    if path.contains('{') {
        errors.push(("404", "not_found: no such resource"));
    }
    if post {
        errors.push((
            "409",
            "request_in_progress: a request with the same `Idempotency-Key` is still running",
        ));
    }
    if if_match {
        errors.push((
            "412",
            "version_conflict: `If-Match` is not the current version",
        ));
    }
    if body || query || post {
        errors.push((
            "422",
            "validation_failed: invalid fields or parameters, each named in `errors` (limits: docs/hostile-input.md)",
        ));
    }
    for (status, why) in errors {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(why)
                        .content(
                            "application/problem+json",
                            Content::new(Some(Ref::from_schema_name("Problem"))),
                        )
                        .build(),
                )
            });
    }
}
