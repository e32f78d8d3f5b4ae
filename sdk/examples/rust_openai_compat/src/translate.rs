//! The translation itself, in plain Rust with no raw pointers: the vendor
//! already speaks the unified dialect (OpenAI chat completions), so requests
//! and answers pass through as bytes; this file only adds the URL and
//! headers, asks a stream for its usage, reads token counts and classifies
//! errors. `lib.rs` puts it behind the C ABI.

use crate::abi::*;
use crate::json::{self, Kind, Value};

/// Why a call failed: what the plugin returns and reports to the error sink.
#[derive(Debug)]
pub struct Failure {
    pub status: sb_status,
    pub kind: sb_error_kind,
    pub http_status: i32,
    pub message: String,
}

impl Failure {
    fn upstream(kind: sb_error_kind, http_status: i32, message: String) -> Failure {
        Failure { status: SB_ERR_UPSTREAM, kind, http_status, message }
    }
}

/// Token counts; SB_USAGE_UNKNOWN where the vendor gave none.
#[derive(Debug, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cached_tokens: i64,
    pub reasoning_tokens: i64,
}

/// A vendor HTTP request to hand to the host's builder.
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Vec<u8>,
}

fn join_url(api_base: &str, path: &str) -> String {
    format!("{}{}", api_base.trim_end_matches('/'), path)
}

/// POST {api_base}/chat/completions with the client's body as the host gave
/// it (model already the vendor's). A stream also asks for the vendor's
/// usage event. No credential: the host writes it (credential_header).
pub fn build_chat_request(api_base: &str, body: &[u8], stream: bool) -> Result<Request, Failure> {
    let accept = if stream { "text/event-stream" } else { "application/json" };
    let body = if stream { with_stream_usage(body)? } else { body.to_vec() };
    Ok(Request {
        method: "POST",
        url: join_url(api_base, "/chat/completions"),
        headers: vec![("content-type", "application/json"), ("accept", accept)],
        body,
    })
}

/// GET {api_base}/models.
pub fn build_models_request(api_base: &str) -> Request {
    Request {
        method: "GET",
        url: join_url(api_base, "/models"),
        headers: vec![("accept", "application/json")],
        body: Vec::new(),
    }
}

/// The body with "stream_options" carrying "include_usage": true, keeping
/// whatever else the client put there; every other byte as it came.
fn with_stream_usage(body: &[u8]) -> Result<Vec<u8>, Failure> {
    let doc = json::parse(body).filter(|v| v.is_object()).ok_or_else(|| Failure {
        status: SB_ERR_INVALID_ARGUMENT,
        kind: SB_ERROR_INVALID_REQUEST,
        http_status: 0,
        message: "request body is not a JSON object".into(),
    })?;
    let mut options = String::from("{\"include_usage\":true");
    let mut found: Option<Value> = None;
    if let Some(old) = doc.get("stream_options") {
        found = Some(old);
        for (key, value) in old.members() {
            if !json::key_equals(key, "include_usage") {
                options.push(',');
                options.push('"');
                options.push_str(std::str::from_utf8(key).unwrap_or_default());
                options.push_str("\":");
                options.push_str(std::str::from_utf8(value.text).unwrap_or_default());
            }
        }
    }
    options.push('}');
    let mut out = Vec::with_capacity(body.len() + options.len() + 20);
    match found {
        Some(old) => {
            // Replace the old value in place.
            let at = offset_in(body, old.text);
            out.extend_from_slice(&body[..at]);
            out.extend_from_slice(options.as_bytes());
            out.extend_from_slice(&body[at + old.text.len()..]);
        }
        None => {
            // Insert as the first member: the host guarantees "messages", so
            // the object is not empty and a comma follows.
            let at = offset_in(body, doc.text) + 1;
            out.extend_from_slice(&body[..at]);
            out.extend_from_slice(b"\"stream_options\":");
            out.extend_from_slice(options.as_bytes());
            out.push(b',');
            out.extend_from_slice(&body[at..]);
        }
    }
    Ok(out)
}

fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

fn is_2xx(status: i32) -> bool {
    (200..300).contains(&status)
}

/// OpenAI's "usage" object as typed counts.
pub fn usage_of(usage: &Value) -> Usage {
    let count = |v: Option<i64>| v.filter(|n| *n >= 0).unwrap_or(SB_USAGE_UNKNOWN);
    let detail = |object: &str, key: &str| count(usage.object(object).and_then(|d| d.int(key)));
    Usage {
        prompt_tokens: count(usage.int("prompt_tokens")),
        completion_tokens: count(usage.int("completion_tokens")),
        cached_tokens: detail("prompt_tokens_details", "cached_tokens"),
        reasoning_tokens: detail("completion_tokens_details", "reasoning_tokens"),
    }
}

fn not_the_api(status: i32, what: &str) -> Failure {
    Failure::upstream(
        SB_ERROR_API_BASE_INCORRECT,
        status,
        format!("the API base answered HTTP {} with {}: it does not look like an OpenAI-compatible API", status, what),
    )
}

/// A whole chat answer: for 2xx the body to pass on and its usage, else the
/// classified error.
pub fn parse_chat_response(status: i32, body: &[u8]) -> Result<(&[u8], Option<Usage>), Failure> {
    if !is_2xx(status) {
        return Err(classify(status, body));
    }
    let doc = json::parse(body).filter(|v| v.is_object()).ok_or_else(|| not_the_api(status, "a body that is not a JSON object"))?;
    if let Some(error) = doc.get("error").filter(|e| e.kind() != Kind::Null) {
        return Err(error_value(status, &error));
    }
    if doc.get("choices").map(|c| c.kind()) != Some(Kind::Array) {
        return Err(not_the_api(status, "no \"choices\" array"));
    }
    Ok((doc.text, doc.object("usage").map(|u| usage_of(&u))))
}

/// The model ids of a model-list answer ("data": [{"id": ...}], or a bare
/// array as some servers send).
pub fn parse_models_response(status: i32, body: &[u8]) -> Result<Vec<String>, Failure> {
    if !is_2xx(status) {
        return Err(classify(status, body));
    }
    let doc = json::parse(body).ok_or_else(|| not_the_api(status, "a model list that is not JSON"))?;
    let list = match doc.kind() {
        Kind::Array => doc,
        _ => doc.get("data").filter(|d| d.kind() == Kind::Array).ok_or_else(|| not_the_api(status, "no \"data\" array"))?,
    };
    Ok(list.elements().filter_map(|m| m.string("id")).filter(|id| !id.is_empty()).collect())
}

/// An error answer, classified by its status first and by the vendor's
/// error code where the status is not specific enough.
pub fn classify(status: i32, body: &[u8]) -> Failure {
    let doc = json::parse(body);
    let error = doc.and_then(|d| d.get("error")).filter(|e| e.kind() != Kind::Null);
    let code = error.map(|e| error_code(&e)).unwrap_or_default();
    let kind = match status {
        401 => SB_ERROR_INVALID_API_KEY,
        403 => SB_ERROR_PERMISSION_DENIED,
        // A 404 without an OpenAI-style error is a page of some other server.
        404 if error.is_none() => SB_ERROR_API_BASE_INCORRECT,
        404 => SB_ERROR_MODEL_NOT_FOUND,
        429 => SB_ERROR_RATE_LIMITED,
        400 | 413 | 422 => kind_of_code(&code).unwrap_or(SB_ERROR_INVALID_REQUEST),
        _ => kind_of_code(&code).unwrap_or(SB_ERROR_UPSTREAM),
    };
    let message = error
        .and_then(|e| if e.kind() == Kind::String { e.as_string() } else { e.string("message") })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("the vendor answered HTTP {}", status));
    Failure::upstream(kind, status, message)
}

