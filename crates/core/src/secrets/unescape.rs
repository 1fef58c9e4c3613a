//! Text with its escapes undone, so a key escaped character by character in any mix of the
//! usual ways (`%73`, `\u0073`, `\x73`, `&#115;`, `&#x73;`, and the first two with their
//! backslash escaped once more, as JSON writes them) is still found. The fully escaped
//! forms are in [`super::key_forms`]; this catches the mixtures no list of forms can hold.

/// `bytes` with every recognised escape decoded, or `None` when there is nothing to decode
/// (the common case costs one scan for three bytes).
pub(super) fn unescaped(bytes: &[u8]) -> Option<Vec<u8>> {
    unescaped_mapped(bytes).map(|(out, _)| out)
}

/// [`unescaped`], with where each decoded byte came from: `origin[i]` is the offset in `bytes`
/// of the escape (or byte) decoded byte `i` belongs to, and one more entry holds `bytes.len()`,
/// so a match `s..e` in the decoded text is `origin[s]..origin[e]` in the original.
pub(super) fn unescaped_mapped(bytes: &[u8]) -> Option<(Vec<u8>, Vec<usize>)> {
    memchr::memchr3(b'%', b'\\', b'&', bytes)?;
    let mut out = Vec::with_capacity(bytes.len());
    let mut origin = Vec::with_capacity(bytes.len() + 1);
    let mut i = 0;
    while i < bytes.len() {
        match escape_at(&bytes[i..]) {
            Some((ch, len)) => {
                // ASCII only, so one byte.
                out.push(ch as u8);
                origin.push(i);
                i += len;
            }
            None => {
                out.push(bytes[i]);
                origin.push(i);
                i += 1;
            }
        }
    }
    origin.push(bytes.len());
    Some((out, origin))
}

/// The character an escape at the start of `b` stands for, and the escape's length. Only
/// ASCII results count: keys are ASCII, and decoding more would turn `%C3` into half a
/// character.
fn escape_at(b: &[u8]) -> Option<(char, usize)> {
    let (value, len) = match b {
        [b'%', h, l, ..] => (hex(&[*h, *l])?, 3),
        [b'\\', b'x', h, l, ..] => (hex(&[*h, *l])?, 4),
        [b'\\', b'u', rest @ ..] if rest.len() >= 4 => (hex(&rest[..4])?, 6),
        // The same inside a JSON string, where the backslash is itself escaped.
        [b'\\', b'\\', b'x', h, l, ..] => (hex(&[*h, *l])?, 5),
        [b'\\', b'\\', b'u', rest @ ..] if rest.len() >= 4 => (hex(&rest[..4])?, 7),
        [b'&', b'#', b'x' | b'X', rest @ ..] => {
            let end = rest.iter().take(7).position(|&c| c == b';')?;
            (hex(&rest[..end])?, 4 + end)
        }
        [b'&', b'#', rest @ ..] => {
            let end = rest.iter().take(8).position(|&c| c == b';')?;
            let digits = std::str::from_utf8(&rest[..end]).ok()?;
            (digits.parse::<u32>().ok()?, 3 + end)
        }
        _ => return None,
    };
    let ch = char::from_u32(value).filter(char::is_ascii)?;
    Some((ch, len))
}

fn hex(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_escape_and_their_mixture_decode() {
        let mixed = br"s%6B\x2d\u0074&#101;&#x73;t and 100% \n &amp; \u12";
        assert_eq!(unescaped(mixed).unwrap(), br"sk-test and 100% \n &amp; \u12".to_vec());
        assert_eq!(unescaped(br"\\u0073\\x6b\\n").unwrap(), br"sk\\n".to_vec());
    }

    #[test]
    fn decoded_offsets_lead_back_to_the_escapes() {
        let text = b"a%62\\u0063d";
        let (out, origin) = unescaped_mapped(text).unwrap();
        assert_eq!(out, b"abcd".to_vec());
        assert_eq!(origin, vec![0, 1, 4, 10, 11]);
        assert_eq!(&text[origin[1]..origin[3]], b"%62\\u0063");
    }

    #[test]
    fn nothing_to_decode_is_none_and_non_ascii_stays_escaped() {
        assert!(unescaped(b"plain text").is_none());
        assert_eq!(unescaped(b"%C3%A9 \\u00e9").unwrap(), b"%C3%A9 \\u00e9".to_vec());
    }
}
