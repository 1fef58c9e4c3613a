//! A strict reader for stream events of a known shape.
//!
//! Most events of a stream are the same small payload with a different piece of text: Anthropic
//! sends `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`
//! thousands of times. Parsing each with a general JSON parser into a typed struct costs more
//! than everything else the event needs, so a decoder first tries to read the event as the
//! exact bytes of its usual shape, holes aside, with this cursor; anything else (another key
//! order, whitespace, an extra field, a number where a string was expected) is not that shape,
//! and the decoder parses the event the general way, as it always did.
//!
//! The cursor only ever says "this is the shape, and these are the values in its holes" when a
//! JSON parser would read the same values from the same bytes: a string hole accepts exactly
//! what a JSON string may hold (no raw control characters; the escapes `\" \\ \/ \b \f \n \r \t`
//! and `\uXXXX` outside the surrogate range, decoded; a surrogate escape gives up rather than
//! judge a pair), a number hole only a plain unsigned integer without leading zeros. It gives up
//! (returns `None`) at the first byte it is not sure of, and never reads past the payload.

use std::borrow::Cow;

/// Reads `data` from the start; each step consumes what it checked.
pub(crate) struct JsonCursor<'a> {
    rest: &'a str,
}

impl<'a> JsonCursor<'a> {
    pub(crate) fn new(data: &'a str) -> Self {
        JsonCursor { rest: data }
    }

    /// Exactly `lit` next.
    pub(crate) fn lit(&mut self, lit: &str) -> Option<()> {
        self.rest = self.rest.strip_prefix(lit)?;
        Some(())
    }

    /// The body of a JSON string whose opening quote was just read, up to and including its
    /// closing quote: borrowed when it has no escape, decoded otherwise.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.rest.as_bytes();
        let end = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if bytes[end] == b'"' {
            let s = &self.rest[..end];
            self.rest = &self.rest[end + 1..];
            return Some(Cow::Borrowed(s));
        }
        if bytes[end] < 0x20 {
            return None;
        }
        let mut out = String::with_capacity(end + 16);
        out.push_str(&self.rest[..end]);
        self.rest = &self.rest[end..];
        loop {
            let bytes = self.rest.as_bytes();
            let end = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.push_str(&self.rest[..end]);
            match bytes[end] {
                b'"' => {
                    self.rest = &self.rest[end + 1..];
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    let (ch, used) = escape(&bytes[end + 1..])?;
                    out.push(ch);
                    self.rest = &self.rest[end + 1 + used..];
                }
                _ => return None,
            }
        }
    }

    /// A plain unsigned integer (`0`, or digits not starting with `0`), at most 19 digits.
    pub(crate) fn uint(&mut self) -> Option<u64> {
        let bytes = self.rest.as_bytes();
        let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 19 || (len > 1 && bytes[0] == b'0') {
            return None;
        }
        let n = self.rest[..len].parse().ok()?;
        self.rest = &self.rest[len..];
        Some(n)
    }

    /// Nothing left: the shape ended where the payload did.
    pub(crate) fn end(&self) -> Option<()> {
        self.rest.is_empty().then_some(())
    }

    /// A value the decoder does not keep, checked all the same: a string, a plain unsigned
    /// integer, `true`, `false`, `null`, or an array or object of those nested at most
    /// `depth` deep, written without whitespace. Anything else gives up.
    pub(crate) fn skip_value(&mut self, depth: usize) -> Option<()> {
        match *self.rest.as_bytes().first()? {
            b'"' => {
                self.lit("\"")?;
                self.string().map(drop)
            }
            b'0'..=b'9' => self.uint().map(drop),
            b't' => self.lit("true"),
            b'f' => self.lit("false"),
            b'n' => self.lit("null"),
            b'[' if depth > 0 => {
                self.lit("[")?;
                if self.lit("]").is_some() {
                    return Some(());
                }
                loop {
                    self.skip_value(depth - 1)?;
                    if self.lit("]").is_some() {
                        return Some(());
                    }
                    self.lit(",")?;
                }
            }
            b'{' if depth > 0 => {
                self.lit("{")?;
                if self.lit("}").is_some() {
                    return Some(());
                }
                loop {
                    self.lit("\"")?;
                    self.string()?;
                    self.lit(":")?;
                    self.skip_value(depth - 1)?;
                    if self.lit("}").is_some() {
                        return Some(());
                    }
                    self.lit(",")?;
                }
            }
            _ => None,
        }
    }
}

/// One escape after its backslash: the character and how many bytes it took.
fn escape(b: &[u8]) -> Option<(char, usize)> {
    let ch = match *b.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hex = std::str::from_utf8(b.get(1..5)?).ok()?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            let code = u32::from_str_radix(hex, 16).ok()?;
            // A surrogate (paired or not) is left to the general parser.
            return char::from_u32(code).map(|c| (c, 5));
        }
        _ => return None,
    };
    Some((ch, 1))
}

/// Payloads near a shape, for the tests that hold every fast read to what a JSON parser reads.
#[cfg(test)]
pub(crate) mod near {
    use proptest::prelude::*;

