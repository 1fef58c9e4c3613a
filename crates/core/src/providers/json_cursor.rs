//! A strict reader for provider payloads, for the shapes they usually have.
//!
//! Most events of a stream are the same small payload with a different piece of text: Anthropic
//! sends `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`
//! thousands of times. Parsing each with a general JSON parser into a typed struct costs more
//! than everything else the event needs, so a decoder first reads the payload with this cursor:
//! either as the exact bytes of its usual shape, holes aside, or member by member into the wire
//! struct it would otherwise parse. Anything it is not sure of (an unknown escape, a number it
//! does not read, a member given twice, nesting past a bound) makes it give up, and the decoder
//! parses the payload the general way, as it always did.
//!
//! The cursor only ever produces what a JSON parser reads from the same bytes: a string is
//! exactly what a JSON string may hold (no raw control characters; the escapes
//! `\" \\ \/ \b \f \n \r \t` and `\uXXXX`, surrogate pairs joined, decoded; a surrogate alone
//! gives up), a number read as one is a plain unsigned integer
//! without leading zeros, whitespace is JSON's four characters, and a value skipped is checked
//! against JSON's grammar all the same. It never reads past the payload.

use std::borrow::Cow;

/// Reads `data` from the start; each step consumes what it checked.
pub(crate) struct JsonCursor<'a> {
    rest: &'a str,
}

/// Members of one object seen so far, to refuse one given twice (a typed parse refuses it).
#[derive(Default)]
pub(crate) struct Seen(u64);

impl Seen {
    /// Member `bit` read into `slot`: `None` when the member was seen already or `value` (what
    /// was read) is `None`.
    pub(crate) fn set<T>(&mut self, bit: u32, slot: &mut T, value: Option<T>) -> Option<()> {
        self.once(bit)?;
        *slot = value?;
        Some(())
    }

    /// Marks member `bit` (below 64); `None` when it was seen already.
    pub(crate) fn once(&mut self, bit: u32) -> Option<()> {
        let mask = 1u64 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
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

    /// Whether the next byte is `b` (not consumed).
    pub(crate) fn at(&self, b: u8) -> bool {
        self.rest.as_bytes().first() == Some(&b)
    }

    /// Skips JSON whitespace.
    pub(crate) fn ws(&mut self) {
        let n = self.rest.bytes().take_while(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r')).count();
        self.rest = &self.rest[n..];
    }

    /// The body of a JSON string whose opening quote was just read, up to and including its
    /// closing quote: borrowed when it has no escape, decoded otherwise.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.rest.as_bytes();
        let end = memchr::memchr2(b'"', b'\\', bytes)?;
        if bytes[end] == b'"' {
            if has_control(&bytes[..end]) {
                return None;
            }
            let s = &self.rest[..end];
            self.rest = &self.rest[end + 1..];
            return Some(Cow::Borrowed(s));
        }
        // Escaped: find where it ends first (a quote after an even run of backslashes), so the
        // text is checked once and decoded into a buffer of the right size.
        let close = end + closing_quote(&bytes[end..])?;
        if has_control(&bytes[..close]) {
            return None;
        }
        let mut out = String::with_capacity(close);
        let mut at = 0;
        while let Some(i) = memchr::memchr(b'\\', &bytes[at..close]) {
            out.push_str(&self.rest[at..at + i]);
            let (ch, used) = escape(&bytes[at + i + 1..close])?;
            out.push(ch);
            at += i + 1 + used;
        }
        out.push_str(&self.rest[at..close]);
        self.rest = &self.rest[close + 1..];
        Some(Cow::Owned(out))
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

    /// `null`, or a value `read` reads: what an `Option` field holds.
    pub(crate) fn opt<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.lit("null").is_some() {
            return Some(None);
        }
        read(self).map(Some)
    }

    /// A string value (quotes included).
    pub(crate) fn string_value(&mut self) -> Option<Cow<'a, str>> {
        self.lit("\"")?;
        self.string()
    }

