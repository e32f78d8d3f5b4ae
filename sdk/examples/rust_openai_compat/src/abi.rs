//! A hand-written `#[repr(C)]` mirror of `sdk/include/switchboard/provider_abi.h`,
//! ABI 1.4, without bindgen: the C header is the contract and this file only
//! restates the part of it this plugin uses, type for type and field for field,
//! in the header's order. Read the header for what every field means, who owns
//! it and which thread may call it; the comments here only note what Rust needs.
//!
//! Mapping rules: `uint32_t`/`int32_t`/`int64_t`/`uint64_t`/`size_t` are
//! `u32`/`i32`/`i64`/`u64`/`usize`; `const char *` is `*const c_char`; a
//! `void *ctx` is `*mut c_void`; a function pointer the header marks "never
//! NULL" is a plain `unsafe extern "C" fn`, one it marks "may be NULL" (or NULL
//! without a capability) is `Option<unsafe extern "C" fn>`, which Rust
//! guarantees has the same representation as a nullable C function pointer.
//! Tables that end with fields appended in a later minor version are declared
//! with all of them; a reader checks `struct_size` (see `table_has!`) before it
//! touches one, exactly as SB_TABLE_HAS does in C.
// The header's names, kept as they are; a mirror declares more than this
// plugin happens to use.
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_void};

pub const SB_ABI_VERSION_MAJOR: u32 = 1;
/// The minor version this mirror was written against: 1.4 appended
/// `credential_header` and `credential_prefix` to the descriptor.
pub const SB_ABI_VERSION_MINOR: u32 = 4;

pub type sb_status = i32;
pub const SB_OK: sb_status = 0;
pub const SB_ERR_INVALID_ARGUMENT: sb_status = 1;
pub const SB_ERR_UPSTREAM: sb_status = 3;
pub const SB_ERR_VERSION: sb_status = 5;
pub const SB_ERR_INTERNAL: sb_status = 6;
pub const SB_STREAM_END: sb_status = 7;

pub type sb_error_kind = i32;
pub const SB_ERROR_INVALID_REQUEST: sb_error_kind = 1;
pub const SB_ERROR_INVALID_API_KEY: sb_error_kind = 2;
pub const SB_ERROR_RATE_LIMITED: sb_error_kind = 3;
pub const SB_ERROR_MODEL_NOT_FOUND: sb_error_kind = 4;
pub const SB_ERROR_API_BASE_INCORRECT: sb_error_kind = 5;
pub const SB_ERROR_UPSTREAM: sb_error_kind = 6;
pub const SB_ERROR_NOT_CONFIGURED: sb_error_kind = 7;
pub const SB_ERROR_PERMISSION_DENIED: sb_error_kind = 8;
pub const SB_ERROR_CONTEXT_LENGTH: sb_error_kind = 9;
pub const SB_ERROR_CONTENT_FILTER: sb_error_kind = 10;

pub const SB_CAP_STREAMING: u64 = 1 << 0;
pub const SB_CAP_TOOLS: u64 = 1 << 1;
pub const SB_CAP_VISION: u64 = 1 << 2;
pub const SB_CAP_MODEL_LISTING: u64 = 1 << 3;

pub const SB_FRAMING_SSE: i32 = 0;

pub const SB_USAGE_UNKNOWN: i64 = -1;

/// Frozen. A borrowed view; `ptr` may be NULL only when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sb_str {
    pub ptr: *const c_char,
    pub len: usize,
}

impl sb_str {
    /// A view of static bytes (usable in a `static` initialiser).
    pub const fn from_static(s: &'static str) -> sb_str {
        sb_str { ptr: s.as_ptr() as *const c_char, len: s.len() }
    }
    pub const fn empty() -> sb_str {
        sb_str { ptr: std::ptr::null(), len: 0 }
    }
    /// A view of `bytes`, valid while `bytes` is.
    pub fn of(bytes: &[u8]) -> sb_str {
        sb_str { ptr: bytes.as_ptr() as *const c_char, len: bytes.len() }
    }
    /// The viewed bytes.
    ///
    /// # Safety
    /// The view must be valid (the host's, during the call it came with).
    pub unsafe fn bytes<'a>(&self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(self.ptr as *const u8, self.len)
        }
    }
}

