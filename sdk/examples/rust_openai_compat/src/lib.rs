//! switchboard-rust-openai-compat: a Switchboard provider plugin written in
//! Rust against the C header alone (no crates, no bindgen, no C++), to show
//! that the provider ABI is language-neutral. It serves any OpenAI-compatible
//! vendor (vLLM, llama.cpp's server, LM Studio, a hosted compatible API) as the
//! provider `rust_openai_compat`.
//!
//! It is built for ABI 1.4 and declares where its credential goes
//! (`authorization: Bearer <key>`), so a 1.4 host writes the key into each
//! request after the plugin has built it and the plugin never sees a key. A
//! host older than 1.4 still hands it the key; then, as the header asks, it
//! places the key itself where it declared.
//!
//! Every exported function is an `extern "C"` wrapper that runs its body
//! inside `guarded`: no Rust panic ever unwinds into the host.

mod abi;
mod json;
mod translate;

use abi::*;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use translate::{Failure, Request, Step, Stream, Usage};

// ------------------------------------------------------------- the tables

/// Where the vendor wants the credential (declared in the descriptor).
const CREDENTIAL_HEADER: &str = "authorization";
const CREDENTIAL_PREFIX: &str = "Bearer ";

static DESCRIPTOR: Shared<sb_provider_descriptor> = Shared(sb_provider_descriptor {
    struct_size: struct_size::<sb_provider_descriptor>(),
    id: sb_str::from_static("rust_openai_compat"),
    display_name: sb_str::from_static("OpenAI-compatible (Rust example)"),
    plugin_version: sb_str::from_static("0.1.0"),
    // Like `custom`: the operator names the server and the model.
    default_model: sb_str::empty(),
    default_api_base: sb_str::empty(),
    env_api_key: sb_str::from_static("RUST_OPENAI_COMPAT_API_KEY"),
    env_model: sb_str::from_static("RUST_OPENAI_COMPAT_MODEL"),
    env_api_base: sb_str::from_static("RUST_OPENAI_COMPAT_API_BASE"),
    // Tools and images are whatever the server takes: the body passes through.
    capabilities: SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING,
    stream_framing: SB_FRAMING_SSE,
    // No static list: the server lists its own models (model listing).
    known_models: std::ptr::null(),
    known_model_count: 0,
    credential_header: sb_str::from_static(CREDENTIAL_HEADER),
    credential_prefix: sb_str::from_static(CREDENTIAL_PREFIX),
});

static PLUGIN: Shared<sb_plugin> = Shared(sb_plugin {
    struct_size: struct_size::<sb_plugin>(),
    abi_major: SB_ABI_VERSION_MAJOR,
    abi_minor: SB_ABI_VERSION_MINOR,
    descriptor: &DESCRIPTOR.0,
    init: None,
    shutdown: None,
    build_chat_request,
    parse_chat_response,
    stream_open: Some(stream_open),
    stream_event: Some(stream_event),
    stream_close: Some(stream_close),
    build_models_request: Some(build_models_request),
    parse_models_response: Some(parse_models_response),
    get_extension: None,
    self_check: Some(self_check),
});

/// [load-thread] The one exported symbol (SB_ENTRY_SYMBOL).
#[no_mangle]
pub unsafe extern "C" fn switchboard_plugin_entry(
    _host: *const sb_host_info,
    abi_major_min: u32,
    abi_major_max: u32,
    plugin: *mut *const sb_plugin,
) -> sb_status {
    guarded(std::ptr::null(), || {
        if !(abi_major_min..=abi_major_max).contains(&SB_ABI_VERSION_MAJOR) {
            return Ok(SB_ERR_VERSION);
        }
        *plugin = &PLUGIN.0;
        Ok(SB_OK)
    })
}

// ------------------------------------------------------- the firewall

