//! A small JSON reader, enough for a pass-through translator: it validates a
//! whole document once and then hands out views (`Value`) of the original
//! bytes, so what the vendor sent goes on unchanged. No tree is built, nothing
//! is copied except decoded strings. Nesting is bounded (`MAX_DEPTH`), so
//! hostile input cannot exhaust the stack.

const MAX_DEPTH: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// One JSON value: a view of its exact bytes inside a validated document.
#[derive(Clone, Copy, Debug)]
pub struct Value<'a> {
    pub text: &'a [u8],
}

/// Parses a whole document: valid UTF-8, one value, whitespace around it.
pub fn parse(text: &[u8]) -> Option<Value<'_>> {
    std::str::from_utf8(text).ok()?;
    let start = skip_ws(text, 0);
    let end = skip_value(text, start, 0)?;
    if skip_ws(text, end) != text.len() {
        return None;
    }
    Some(Value { text: &text[start..end] })
}

impl<'a> Value<'a> {
    pub fn kind(&self) -> Kind {
        match self.text[0] {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => Kind::Number,
        }
    }

    pub fn is_object(&self) -> bool {
        self.kind() == Kind::Object
    }

    /// The members of an object, in order, as (raw key, value); empty for
    /// any other kind. The raw key is the text between the quotes.
    pub fn members(&self) -> Members<'a> {
        let pos = if self.is_object() { 1 } else { self.text.len() };
        Members { text: self.text, pos }
    }

    /// The elements of an array; empty for any other kind.
    pub fn elements(&self) -> Elements<'a> {
        let pos = if self.kind() == Kind::Array { 1 } else { self.text.len() };
        Elements { text: self.text, pos }
    }

    /// The first member named `key` (compared after unescaping).
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.members().find(|(k, _)| key_equals(k, key)).map(|(_, v)| v)
    }

    /// The member named `key` when it is an object.
    pub fn object(&self, key: &str) -> Option<Value<'a>> {
        self.get(key).filter(|v| v.is_object())
    }

    /// A string's decoded contents; None for any other kind.
    pub fn as_string(&self) -> Option<String> {
        if self.kind() != Kind::String {
            return None;
        }
        unescape(&self.text[1..self.text.len() - 1])
    }

    /// An integer number that fits i64; None for fractions, exponents and
    /// any other kind.
    pub fn as_i64(&self) -> Option<i64> {
        if self.kind() != Kind::Number {
            return None;
        }
        std::str::from_utf8(self.text).ok()?.parse::<i64>().ok()
    }

    /// The decoded string member `key`, if there is one.
    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).and_then(|v| v.as_string())
    }

    /// The integer member `key`, if there is one.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.as_i64())
    }
}

pub struct Members<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a [u8], Value<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let t = self.text;
        let mut i = skip_ws(t, self.pos);
        if i >= t.len() || t[i] != b'"' {
            self.pos = t.len();
            return None;
        }
        let key_end = skip_string(t, i)?;
        let key = &t[i + 1..key_end - 1];
        i = skip_ws(t, key_end) + 1; // past ':'
        i = skip_ws(t, i);
        let end = skip_value(t, i, 0)?;
        let value = Value { text: &t[i..end] };
        i = skip_ws(t, end);
        self.pos = if i < t.len() && t[i] == b',' { i + 1 } else { t.len() };
        Some((key, value))
    }
}

pub struct Elements<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let t = self.text;
        let i = skip_ws(t, self.pos);
        if i >= t.len() || t[i] == b']' {
            self.pos = t.len();
            return None;
        }
        let end = skip_value(t, i, 0)?;
        let value = Value { text: &t[i..end] };
        let j = skip_ws(t, end);
        self.pos = if j < t.len() && t[j] == b',' { j + 1 } else { t.len() };
        Some(value)
    }
}

/// Writes `s` as a JSON string literal (quotes included) to `out`.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a raw (still escaped) key from `members` is `key`.
pub fn key_equals(raw: &[u8], key: &str) -> bool {
    if raw.contains(&b'\\') {
        unescape(raw).map_or(false, |k| k == key)
    } else {
        raw == key.as_bytes()
    }
}