    /// An object, each member's key handed to `member` with the cursor at its value, which
    /// `member` must read (or give up on).
    pub(crate) fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> Option<()>) -> Option<()> {
        self.lit("{")?;
        self.ws();
        if self.lit("}").is_some() {
            return Some(());
        }
        loop {
            let key = self.string_value()?;
            self.ws();
            self.lit(":")?;
            self.ws();
            member(self, &key)?;
            self.ws();
            if self.lit("}").is_some() {
                return Some(());
            }
            self.lit(",")?;
            self.ws();
        }
    }

    /// An array, the cursor handed to `element` at each element, which `element` must read.
    pub(crate) fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.lit("[")?;
        self.ws();
        if self.lit("]").is_some() {
            return Some(());
        }
        loop {
            element(self)?;
            self.ws();
            if self.lit("]").is_some() {
                return Some(());
            }
            self.lit(",")?;
            self.ws();
        }
    }

    /// Nothing left but whitespace: the payload ended where its value did.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.ws();
        self.rest.is_empty().then_some(())
    }

    /// A value the decoder does not keep, checked against JSON's grammar all the same, nested
    /// at most `depth` deep (deeper gives up).
    pub(crate) fn skip_value(&mut self, depth: usize) -> Option<()> {
        match *self.rest.as_bytes().first()? {
            b'"' => self.string_value().map(drop),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.lit("true"),
            b'f' => self.lit("false"),
            b'n' => self.lit("null"),
            b'[' if depth > 0 => self.array(|c| c.skip_value(depth - 1)),
            b'{' if depth > 0 => self.object(|c, _| c.skip_value(depth - 1)),
            _ => None,
        }
    }

    /// The text of the next value, checked as [`JsonCursor::skip_value`] checks it, for a field
    /// kept as a `serde_json::Value`: parsing that text gives what parsing it in place gives,
    /// nested this shallowly.
    pub(crate) fn raw_value(&mut self, depth: usize) -> Option<&'a str> {
        let start = self.rest;
        self.skip_value(depth)?;
        Some(&start[..start.len() - self.rest.len()])
    }

    /// A member kept as serde reads it (a `Value`, a list of them, a small typed struct): its
    /// text, checked and nested at most `depth` deep, parsed by serde_json. Parsing the text
    /// alone gives what parsing it in place gives, this shallow.
    pub(crate) fn value<T: serde::Deserialize<'a>>(&mut self, depth: usize) -> Option<T> {
        serde_json::from_str(self.raw_value(depth)?).ok()
    }

    /// `true` or `false`.
    pub(crate) fn boolean(&mut self) -> Option<bool> {
        if self.lit("true").is_some() {
            return Some(true);
        }
        self.lit("false").map(|()| false)
    }

    /// A JSON number, any of them: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let b = self.rest.as_bytes();
        let digits = |from: usize| b[from.min(b.len())..].iter().take_while(|d| d.is_ascii_digit()).count();
        let mut at = usize::from(b.first() == Some(&b'-'));
        let int = digits(at);
        if int == 0 || (int > 1 && b[at] == b'0') {
            return None;
        }
        at += int;
        if b.get(at) == Some(&b'.') {
            let frac = digits(at + 1);
            if frac == 0 {
                return None;
            }
            at += 1 + frac;
        }
        if matches!(b.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(b.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let exp = digits(at);
            if exp == 0 {
                return None;
            }
            at += exp;
        }
        self.rest = &self.rest[at..];
        Some(())
    }
}

/// Where the string in `b` closes: the first quote not escaped by an odd run of backslashes.
fn closing_quote(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let q = from + memchr::memchr(b'"', &b[from..])?;
        let run = b[..q].iter().rev().take_while(|&&c| c == b'\\').count();
        if run % 2 == 0 {
            return Some(q);
        }
        from = q + 1;
    }
}