/// Runs one call's body: a `Failure` is reported to `err` and its status
/// returned; a panic is caught here, reported as an internal error, and never
/// crosses into the host. `err` may be NULL (then nothing is reported).
fn guarded(err: *const sb_error_sink, body: impl FnOnce() -> Result<sb_status, Failure>) -> sb_status {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(status)) => return status,
        Ok(Err(failure)) => failure,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Failure { status: SB_ERR_INTERNAL, kind: SB_ERROR_UPSTREAM, http_status: 0, message: format!("rust_openai_compat panicked: {}", what) }
        }
    };
    if !err.is_null() {
        // SAFETY: a non-NULL sink is the host's, valid for this call.
        let sink = unsafe { &*err };
        unsafe { (sink.report)(sink.ctx, failure.kind, failure.http_status, sb_str::of(failure.message.as_bytes())) };
    }
    failure.status
}

// ---------------------------------------------------- host-side helpers

unsafe fn text<'a>(s: &sb_str) -> &'a str {
    // The host's views are UTF-8 (the header's rule); anything else reads as empty.
    std::str::from_utf8(s.bytes()).unwrap_or("")
}

/// Hands `request` to the host's builder. `api_key` is empty from a 1.4
/// host, which writes the credential itself; a non-empty one means an older
/// host, and the key goes where the descriptor says.
unsafe fn send(request: &Request, api_key: &sb_str, out: &sb_http_request_builder) {
    (out.set_method)(out.ctx, sb_str::of(request.method.as_bytes()));
    (out.set_url)(out.ctx, sb_str::of(request.url.as_bytes()));
    for (name, value) in &request.headers {
        (out.add_header)(out.ctx, sb_str::of(name.as_bytes()), sb_str::of(value.as_bytes()));
    }
    let key = api_key.bytes();
    if !key.is_empty() {
        let value = [CREDENTIAL_PREFIX.as_bytes(), key].concat();
        (out.add_header)(out.ctx, sb_str::from_static(CREDENTIAL_HEADER), sb_str::of(&value));
    }
    if !request.body.is_empty() {
        (out.append_body)(out.ctx, request.body.as_ptr() as *const c_char, request.body.len());
    }
}

fn to_sb_usage(u: &Usage) -> sb_usage {
    sb_usage {
        struct_size: struct_size::<sb_usage>(),
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        cached_tokens: u.cached_tokens,
        reasoning_tokens: u.reasoning_tokens,
    }
}

// ------------------------------------------------------ the ABI functions

unsafe extern "C" fn build_chat_request(
    config: *const sb_provider_config,
    request: *const sb_chat_request,
    out: *const sb_http_request_builder,
    err: *const sb_error_sink,
) -> sb_status {
    guarded(err, || {
        let request = &*request;
        let built = translate::build_chat_request(text(&(*config).api_base), request.body_json.bytes(), request.stream != 0)?;
        send(&built, &(*config).api_key, &*out);
        Ok(SB_OK)
    })
}

unsafe extern "C" fn parse_chat_response(
    _config: *const sb_provider_config,
    response: *const sb_http_response,
    out: *const sb_sink,
    err: *const sb_error_sink,
) -> sb_status {
    guarded(err, || {
        let response = &*response;
        let (body, usage) = translate::parse_chat_response(response.status, response.body.bytes())?;
        if let Some(usage) = usage {
            if table_has!(response, sb_http_response, usage) && !response.usage.is_null() {
                let sink = &*response.usage;
                (sink.report)(sink.ctx, &to_sb_usage(&usage));
            }
        }
        let out = &*out;
        (out.write)(out.ctx, body.as_ptr() as *const c_char, body.len());
        Ok(SB_OK)
    })
}

unsafe extern "C" fn stream_open(
    config: *const sb_provider_config,
    _request: *const sb_chat_request,
    stream: *mut *mut sb_stream,
    err: *const sb_error_sink,
) -> sb_status {
    *stream = std::ptr::null_mut();
    guarded(err, || {
        let state = Box::new(Stream::new(text(&(*config).model).to_string()));
        *stream = Box::into_raw(state) as *mut sb_stream;
        Ok(SB_OK)
    })
}

