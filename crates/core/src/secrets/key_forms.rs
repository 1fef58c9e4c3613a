//! The forms a key takes in text: as is, URL-encoded, hex, escaped character by character (JSON
//! `\u`, `\x`, HTML entities), and inside base64 (a `Basic` auth header, a data URL, a JWT-like
//! blob), so that scrubbing and the final write check catch every one.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Shorter keys are not treated as secrets: they would match ordinary text.
pub const MIN_KEY_LEN: usize = 8;
/// Shorter base64 fragments are not searched for: they would match unrelated base64.
const MIN_FRAGMENT_LEN: usize = 8;

/// What `encodeURIComponent` leaves alone; everything else is percent-encoded.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'!').remove(b'~');

/// Every string whose presence in a text means `key` is in it.
///
/// Base64 does not encode a key the same way wherever it sits: its 6-bit groups straddle byte
/// boundaries, so the encoding depends on the key's offset modulo 3 in the encoded bytes. For
/// each offset the characters determined by the key's bytes alone are a fixed fragment; a key
/// anywhere in any base64 text contains one of the three (standard and URL-safe alphabets).
pub fn key_forms(key: &str) -> Vec<String> {
    if key.len() < MIN_KEY_LEN {
        return Vec::new();
    }
    let mut forms = vec![key.to_string()];
    forms.push(utf8_percent_encode(key, URI_COMPONENT).to_string());
    forms.push(utf8_percent_encode(key, URI_COMPONENT).to_string().replace("%20", "+"));
    let every_byte_upper: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
    forms.push(every_byte_upper.to_ascii_lowercase());
    forms.push(every_byte_upper);
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    forms.push(hex.to_ascii_uppercase());
    forms.push(hex);
    for escape in [
        |b: u8| format!("\\u{b:04x}"),
        |b: u8| format!("\\u{b:04X}"),
        |b: u8| format!("\\x{b:02x}"),
        |b: u8| format!("\\x{b:02X}"),
        |b: u8| format!("&#{b};"),
        |b: u8| format!("&#x{b:02x};"),
        |b: u8| format!("&#x{b:02X};"),
    ] {
        forms.push(key.bytes().map(escape).collect());
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for offset in 0..3usize {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(key.as_bytes());
            let encoded = engine.encode(&bytes);
            let first = (8 * offset).div_ceil(6);
            let end = (8 * (offset + key.len())) / 6;
            if end > first && end - first >= MIN_FRAGMENT_LEN {
                forms.push(encoded[first..end].to_string());
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-test-canary-0123456789abcdef";

    #[test]
    fn base64_anywhere_contains_a_fragment() {
        let forms = key_forms(KEY);
        for prefix in ["", "a", "ab", "abc", "Bearer:"] {
            for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
                let text = engine.encode(format!("{prefix}{KEY}!!"));
                assert!(forms.iter().any(|f| text.contains(f.as_str())), "{prefix:?}: {text}");
            }
        }
    }

    #[test]
    fn url_encodings_are_forms() {
        let key = "sk-with/slash+plus=eq-and-more";
        let forms = key_forms(key);
        assert!(forms.contains(&"sk-with%2Fslash%2Bplus%3Deq-and-more".to_string()), "{forms:?}");
        assert!(forms.iter().any(|f| f.starts_with("%73%6B%2D")));
        assert!(forms.iter().any(|f| f.starts_with("%73%6b%2d")));
    }

    #[test]
    fn hex_and_character_escapes_are_forms() {
        let forms = key_forms("sk-abcdefgh");
        for form in [
            "736b2d6162636465666768",
            "736B2D6162636465666768",
            "\\u0073\\u006b\\u002d",
            "&#115;&#107;&#45;",
            "&#x73;&#x6b;",
        ] {
            assert!(forms.iter().any(|f| f.starts_with(form)), "{form}: {forms:?}");
        }
    }

    #[test]
    fn short_values_are_not_secrets() {
        assert!(key_forms("abc").is_empty());
    }
}
