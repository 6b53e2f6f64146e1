//! Validators and caching rules for every answer (RFC 9110 §8.8 and §13, RFC 9111).
//!
//! Every successful `GET` or `HEAD` answer gets a weak `ETag` made from the body it carries,
//! and a request whose `If-None-Match` names that tag is answered `304 Not Modified` without
//! the body. The tag follows exactly what was sent to this reader, whoever they are and
//! whatever the page depends on (the data, the time of day, the reader's rights), so it can
//! never keep a changed answer alive; a feed reader, a script polling an API list or an
//! export downloads a representation only when it changed. The tag is weak because the
//! same representation may be sent gzipped or not.
//!
//! Caching: an answer that sets no `Cache-Control` of its own is `private, no-cache` when it
//! succeeded (only the reader's own client may keep it, and asks again with its tag before
//! each use; nothing shared, like a proxy, may keep it) and `no-store` when it failed.
//! Answers that may be kept say they differ by `Authorization` and `Cookie`. HTML pages say
//! `no-store` themselves (`page::html_response`), static assets `public`.

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

/// Bodies larger than this are sent without a tag rather than held in memory to make one.
const MAX_TAGGED_BYTES: u64 = 64 * 1024 * 1024;

pub async fn validators(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let conditional = matches!(*req.method(), Method::GET | Method::HEAD);
    let mut res = next.call(req).await?.map_into_boxed_body();
    cache_rules(res.status(), res.headers_mut());
    let taggable = conditional
        && res.status() == StatusCode::OK
        && !res.headers().contains_key(header::ETAG)
        && matches!(res.response().body().size(), BodySize::Sized(n) if n <= MAX_TAGGED_BYTES);
    if !taggable {
        return Ok(res);
    }
    let (req, response) = res.into_parts();
    let (mut response, body) = response.into_parts();
    let bytes = body::to_bytes(body)
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
    let tag = etag(&bytes);
    response.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(&tag).expect("a tag is ASCII"),
    );
    if none_match(req.headers(), &tag) {
        return Ok(ServiceResponse::new(req, not_modified(response.headers())));
    }
    Ok(ServiceResponse::new(
        req,
        response.set_body(BoxBody::new(bytes)),
    ))
}

/// `W/"…"`: 128 bits of a fast hash of the body.
fn etag(bytes: &[u8]) -> String {
    format!("W/\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Whether `If-None-Match` names `tag` (weak comparison, RFC 9110 §13.1.2) or is `*`.
fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = opaque(tag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|given| given.trim() == "*" || opaque(given) == ours)
}

/// 304 carries what a 200 would have said about caching and the tag, and no body
/// (RFC 9110 §15.4.5).
fn not_modified(sent: &HeaderMap) -> HttpResponse {
    let mut response = HttpResponse::NotModified().finish();
    for (name, value) in sent {
        let about_the_body = name == header::CONTENT_TYPE
            || name == header::CONTENT_LENGTH
            || name == header::CONTENT_DISPOSITION
            || name == header::CONTENT_ENCODING;
        if !about_the_body {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

fn cache_rules(status: StatusCode, headers: &mut HeaderMap) {
    if !headers.contains_key(header::CACHE_CONTROL) {
        let rule = if status.is_success() || status.is_redirection() {
            "private, no-cache"
        } else {
            "no-store"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(rule));
    }
    let rule = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !rule.contains("no-store") && !rule.contains("public") {
        headers.append(
            header::VARY,
            HeaderValue::from_static("Authorization, Cookie"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_any() {
        let tag = etag(b"<feed/>");
        assert!(tag.starts_with("W/\"") && tag.ends_with('"'));
        assert_ne!(tag, etag(b"<feed></feed>"));
        let strong = tag.trim_start_matches("W/").to_string();
        assert!(none_match(&asking(&[&tag]), &tag));
        assert!(none_match(&asking(&[&strong]), &tag));
        assert!(none_match(&asking(&[&format!("\"other\", {tag}")]), &tag));
        assert!(none_match(&asking(&["\"a\"", &tag]), &tag));
        assert!(none_match(&asking(&["*"]), &tag));
        assert!(!none_match(&asking(&["\"a\", W/\"b\""]), &tag));
        assert!(!none_match(&asking(&[]), &tag));
    }

    #[test]
    fn answers_that_set_no_caching_are_private_and_revalidated_or_not_stored() {
        let mut ok = HeaderMap::new();
        cache_rules(StatusCode::OK, &mut ok);
        assert_eq!(ok.get(header::CACHE_CONTROL).unwrap(), "private, no-cache");
        assert_eq!(ok.get(header::VARY).unwrap(), "Authorization, Cookie");
        let mut failed = HeaderMap::new();
        cache_rules(StatusCode::NOT_FOUND, &mut failed);
        assert_eq!(failed.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert!(!failed.contains_key(header::VARY));
        let mut asset = HeaderMap::new();
        asset.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        cache_rules(StatusCode::OK, &mut asset);
        assert_eq!(
            asset.get(header::CACHE_CONTROL).unwrap(),
            "public, max-age=3600"
        );
        assert!(!asset.contains_key(header::VARY));
    }
}