/// Frozen.
#[repr(C)]
pub struct sb_sink {
    pub ctx: *mut c_void,
    pub write: unsafe extern "C" fn(ctx: *mut c_void, bytes: *const c_char, len: usize),
}

#[repr(C)]
pub struct sb_error_sink {
    pub struct_size: u32,
    pub ctx: *mut c_void,
    pub report: unsafe extern "C" fn(ctx: *mut c_void, kind: sb_error_kind, http_status: i32, message: sb_str),
}

/// Frozen.
#[repr(C)]
pub struct sb_header {
    pub name: sb_str,
    pub value: sb_str,
}

#[repr(C)]
pub struct sb_provider_descriptor {
    pub struct_size: u32,
    pub id: sb_str,
    pub display_name: sb_str,
    pub plugin_version: sb_str,
    pub default_model: sb_str,
    pub default_api_base: sb_str,
    pub env_api_key: sb_str,
    pub env_model: sb_str,
    pub env_api_base: sb_str,
    pub capabilities: u64,
    pub stream_framing: i32,
    pub known_models: *const sb_str,
    pub known_model_count: usize,
    // ---- appended in v1.4 ----
    /// Lower-case header name the host writes the credential into; non-empty
    /// means this plugin is never given the key.
    pub credential_header: sb_str,
    /// Written before the key in that header.
    pub credential_prefix: sb_str,
}

#[repr(C)]
pub struct sb_provider_config {
    pub struct_size: u32,
    /// Always empty for this plugin from a 1.4 host: it declares
    /// credential_header, so the host places the key.
    pub api_key: sb_str,
    pub api_base: sb_str,
    pub model: sb_str,
}

#[repr(C)]
pub struct sb_chat_request {
    pub struct_size: u32,
    pub body_json: sb_str,
    pub stream: i32,
}

#[repr(C)]
pub struct sb_http_request_builder {
    pub struct_size: u32,
    pub ctx: *mut c_void,
    pub set_method: unsafe extern "C" fn(ctx: *mut c_void, method: sb_str),
    pub set_url: unsafe extern "C" fn(ctx: *mut c_void, url: sb_str),
    pub add_header: unsafe extern "C" fn(ctx: *mut c_void, name: sb_str, value: sb_str),
    pub append_body: unsafe extern "C" fn(ctx: *mut c_void, bytes: *const c_char, len: usize),
}

#[repr(C)]
pub struct sb_usage {
    pub struct_size: u32,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cached_tokens: i64,
    pub reasoning_tokens: i64,
}

#[repr(C)]
pub struct sb_usage_sink {
    pub struct_size: u32,
    pub ctx: *mut c_void,
    pub report: unsafe extern "C" fn(ctx: *mut c_void, usage: *const sb_usage),
}

#[repr(C)]
pub struct sb_http_response {
    pub struct_size: u32,
    pub status: i32,
    pub headers: *const sb_header,
    pub header_count: usize,
    pub body: sb_str,
    // ---- appended in v1.2 ----
    /// May be NULL (and absent from an older host's table).
    pub usage: *const sb_usage_sink,
}

#[repr(C)]
pub struct sb_stream_event {
    pub struct_size: u32,
    pub event: sb_str,
    pub data: sb_str,
}

#[repr(C)]
pub struct sb_chunk_sink {
    pub struct_size: u32,
    pub ctx: *mut c_void,
    pub emit: unsafe extern "C" fn(ctx: *mut c_void, json: *const c_char, len: usize),
    // ---- appended in v1.2 ----
    pub usage: unsafe extern "C" fn(ctx: *mut c_void, usage: *const sb_usage),
}

#[repr(C)]
pub struct sb_model_sink {
    pub struct_size: u32,
    pub ctx: *mut c_void,
    pub add: unsafe extern "C" fn(ctx: *mut c_void, model_id: sb_str, display_name: sb_str),
}