unsafe extern "C" fn stream_event(
    stream: *mut sb_stream,
    event: *const sb_stream_event,
    out: *const sb_chunk_sink,
    err: *const sb_error_sink,
) -> sb_status {
    guarded(err, || {
        let state = &mut *(stream as *mut Stream);
        let out = &*out;
        match state.on_event((*event).data.bytes())? {
            Step::Skip => Ok(SB_OK),
            Step::End => Ok(SB_STREAM_END),
            Step::Chunk(chunk, usage) => {
                // Reported before the chunk that carries it, as the header asks.
                if let Some(usage) = usage {
                    if table_has!(out, sb_chunk_sink, usage) {
                        (out.usage)(out.ctx, &to_sb_usage(&usage));
                    }
                }
                (out.emit)(out.ctx, chunk.as_ptr() as *const c_char, chunk.len());
                Ok(SB_OK)
            }
        }
    })
}

unsafe extern "C" fn stream_close(stream: *mut sb_stream, out: *const sb_chunk_sink, err: *const sb_error_sink) -> sb_status {
    guarded(err, || {
        // Owned again from here: freed however this call ends.
        let state = Box::from_raw(stream as *mut Stream);
        if !out.is_null() {
            if let Some(chunk) = state.closing_chunk() {
                let out = &*out;
                (out.emit)(out.ctx, chunk.as_ptr() as *const c_char, chunk.len());
            }
        }
        Ok(SB_OK)
    })
}

unsafe extern "C" fn build_models_request(
    config: *const sb_provider_config,
    out: *const sb_http_request_builder,
    err: *const sb_error_sink,
) -> sb_status {
    guarded(err, || {
        let config = &*config;
        send(&translate::build_models_request(text(&config.api_base)), &config.api_key, &*out);
        Ok(SB_OK)
    })
}

unsafe extern "C" fn parse_models_response(
    _config: *const sb_provider_config,
    response: *const sb_http_response,
    out: *const sb_model_sink,
    err: *const sb_error_sink,
) -> sb_status {
    guarded(err, || {
        let response = &*response;
        let out = &*out;
        for id in translate::parse_models_response(response.status, response.body.bytes())? {
            (out.add)(out.ctx, sb_str::of(id.as_bytes()), sb_str::empty());
        }
        Ok(SB_OK)
    })
}

/// `switchboard plugin check`: the translation of a canned answer, through
/// the same code the request path runs.
unsafe extern "C" fn self_check(err: *const sb_error_sink) -> sb_status {
    guarded(err, || {
        let answer = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#;
        match translate::parse_chat_response(200, answer) {
            Ok((_, Some(usage))) if usage.prompt_tokens == 1 => Ok(SB_OK),
            _ => Err(Failure {
                status: SB_ERR_INTERNAL,
                kind: SB_ERROR_UPSTREAM,
                http_status: 0,
                message: "self check: a canned chat answer did not translate".into(),
            }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::raw::c_void;

    unsafe extern "C" fn record(ctx: *mut c_void, kind: sb_error_kind, _status: i32, message: sb_str) {
        let seen = &mut *(ctx as *mut Vec<(sb_error_kind, String)>);
        seen.push((kind, String::from_utf8_lossy(message.bytes()).into_owned()));
    }

    #[test]
    fn a_panic_becomes_an_internal_error_and_goes_no_further() {
        let mut seen: Vec<(sb_error_kind, String)> = Vec::new();
        let sink = sb_error_sink { struct_size: struct_size::<sb_error_sink>(), ctx: &mut seen as *mut _ as *mut c_void, report: record };
        // Keep the expected panic's message out of the test output.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let status = guarded(&sink, || panic!("boom"));
        let without_sink = guarded(std::ptr::null(), || panic!("no sink"));
        std::panic::set_hook(hook);
        assert_eq!((status, without_sink), (SB_ERR_INTERNAL, SB_ERR_INTERNAL));
        assert_eq!(seen.len(), 1);
        assert!(seen[0].1.contains("boom"), "{}", seen[0].1);
    }

    #[test]
    fn tables_describe_an_abi_1_4_plugin_that_never_sees_a_key() {
        let d = &DESCRIPTOR.0;
        assert_eq!(d.struct_size as usize, std::mem::size_of::<sb_provider_descriptor>());
        assert_eq!(unsafe { d.credential_header.bytes() }, b"authorization");
        assert_eq!(unsafe { d.credential_prefix.bytes() }, b"Bearer ");
        assert_eq!((PLUGIN.0.abi_major, PLUGIN.0.abi_minor), (1, 4));
    }
}
