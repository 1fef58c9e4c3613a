//! Scrubbing a recorded stream: a key split across events is whole only once the events' text
//! is put back together, so each event's JSON strings are grouped by where they sit (the JSON
//! path with array indices dropped: `choices[].delta.content`, `delta.text`,
//! `candidates[].content.parts[].text`) and every group is scrubbed as one text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Redactor;

impl Redactor {
    /// Scrubs the data of a stream's events in place. Events that are JSON are rewritten only if
    /// something in them was redacted; other events are scrubbed as raw text, in one group.
    pub fn redact_stream(&self, events: &mut [String]) {
        if self.is_empty() {
            return;
        }
        let mut docs: Vec<Option<Value>> = events.iter().map(|e| serde_json::from_str(e).ok()).collect();
        // (event, JSON pointer) of every string, grouped by index-free path, in stream order.
        let mut groups: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
        for (i, doc) in docs.iter().enumerate() {
            match doc {
                Some(v) => collect_strings(v, String::new(), String::new(), i, &mut groups),
                None => groups.entry("\u{0}raw".into()).or_default().push((i, String::new())),
            }
        }
        let mut changed = vec![false; events.len()];
        for places in groups.values() {
            let mut texts: Vec<String> = places
                .iter()
                .map(|(i, ptr)| match &docs[*i] {
                    Some(v) => v.pointer(ptr).and_then(Value::as_str).unwrap_or_default().to_string(),
                    None => events[*i].clone(),
                })
                .collect();
            let before = texts.clone();
            self.redact_parts(&mut texts);
            for (((i, ptr), text), old) in places.iter().zip(texts).zip(before) {
                if text == old {
                    continue;
                }
                changed[*i] = true;
                match &mut docs[*i] {
                    Some(v) => {
                        if let Some(slot) = v.pointer_mut(ptr) {
                            *slot = Value::String(text);
                        }
                    }
                    None => events[*i] = text,
                }
            }
        }
        for (i, doc) in docs.iter().enumerate() {
            if let (true, Some(v)) = (changed[i], doc) {
                events[i] = v.to_string();
            }
        }
    }
}

/// Walks `v` depth-first (object keys in order), recording each string's pointer under its
/// index-free path. Depth is bounded by serde_json's own recursion limit on parsing.
fn collect_strings(
    v: &Value,
    path: String,
    ptr: String,
    event: usize,
    out: &mut BTreeMap<String, Vec<(usize, String)>>,
) {
    match v {
        Value::String(_) => out.entry(path).or_default().push((event, ptr)),
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                collect_strings(item, format!("{path}[]"), format!("{ptr}/{n}"), event, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let escaped = k.replace('~', "~0").replace('/', "~1");
                collect_strings(item, format!("{path}.{k}"), format!("{ptr}/{escaped}"), event, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-test-canary-0123456789abcdef";

    #[test]
    fn a_key_split_across_text_deltas_is_removed() {
        let r = Redactor::new([KEY.to_string()]);
        let delta = |t: &str| {
            serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}})
                .to_string()
        };
        let mut events = vec![
            delta("Your key is "),
            delta(&KEY[..7]),
            delta(&KEY[7..19]),
            delta(&format!("{}.", &KEY[19..])),
            "[DONE]".to_string(),
        ];
        r.redact_stream(&mut events);
        let texts: String = events[..4]
            .iter()
            .map(|e| serde_json::from_str::<Value>(e).unwrap()["delta"]["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(texts, "Your key is <redacted>.");
        assert!(!events.iter().any(|e| e.contains(&KEY[..7]) && e.contains(&KEY[7..19])));
        assert_eq!(events[4], "[DONE]");
    }

    #[test]
    fn untouched_events_keep_their_bytes() {
        let r = Redactor::new([KEY.to_string()]);
        let original = "{ \"a\" : \"b\" }".to_string();
        let mut events = vec![original.clone()];
        r.redact_stream(&mut events);
        assert_eq!(events[0], original);
    }
}