/// An "error" value inside a 2xx answer or a stream event.
fn error_value(status: i32, error: &Value) -> Failure {
    let kind = kind_of_code(&error_code(error)).unwrap_or(SB_ERROR_UPSTREAM);
    let message = if error.kind() == Kind::String { error.as_string() } else { error.string("message") };
    Failure::upstream(kind, status, message.unwrap_or_else(|| "the vendor reported an error".into()))
}

/// The vendor's error code, or its type when it has no code.
fn error_code(error: &Value) -> String {
    error.string("code").or_else(|| error.string("type")).unwrap_or_default()
}

fn kind_of_code(code: &str) -> Option<sb_error_kind> {
    match code {
        "context_length_exceeded" | "string_above_max_length" => Some(SB_ERROR_CONTEXT_LENGTH),
        "content_filter" | "content_policy_violation" => Some(SB_ERROR_CONTENT_FILTER),
        "rate_limit_exceeded" | "insufficient_quota" => Some(SB_ERROR_RATE_LIMITED),
        "invalid_api_key" => Some(SB_ERROR_INVALID_API_KEY),
        "model_not_found" => Some(SB_ERROR_MODEL_NOT_FOUND),
        _ => None,
    }
}

/// One streaming answer: chunks pass through; what the stream learns is kept
/// to write the usage chunk a client always gets, when the vendor sent none.
pub struct Stream {
    model: String,
    id: String,
    created: i64,
    saw_usage: bool,
}

/// What one stream event comes to.
pub enum Step<'a> {
    /// Nothing to emit (a blank event).
    Skip,
    /// Emit this chunk; report its usage first when there is one.
    Chunk(&'a [u8], Option<Usage>),
    /// The vendor's [DONE].
    End,
}

impl Stream {
    pub fn new(model: String) -> Stream {
        Stream { model, id: String::new(), created: 0, saw_usage: false }
    }