fn skip_ws(t: &[u8], mut i: usize) -> usize {
    while i < t.len() && matches!(t[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (exclusive) of the value starting at `i`, or None when it is not
/// valid JSON.
fn skip_value(t: &[u8], i: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match *t.get(i)? {
        b'{' => skip_container(t, i, depth, b'}', true),
        b'[' => skip_container(t, i, depth, b']', false),
        b'"' => skip_string(t, i),
        b't' => skip_literal(t, i, b"true"),
        b'f' => skip_literal(t, i, b"false"),
        b'n' => skip_literal(t, i, b"null"),
        b'-' | b'0'..=b'9' => skip_number(t, i),
        _ => None,
    }
}

fn skip_container(t: &[u8], i: usize, depth: usize, close: u8, members: bool) -> Option<usize> {
    let mut j = skip_ws(t, i + 1);
    if *t.get(j)? == close {
        return Some(j + 1);
    }
    loop {
        if members {
            if *t.get(j)? != b'"' {
                return None;
            }
            j = skip_ws(t, skip_string(t, j)?);
            if *t.get(j)? != b':' {
                return None;
            }
            j = skip_ws(t, j + 1);
        }
        j = skip_ws(t, skip_value(t, j, depth + 1)?);
        match *t.get(j)? {
            b',' => j = skip_ws(t, j + 1),
            c if c == close => return Some(j + 1),
            _ => return None,
        }
    }
}

fn skip_string(t: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *t.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => {
                match *t.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                    b'u' => {
                        let hex = t.get(j + 2..j + 6)?;
                        if !hex.iter().all(|c| c.is_ascii_hexdigit()) {
                            return None;
                        }
                        j += 6;
                    }
                    _ => return None,
                }
            }
            c if c < 0x20 => return None,
            _ => j += 1,
        }
    }
}

fn skip_literal(t: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    if t.get(i..i + word.len())? == word {
        Some(i + word.len())
    } else {
        None
    }
}

fn skip_digits(t: &[u8], mut i: usize) -> (usize, usize) {
    let start = i;
    while i < t.len() && t[i].is_ascii_digit() {
        i += 1;
    }
    (i, i - start)
}

fn skip_number(t: &[u8], mut i: usize) -> Option<usize> {
    if t[i] == b'-' {
        i += 1;
    }
    let (end, count) = skip_digits(t, i);
    if count == 0 || (t[i] == b'0' && count > 1) {
        return None;
    }
    i = end;
    if t.get(i) == Some(&b'.') {
        let (end, count) = skip_digits(t, i + 1);
        if count == 0 {
            return None;
        }
        i = end;
    }
    if matches!(t.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let (end, count) = skip_digits(t, i);
        if count == 0 {
            return None;
        }
        i = end;
    }
    Some(i)
}

fn hex4(t: &[u8]) -> Option<u32> {
    u32::from_str_radix(std::str::from_utf8(t.get(..4)?).ok()?, 16).ok()
}

/// Decodes the contents of a validated string literal (without its quotes).
fn unescape(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let c = *raw.get(i + 1)?;
        i += 2;
        let simple = match c {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let mut code = hex4(raw.get(i..)?)?;
        i += 4;
        if (0xD800..0xDC00).contains(&code) && raw.get(i..i + 2) == Some(b"\\u") {
            let low = hex4(raw.get(i + 2..)?)?;
            if (0xDC00..0xE000).contains(&low) {
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                i += 6;
            }
        }
        let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_nested_values() {
        let doc = br#" {"a": 1, "b": {"c": [true, null, "x\"y"]}, "n": -2.5e3} "#;
        let v = parse(doc).expect("valid");
        assert_eq!(v.int("a"), Some(1));
        let c = v.object("b").unwrap().get("c").unwrap();
        let items: Vec<_> = c.elements().map(|e| e.kind()).collect();
        assert_eq!(items, vec![Kind::Bool, Kind::Null, Kind::String]);
        assert_eq!(c.elements().nth(2).unwrap().as_string().as_deref(), Some("x\"y"));
        assert_eq!(v.get("n").unwrap().kind(), Kind::Number);
        assert_eq!(v.int("n"), None);
        assert!(v.get("missing").is_none());
    }

    #[test]
    fn rejects_what_is_not_json() {
        for bad in [
            &b"<html>Not Found</html>"[..],
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"[1 2]",
            b"01",
            b"{\"a\":1} x",
            b"\"\x01\"",
            b"\"\\x\"",
            b"\xff",
            b"",
        ] {
            assert!(parse(bad).is_none(), "accepted {:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bounds_nesting() {
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes()).is_none());
        let fine = "[".repeat(50) + &"]".repeat(50);
        assert!(parse(fine.as_bytes()).is_some());
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = parse(br#"{"k\u0065y":"caf\u00e9 \ud83d\ude00\n"}"#).unwrap();
        assert_eq!(v.string("key").as_deref(), Some("café 😀\n"));
    }

    #[test]
    fn writes_escaped_strings() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, r#""a\"b\\c\n\u0001""#);
        assert_eq!(parse(out.as_bytes()).unwrap().as_string().as_deref(), Some("a\"b\\c\n\u{1}"));
    }
}