/// Whether `b` holds a byte a JSON string may not hold raw (below 0x20), eight bytes at a
/// time: a byte below `n` (at most 0x80) sets its high bit in `(x - n·0x01…) & !x & 0x80…`.
fn has_control(b: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = b.chunks_exact(8);
    let mut found = 0u64;
    for w in &mut words {
        let x = u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        found |= x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    }
    found != 0 || words.remainder().iter().any(|&x| x < 0x20)
}

/// One escape after its backslash: the character and how many bytes it took. A surrogate pair
/// (`\ud83d\ude00`) is one character; a surrogate alone gives up.
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
            let code = hex4(b.get(1..5)?)?;
            if let Some(c) = char::from_u32(code) {
                return Some((c, 5));
            }
            // A high surrogate must be followed by `\u` and a low one.
            if !(0xD800..0xDC00).contains(&code) || b.get(5..7) != Some(b"\\u") {
                return None;
            }
            let low = hex4(b.get(7..11)?)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))?;
            return Some((c, 11));
        }
        _ => return None,
    };
    Some((ch, 1))
}

/// Four hex digits.
fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() != 4 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok()
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

    /// What a fast read made of `data` (`None`: it gave up) is what serde_json makes of it.
    pub(crate) fn agrees_with_serde<'a, T>(data: &'a str, fast: Option<T>) -> Result<(), TestCaseError>
    where
        T: serde::Deserialize<'a> + PartialEq + std::fmt::Debug,
    {
        if let Some(fast) = fast {
            let slow = serde_json::from_str::<T>(data);
            prop_assert!(slow.is_ok(), "serde_json refuses what the fast read accepted: {}", data);
            if let Ok(slow) = slow {
                prop_assert_eq!(fast, slow);
            }
        }
        Ok(())
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
            r#"\ud83d\u0041""#,
            r#"\ude00\ud83d""#,
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
        assert_eq!(both(r#"\ud83d\ude00""#).0.as_deref(), Some("\u{1f600}"), "a surrogate pair is one character");
        assert!(both(r#"\ud800""#).0.is_none(), "a lone surrogate is left to the general parser");
    }

    #[test]
    fn skipped_values_are_valid_json() {
        let skip = |s: &str, depth| {
            let mut c = JsonCursor::new(s);
            c.skip_value(depth).and_then(|()| c.end())
        };
        let ok = [r#""s""#, "0", "-12", "1.5", "-0.5e+3", "2E9", "true", "false", "null", "[]", "{}", "[ 1 ]"];
        for ok in ok.into_iter().chain([r#"{ "a" : [ 1 , "b" , null ] , "c" : {} }"#]) {
            assert!(skip(ok, 4).is_some(), "{ok}");
            assert!(serde_json::from_str::<serde::de::IgnoredAny>(ok).is_ok(), "{ok}");
        }
        let refused = ["[1,]", "{\"a\"}", "tru", "{\"a\":1,}", "\"\\ud800\"", "01", "1.", "-", "1e", ".5", "+1"];
        for refused in refused {
            assert!(skip(refused, 4).is_none(), "{refused}");
        }
        assert!(skip("[[[[1]]]]", 3).is_none(), "deeper than allowed");
        assert!(skip("[[[[1]]]]", 4).is_some());
    }

    proptest::proptest! {
        /// Whatever the cursor skips as a value, serde_json reads as one.
        #[test]
        fn what_is_skipped_is_json(text in "[\\[\\]{}\",: 0-9.eE+\\-tfrulnsa\\\\]{0,24}") {
            let mut c = JsonCursor::new(&text);
            if c.skip_value(8).and_then(|()| c.end()).is_some() {
                proptest::prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(), "{}", text);
            }
        }
    }

    #[test]
    fn control_bytes_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..len {
                for bad in [0u8, 0x1f, b'\n'] {
                    let mut b = vec![b' '; len];
                    b[at] = bad;
                    assert!(has_control(&b), "{len} {at} {bad}");
                }
            }
            let fine: Vec<u8> = (0..len).map(|i| [0x20u8, 0x7f, 0x80, 0xff, b'a'][i % 5]).collect();
            assert!(!has_control(&fine), "{len}");
        }
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