    pub fn on_event<'a>(&mut self, data: &'a [u8]) -> Result<Step<'a>, Failure> {
        let data = trim(data);
        if data.is_empty() {
            return Ok(Step::Skip);
        }
        if data == b"[DONE]" {
            return Ok(Step::End);
        }
        let chunk = json::parse(data).filter(|v| v.is_object()).ok_or_else(|| not_the_api(200, "a stream event that is not a JSON object"))?;
        if let Some(error) = chunk.get("error").filter(|e| e.kind() != Kind::Null) {
            return Err(error_value(0, &error));
        }
        if self.id.is_empty() {
            self.id = chunk.string("id").unwrap_or_default();
        }
        if let Some(model) = chunk.string("model").filter(|m| !m.is_empty()) {
            self.model = model;
        }
        if self.created == 0 {
            self.created = chunk.int("created").unwrap_or(0);
        }
        let usage = chunk.object("usage").map(|u| usage_of(&u));
        self.saw_usage |= usage.is_some();
        Ok(Step::Chunk(chunk.text, usage))
    }

    /// The closing usage chunk (zero counts, as the other plugins send) when
    /// the stream carried none.
    pub fn closing_chunk(&self) -> Option<String> {
        if self.saw_usage {
            return None;
        }
        let mut out = String::from("{\"id\":");
        json::write_string(&mut out, &self.id);
        out.push_str(&format!(",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":", self.created));
        json::write_string(&mut out, &self.model);
        out.push_str(",\"choices\":[],\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}");
        Some(out)
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !first.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !last.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(r: &Request) -> String {
        String::from_utf8(r.body.clone()).unwrap()
    }

    #[test]
    fn passes_a_plain_request_through() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#;
        let r = build_chat_request("http://x/v1/", body, false).unwrap();
        assert_eq!(r.url, "http://x/v1/chat/completions");
        assert_eq!(r.body, body.to_vec());
        assert!(r.headers.iter().all(|(name, _)| *name != "authorization"));
    }

    #[test]
    fn asks_a_stream_for_usage() {
        let body = br#"{"model":"m","messages":[],"stream":true}"#;
        let r = build_chat_request("http://x", body, true).unwrap();
        let v = json::parse(&r.body).expect("valid JSON");
        assert_eq!(v.object("stream_options").unwrap().get("include_usage").unwrap().text, b"true");
        assert_eq!(v.string("model").as_deref(), Some("m"));

        let own = br#"{"messages":[],"stream":true,"stream_options":{"include_usage":false,"x":1}}"#;
        let r = build_chat_request("http://x", own, true).unwrap();
        assert_eq!(body_of(&r), r#"{"messages":[],"stream":true,"stream_options":{"include_usage":true,"x":1}}"#);
    }

    #[test]
    fn reads_usage_and_passes_the_answer_on() {
        let body = br#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2}}}"#;
        let (out, usage) = parse_chat_response(200, body).unwrap();
        assert_eq!(out, &body[..]);
        assert_eq!(
            usage,
            Some(Usage { prompt_tokens: 5, completion_tokens: 1, cached_tokens: 2, reasoning_tokens: SB_USAGE_UNKNOWN })
        );
    }

    #[test]
    fn classifies_errors_by_status() {
        let body = br#"{"error":{"message":"nope","type":"x","code":null}}"#;
        for (status, kind) in [
            (401, SB_ERROR_INVALID_API_KEY),
            (403, SB_ERROR_PERMISSION_DENIED),
            (404, SB_ERROR_MODEL_NOT_FOUND),
            (429, SB_ERROR_RATE_LIMITED),
            (400, SB_ERROR_INVALID_REQUEST),
            (500, SB_ERROR_UPSTREAM),
        ] {
            let f = parse_chat_response(status, body).unwrap_err();
            assert_eq!((f.kind, f.http_status, f.message.as_str()), (kind, status, "nope"));
        }
        let f = classify(400, br#"{"error":{"message":"long","code":"context_length_exceeded"}}"#);
        assert_eq!(f.kind, SB_ERROR_CONTEXT_LENGTH);
        assert_eq!(classify(404, b"<html>Not Found</html>").kind, SB_ERROR_API_BASE_INCORRECT);
        assert_eq!(parse_chat_response(200, b"<html></html>").unwrap_err().kind, SB_ERROR_API_BASE_INCORRECT);
    }

    #[test]
    fn streams_chunks_and_closes_with_usage() {
        let mut s = Stream::new("m".into());
        let chunk = br#" {"id":"c1","object":"chat.completion.chunk","created":7,"model":"v","choices":[]} "#;
        match s.on_event(chunk).unwrap() {
            Step::Chunk(text, None) => assert_eq!(text[0], b'{'),
            _ => panic!("expected a chunk"),
        }
        assert!(matches!(s.on_event(b"[DONE]").unwrap(), Step::End));
        let closing = s.closing_chunk().unwrap();
        let v = json::parse(closing.as_bytes()).unwrap();
        assert_eq!((v.string("id").as_deref(), v.int("created"), v.string("model").as_deref()), (Some("c1"), Some(7), Some("v")));

        let with_usage = br#"{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#;
        assert!(matches!(s.on_event(with_usage).unwrap(), Step::Chunk(_, Some(_))));
        assert!(s.closing_chunk().is_none());

        let f = s.on_event(br#"{"error":{"message":"overloaded","code":"rate_limit_exceeded"}}"#).err().unwrap();
        assert_eq!((f.kind, f.message.as_str()), (SB_ERROR_RATE_LIMITED, "overloaded"));
    }

    #[test]
    fn lists_models() {
        let ids = parse_models_response(200, br#"{"data":[{"id":"a"},{"id":"b"},{"x":1}]}"#).unwrap();
        assert_eq!(ids, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(parse_models_response(401, b"{}").unwrap_err().kind, SB_ERROR_INVALID_API_KEY);
    }
}
