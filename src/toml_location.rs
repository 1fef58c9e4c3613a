//! Where in a TOML file a key is, so an error about a value can name `file:line:column`.

use toml::de::{DeTable, DeValue};

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, col)
}

/// The line of any offset in one text, after one pass over it: a loader that names the line of
/// every item would otherwise count newlines from the start for each, quadratic in the file.
pub struct LineIndex {
    /// Offsets of every `\n`, ascending.
    newlines: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex { newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect() }
    }

    /// 1-based line of a byte offset, as [`line_col`] counts it.
    pub fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

/// A toml error as `line L, column C: message`.
pub fn located(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

/// Line and column of the value at `path` (dotted keys, `name[3]` for an array item), or of the
/// deepest part of the path that exists. `None` when not even the first key is in the file.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    let mut value: Option<&DeValue<'_>> = None;
    for segment in path.split('.') {
        let (key, index) = match segment.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        if let Some(v) = value {
            match v {
                DeValue::Table(t) => table = t,
                _ => break,
            }
        }
        let Some((_, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == key) else { break };
        found = Some(v.span().start);
        value = Some(v.get_ref());
        if let (Some(i), Some(DeValue::Array(items))) = (index, value) {
            let Some(item) = items.get(i) else { break };
            found = Some(item.span().start);
            value = Some(item.get_ref());
        }
    }
    found.map(|offset| line_col(text, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_array_items() {
        let text = "[run]\nconcurrency = 0\n\n[router.cooldown]\nfailures = 0\n[router.tiers.a]\ncandidates = [\"x\", \"y/z\"]\n";
        assert_eq!(locate(text, "run.concurrency"), Some((2, 15)));
        assert_eq!(locate(text, "router.cooldown.failures"), Some((5, 12)));
        assert_eq!(locate(text, "router.tiers.a.candidates[1]"), Some((7, 20)));
        // A key that is not there: the deepest part that is.
        assert_eq!(locate(text, "router.cooldown.period_s"), locate(text, "router.cooldown"));
        assert_eq!(locate(text, "nothing.here"), None);
    }

    #[test]
    fn line_index_agrees_with_line_col_at_every_offset() {
        for text in ["", "a", "\n", "a\nb", "ab\n\ncd\né\n", "[x]\ny = 1\n\n[[z]]\nid = \"q\"\n"] {
            let index = LineIndex::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(index.line(offset), line_col(text, offset).0, "{text:?} at {offset}");
            }
        }
    }
}