/// Opaque to the host: the plugin's per-stream state behind a pointer.
#[repr(C)]
pub struct sb_stream {
    _private: [u8; 0],
}

#[repr(C)]
pub struct sb_host_info {
    pub struct_size: u32,
    pub abi_minor: u32,
    pub host_name: sb_str,
    pub host_version: sb_str,
    pub get_host_extension: unsafe extern "C" fn(id: *const c_char) -> *const c_void,
}

#[repr(C)]
pub struct sb_plugin {
    pub struct_size: u32,
    pub abi_major: u32,
    pub abi_minor: u32,
    pub descriptor: *const sb_provider_descriptor,
    pub init: Option<unsafe extern "C" fn(host: *const sb_host_info, err: *const sb_error_sink) -> sb_status>,
    pub shutdown: Option<unsafe extern "C" fn()>,
    pub build_chat_request: unsafe extern "C" fn(
        config: *const sb_provider_config,
        request: *const sb_chat_request,
        out: *const sb_http_request_builder,
        err: *const sb_error_sink,
    ) -> sb_status,
    pub parse_chat_response: unsafe extern "C" fn(
        config: *const sb_provider_config,
        response: *const sb_http_response,
        out: *const sb_sink,
        err: *const sb_error_sink,
    ) -> sb_status,
    pub stream_open: Option<
        unsafe extern "C" fn(
            config: *const sb_provider_config,
            request: *const sb_chat_request,
            stream: *mut *mut sb_stream,
            err: *const sb_error_sink,
        ) -> sb_status,
    >,
    pub stream_event: Option<
        unsafe extern "C" fn(
            stream: *mut sb_stream,
            event: *const sb_stream_event,
            out: *const sb_chunk_sink,
            err: *const sb_error_sink,
        ) -> sb_status,
    >,
    pub stream_close: Option<
        unsafe extern "C" fn(stream: *mut sb_stream, out: *const sb_chunk_sink, err: *const sb_error_sink) -> sb_status,
    >,
    pub build_models_request: Option<
        unsafe extern "C" fn(
            config: *const sb_provider_config,
            out: *const sb_http_request_builder,
            err: *const sb_error_sink,
        ) -> sb_status,
    >,
    pub parse_models_response: Option<
        unsafe extern "C" fn(
            config: *const sb_provider_config,
            response: *const sb_http_response,
            out: *const sb_model_sink,
            err: *const sb_error_sink,
        ) -> sb_status,
    >,
    pub get_extension: Option<unsafe extern "C" fn(id: *const c_char) -> *const c_void>,
    // ---- appended in v1.1 ----
    pub self_check: Option<unsafe extern "C" fn(err: *const sb_error_sink) -> sb_status>,
}

/// SB_TABLE_HAS: whether a host table of type `$ty` at `$table` (a non-NULL
/// raw pointer) is large enough to hold `$field`.
macro_rules! table_has {
    ($table:expr, $ty:ty, $field:ident) => {{
        let t: *const $ty = $table;
        // The field's address only: it is not read unless the table holds it.
        let field = std::ptr::addr_of!((*t).$field);
        let end = field as usize - t as usize + $crate::abi::pointee_size(field);
        (*t).struct_size as usize >= end
    }};
}
pub(crate) use table_has;

/// size_of the type behind a pointer, without touching what it points to.
pub const fn pointee_size<T>(_: *const T) -> usize {
    std::mem::size_of::<T>()
}

/// The tables this plugin hands the host are immutable statics holding raw
/// pointers to other statics; this wrapper lets them live in a `static`.
#[repr(transparent)]
pub struct Shared<T>(pub T);
// SAFETY: the wrapped tables are never written after compile time.
unsafe impl<T> Sync for Shared<T> {}

/// `struct_size` as the C rules ask: sizeof at this plugin's build time.
pub const fn struct_size<T>() -> u32 {
    std::mem::size_of::<T>() as u32
}
