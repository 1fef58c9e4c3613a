use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

use super::REDACTED;
use super::key_forms::key_forms;
use super::unescape::{unescaped, unescaped_mapped};

/// Replaces every form of every known key (see [`key_forms`]) in text, and tells whether bytes
/// still hold one: the one scrubber provider-supplied strings pass through, and the final check
/// before anything is written.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// `None` when there is nothing to find.
    matcher: Option<AhoCorasick>,
    keys: usize,
    /// Bytes in the longest key, for [`Redactor::longest_form`].
    longest_key: usize,
}

impl Redactor {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut keys: Vec<String> = values.into_iter().collect();
        keys.sort();
        keys.dedup();
        let forms: Vec<String> = keys.iter().flat_map(|k| key_forms(k)).collect();
        // Leftmost-longest, so a key that contains another is replaced whole.
        let matcher = (!forms.is_empty())
            .then(|| AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&forms).ok())
            .flatten();
        let longest_key = keys.iter().map(String::len).max().unwrap_or(0);
        Redactor { matcher, keys: keys.len(), longest_key }
    }

    /// How many distinct keys it knows.
    pub fn len(&self) -> usize {
        self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every form of every key replaced by `<redacted>`. A key escaped in an unusual
    /// way (some characters percent-, JSON- or HTML-escaped, others not) is found in the text
    /// with its escapes undone, and the escapes it spans are replaced in the original, so the
    /// rest of the text (a JSON body, say) keeps its own escapes.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(m) = &self.matcher else { return Cow::Borrowed(text) };
        let replaced = if m.is_match(text) { Cow::Owned(self.replace(m, text)) } else { Cow::Borrowed(text) };
        let Some((decoded, origin)) = unescaped_mapped(replaced.as_bytes()) else { return replaced };
        if !m.is_match(&decoded) {
            return replaced;
        }
        let mut out = String::with_capacity(replaced.len());
        let mut at = 0;
        for mat in m.find_iter(&decoded) {
            let (start, end) = (origin[mat.start()], origin[mat.end()]);
            out.push_str(&replaced[at..start]);
            out.push_str(REDACTED);
            at = end;
        }
        out.push_str(&replaced[at..]);
        Cow::Owned(out)
    }

    fn replace(&self, m: &AhoCorasick, text: &str) -> String {
        m.replace_all(text, &vec![REDACTED; m.patterns_len()])
    }

    /// The most bytes a key can take in text, however written (0 with no keys): its longest
    /// form, or seven bytes per character for the widest escape (`\\u0073` inside a JSON
    /// string), mixed or not. A check of a text written in pieces that carries this many bytes
    /// of each piece into the next finds a key split between pieces.
    pub fn longest_form(&self) -> usize {
        self.matcher.as_ref().map_or(0, |m| m.max_pattern_len().max(7 * self.longest_key))
    }

    /// Whether `bytes` contain any form of any key, however escaped.
    pub fn leaks(&self, bytes: &[u8]) -> bool {
        let Some(m) = &self.matcher else { return false };
        m.is_match(bytes) || unescaped(bytes).is_some_and(|d| m.is_match(&d))
    }

    /// Redacts a sequence of parts that were one text on the wire (the events of a stream), so a
    /// key split across parts is found too. Each match is replaced in the part where it starts
    /// and cut from the parts it runs into.
    pub fn redact_parts(&self, parts: &mut [String]) {
        let Some(m) = &self.matcher else { return };
        for p in parts.iter_mut() {
            if let Cow::Owned(r) = self.redact(p) {
                *p = r;
            }
        }
        let joined: String = parts.concat();
        if !m.is_match(&joined) {
            return;
        }
        let mut starts = Vec::with_capacity(parts.len());
        let mut at = 0;
        for p in parts.iter() {
            starts.push(at);
            at += p.len();
        }
        // Cut ranges per part, from the end so earlier offsets stay valid.
        let mut cuts: Vec<(usize, usize, usize, bool)> = Vec::new();
        for mat in m.find_iter(&joined) {
            for (i, &s) in starts.iter().enumerate() {
                let e = s + parts[i].len();
                let (lo, hi) = (mat.start().max(s), mat.end().min(e));
                if lo < hi {
                    cuts.push((i, lo - s, hi - s, mat.start() >= s));
                }
            }
        }
        for (i, lo, hi, first) in cuts.into_iter().rev() {
            parts[i].replace_range(lo..hi, if first { REDACTED } else { "" });
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    const KEY: &str = "sk-test-canary-0123456789abcdef";

    #[test]
    fn every_form_is_replaced_and_detected() {
        let r = Redactor::new([KEY.to_string()]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{KEY}"));
        for text in [
            format!("Incorrect API key provided: {KEY}."),
            format!("Authorization: Basic {b64}"),
            format!("https://x/?key={}", KEY.replace('-', "%2D")),
        ] {
            assert!(r.leaks(text.as_bytes()), "{text}");
            let clean = r.redact(&text);
            assert!(!r.leaks(clean.as_bytes()), "{text} -> {clean}");
            assert!(clean.contains(REDACTED));
        }
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
    }

    /// A key escaped in a mixture of ways is cut out of the original text; the rest of a JSON
    /// body keeps its own escapes and stays valid JSON.
    #[test]
    fn a_mixed_escape_key_is_cut_from_the_original() {
        let r = Redactor::new([KEY.to_string()]);
        let escaped: String = KEY
            .bytes()
            .enumerate()
            .map(|(i, b)| match i % 4 {
                0 => format!("\\u{b:04x}"),
                1 => format!("%{b:02X}"),
                2 => format!("&#{b};"),
                _ => (b as char).to_string(),
            })
            .collect();
        let body = format!(r#"{{"error":{{"message":"bad key \u0022{escaped}\u0022\n"}}}}"#);
        assert!(r.leaks(body.as_bytes()), "{body}");
        let clean = r.redact(&body);
        assert!(!r.leaks(clean.as_bytes()), "{clean}");
        assert_eq!(clean, r#"{"error":{"message":"bad key \u0022<redacted>\u0022\n"}}"#);
        serde_json::from_str::<serde_json::Value>(&clean).expect("still JSON");
    }

    #[test]
    fn a_key_split_across_parts_is_cut_from_each() {
        let r = Redactor::new([KEY.to_string()]);
        let mut parts = vec![
            format!("{{\"text\":\"key is {}", &KEY[..10]),
            KEY[10..20].to_string(),
            format!("{} and done\"}}", &KEY[20..]),
        ];
        r.redact_parts(&mut parts);
        assert!(!r.leaks(parts.concat().as_bytes()), "{parts:?}");
        assert_eq!(parts[0], "{\"text\":\"key is <redacted>");
        assert_eq!(parts[1], "");
        assert_eq!(parts[2], " and done\"}");
    }

    #[test]
    fn no_keys_means_no_work() {
        let r = Redactor::new(Vec::<String>::new());
        assert!(r.is_empty());
        assert!(!r.leaks(b"anything"));
    }

    #[test]
    fn longest_form_covers_a_key_percent_encoded_byte_by_byte() {
        assert_eq!(Redactor::default().longest_form(), 0);
        let r = Redactor::new([KEY.to_string(), "short-key-1".to_string()]);
        assert_eq!(r.longest_form(), 7 * KEY.len());
    }
}