    /// Text written into a string hole, each character raw or escaped in one of the ways JSON
    /// allows (and some it does not), so the hole sees escapes, surrogate pairs, quotes,
    /// backslashes and control characters.
    fn hole_text() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just('\n'),
            1 => Just('\u{1}'),
            1 => Just('\u{e9}'),
            1 => Just('\u{1f600}'),
            1 => Just('/'),
        ];
        let style = prop_oneof![3 => Just(0u8), 3 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8)];
        proptest::collection::vec((ch, style), 0..8).prop_map(|chars| {
            let mut out = String::new();
            for (c, style) in chars {
                match style {
                    0 => out.push(c),
                    1 => out.push_str(serde_json::to_string(&c.to_string()).unwrap_or_default().trim_matches('"')),
                    2 => {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                    _ => out.push_str(if c == '/' { "\\/" } else { "\\q" }),
                }
            }
            out
        })
    }

    /// One of `shapes` (each `§` a string hole) with the holes filled and, half the time, up to
    /// three characters changed, inserted or removed.
    pub(crate) fn payloads(shapes: &'static [&'static str]) -> impl Strategy<Value = String> {
        let alphabet: Vec<char> = "\"\\{}[]:, 0129-.eutrnl\n\u{1}\u{e9}a".chars().collect();
        let edit = (any::<prop::sample::Index>(), 0u8..3, proptest::sample::select(alphabet));
        let edits = prop_oneof![Just(Vec::new()), proptest::collection::vec(edit, 1..4)];
        (proptest::sample::select(shapes), hole_text(), edits).prop_map(|(shape, text, edits)| {
            let mut chars: Vec<char> = shape.replace('§', &text).chars().collect();
            for (at, kind, c) in edits {
                let i = at.index(chars.len() + 1);
                match kind {
                    0 => chars.insert(i, c),
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ if i < chars.len() => chars[i] = c,
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the cursor makes of `"<body>` next to what serde_json makes of the same string.
    fn both(body: &str) -> (Option<String>, Option<String>) {
        let mut c = JsonCursor::new(body);
        let fast = c.string().filter(|_| c.end().is_some()).map(Cow::into_owned);
        let slow = serde_json::from_str::<String>(&format!("\"{body}")).ok();
        (fast, slow)
    }

    #[test]
    fn strings_read_as_serde_json_reads_them_or_not_at_all() {
        let cases = [
            "plain\"",
            "\"",
            "caf\u{e9} \u{1f600}\"",
            r#"a\"b\\c\/d\be\ff\ng\rh\ti""#,
            r#"\u00e9\u4e2d\u0000\uffff""#,
            r#"\ud83d\ude00""#,
            r#"\ud800""#,
            r#"\x""#,
            r#"\u12""#,
            r#"\u12g4""#,
            "tab\there\"",
            "new\nline\"",
            "unterminated",
            r#"ends in \"#,
        ];
        for body in cases {
            let (fast, slow) = both(body);
            if let Some(f) = &fast {
                assert_eq!(Some(f), slow.as_ref(), "{body:?}: the cursor read what serde_json did not");
            }
        }
        assert_eq!(both("plain\"").0.as_deref(), Some("plain"));
        assert_eq!(both(r#"a\"b\nc""#).0.as_deref(), Some("a\"b\nc"));
        assert!(both("tab\there\"").0.is_none(), "raw control characters are not JSON");
        assert!(both(r#"\ud83d\ude00""#).0.is_none(), "surrogates are left to the general parser");
    }

    #[test]
    fn skipped_values_are_valid_json() {
        let skip = |s: &str, depth| {
            let mut c = JsonCursor::new(s);
            c.skip_value(depth).and_then(|()| c.end())
        };
        for ok in [r#""s""#, "0", "12", "true", "false", "null", "[]", "{}", r#"[{"a":[1,"b",null]},{}]"#] {
            assert!(skip(ok, 4).is_some(), "{ok}");
            assert!(serde_json::from_str::<serde_json::Value>(ok).is_ok(), "{ok}");
        }
        for refused in ["1.5", "-1", "[1,]", "{\"a\"}", "[ 1]", "tru", "{\"a\":1,}", "\"\\ud800\""] {
            assert!(skip(refused, 4).is_none(), "{refused}");
        }
        assert!(skip("[[[[1]]]]", 3).is_none(), "deeper than allowed");
        assert!(skip("[[[[1]]]]", 4).is_some());
    }

    #[test]
    fn unsigned_integers_only_as_json_writes_them() {
        let read = |s: &str| JsonCursor::new(s).uint();
        assert_eq!(read("0,"), Some(0));
        assert_eq!(read("42}"), Some(42));
        assert_eq!(read("18446744073709551615"), None, "more than 19 digits is left to the general parser");
        assert_eq!(read("9999999999999999999"), Some(9_999_999_999_999_999_999));
        assert_eq!(read("01"), None);
        assert_eq!(read("-1"), None);
        assert_eq!(read(""), None);
    }
}
