//! Gemini's streamed function-call arguments: `functionCall.partialArgs` pieces, each a JSON Path
//! (RFC 9535, <https://datatracker.ietf.org/doc/html/rfc9535>) into the arguments object and one
//! scalar to put there (`stringValue`, `numberValue`, `boolValue`, `nullValue`); string pieces
//! for the same path concatenate, as long strings arrive in pieces. See `PartialArg` in
//! <https://googleapis.github.io/js-genai/release_docs/interfaces/types.PartialArg.html>.
//!
//! Every path comes from the provider, so it is read as hostile input: parsed without recursion,
//! refused past [`MAX_PATH_DEPTH`] segments (a deeper tree would overflow the stack when it is
//! serialised or dropped), required to start at a member of the root object (function arguments
//! are an object; `$[0]` or a bare `$` would make them something else), and array indices may pad
//! an array with nulls only within a per-call budget, so that memory follows the input size.

use serde_json::{Map, Value};

use crate::api::ProviderError;

/// Deepest path accepted: far beyond any function schema, far below a stack overflow.
pub const MAX_PATH_DEPTH: usize = 64;

/// Largest array index a path may name.
pub const MAX_PATH_INDEX: usize = 4096;

/// Null slots one call's arrays may be padded with in total (an index past an array's end pads
/// it); without a budget, `$.a[4096][4096]...` would cost 4097 values per few bytes of input.
pub const MAX_ARRAY_PADDING: usize = 4096;

/// Why a `partialArgs` piece was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartialArgsError {
    #[error("unsupported jsonPath {path:?}: {why}")]
    Unsupported { path: String, why: &'static str },
    #[error("jsonPath of {depth}+ segments is deeper than the {MAX_PATH_DEPTH} accepted")]
    TooDeep { depth: usize },
    #[error("jsonPath {path:?} does not start at a member of the arguments object")]
    NotUnderRootObject { path: String },
    #[error("array index {index} in jsonPath is beyond the {MAX_PATH_INDEX} accepted")]
    IndexTooLarge { index: String },
    #[error("jsonPath indices pad the call's arrays with more than {MAX_ARRAY_PADDING} nulls")]
    PaddingExhausted,
    #[error("the call's `args` is not a JSON object, so no jsonPath can be applied to it")]
    ArgsNotAnObject,
}

impl From<PartialArgsError> for ProviderError {
    fn from(e: PartialArgsError) -> Self {
        ProviderError::malformed(format!("failed to decode gemini functionCall.partialArgs: {e}"))
    }
}

/// One step of a parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The arguments of one streamed call, built piece by piece.
#[derive(Debug)]
pub struct PartialArgs {
    root: Value,
    padding_left: usize,
}

impl PartialArgs {
    /// Starts from the `args` the first part carried: absent or `null` is the empty object;
    /// anything else is kept as sent (a non-object then shows as such in the result).
    pub fn new(start: Option<Value>) -> Self {
        let root = match start {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v) => v,
        };
        PartialArgs { root, padding_left: MAX_ARRAY_PADDING }
    }

    /// Applies pieces in order; pieces that carry no value are skipped.
    pub fn apply(&mut self, pieces: &[Map<String, Value>]) -> Result<(), PartialArgsError> {
        for piece in pieces {
            let Some((value, concat)) = piece_value(piece) else { continue };
            let path = piece.get("jsonPath").and_then(Value::as_str).unwrap_or("$");
            let segs = parse_json_path(path)?;
            self.set(path, &segs, value, concat)?;
        }
        Ok(())
    }

    /// The arguments string: the object built, or what the provider sent if it was no object.
    pub fn into_arguments(self) -> String {
        self.root.to_string()
    }

    /// Writes `value` at `segs`, creating containers on the way (iteratively: depth is bounded
    /// by the parser, and nothing here recurses anyway).
    fn set(&mut self, path: &str, segs: &[Seg], value: Value, concat: bool) -> Result<(), PartialArgsError> {
        if !matches!(segs.first(), Some(Seg::Key(_))) {
            return Err(PartialArgsError::NotUnderRootObject { path: path.to_string() });
        }
        let Value::Object(_) = &self.root else { return Err(PartialArgsError::ArgsNotAnObject) };
        let mut cur = &mut self.root;
        for seg in segs {
            cur = match seg {
                Seg::Key(k) => {
                    if !cur.is_object() {
                        *cur = Value::Object(Map::new());
                    }
                    let Value::Object(m) = cur else { unreachable_container() };
                    m.entry(k.clone()).or_insert(Value::Null)
                }
                Seg::Index(i) => {
                    if !cur.is_array() {
                        *cur = Value::Array(Vec::new());
                    }
                    let Value::Array(a) = cur else { unreachable_container() };
                    let pad = (*i + 1).saturating_sub(a.len());
                    self.padding_left = self
                        .padding_left
                        .checked_sub(pad.saturating_sub(1))
                        .ok_or(PartialArgsError::PaddingExhausted)?;
                    if pad > 0 {
                        a.resize(*i + 1, Value::Null);
                    }
                    &mut a[*i]
                }
            };
        }
        match (cur, value) {
            (Value::String(existing), Value::String(more)) if concat => existing.push_str(&more),
            (slot, v) => *slot = v,
        }
        Ok(())
    }
}

/// The containers were just made the right kind; this cannot be reached.
fn unreachable_container() -> ! {
    unreachable!("container kind was set on the line before")
}

/// The scalar a piece carries and whether it concatenates with what is there (strings do).
fn piece_value(piece: &Map<String, Value>) -> Option<(Value, bool)> {
    if let Some(s) = piece.get("stringValue").and_then(Value::as_str) {
        Some((Value::String(s.to_string()), true))
    } else if let Some(n) = piece.get("numberValue").filter(|v| v.is_number()) {
        Some((n.clone(), false))
    } else if let Some(b) = piece.get("boolValue").filter(|v| v.is_boolean()) {
        Some((b.clone(), false))
    } else if piece.contains_key("nullValue") {
        Some((Value::Null, false))
    } else {
        None
    }
}

/// Parses the RFC 9535 subset that names one location: `$`, then `.name`, `['name']`,
/// `["name"]` (with the RFC's escapes) and `[index]` segments, at most [`MAX_PATH_DEPTH`].
pub fn parse_json_path(path: &str) -> Result<Vec<Seg>, PartialArgsError> {
    let unsupported = |why| PartialArgsError::Unsupported { path: path.to_string(), why };
    let mut rest = path.trim().strip_prefix('$').ok_or_else(|| unsupported("it does not start with `$`"))?;
    let mut segs = Vec::new();
    while !rest.is_empty() {
        if segs.len() == MAX_PATH_DEPTH {
            return Err(PartialArgsError::TooDeep { depth: MAX_PATH_DEPTH + 1 });
        }
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[', ']']).unwrap_or(r.len());
            if end == 0 {
                return Err(unsupported("a `.` is not followed by a member name"));
            }
            segs.push(Seg::Key(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let (seg, after) = match r.chars().next() {
                Some(q @ ('\'' | '"')) => {
                    let (name, after) = quoted_name(&r[1..], q).ok_or_else(|| unsupported("an unterminated name"))?;
                    (Seg::Key(name), after)
                }
                _ => {
                    let close = r.find(']').ok_or_else(|| unsupported("a `[` is not closed"))?;
                    (Seg::Index(parse_index(&r[..close])?), &r[close..])
                }
            };
            segs.push(seg);
            rest = after.strip_prefix(']').ok_or_else(|| unsupported("a selector is not closed by `]`"))?;
        } else {
            return Err(unsupported("expected `.` or `[`"));
        }
    }
    Ok(segs)
}

fn parse_index(raw: &str) -> Result<usize, PartialArgsError> {
    let raw = raw.trim();
    let too_large = || PartialArgsError::IndexTooLarge { index: raw.chars().take(32).collect() };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PartialArgsError::Unsupported {
            path: format!("[{}]", raw.chars().take(32).collect::<String>()),
            why: "an index is not a non-negative integer",
        });
    }
    let i: usize = raw.parse().map_err(|_| too_large())?;
    if i > MAX_PATH_INDEX { Err(too_large()) } else { Ok(i) }
}

/// A quoted member name up to its closing quote, unescaped; returns it and what follows the
/// closing quote.
fn quoted_name(s: &str, quote: char) -> Option<(String, &str)> {
    let mut name = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((name, &s[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                name.push(match e {
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('\u{fffd}')
                    }
                    other => other,
                });
            }
            c => name.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn piece(path: &str, value: Value) -> Map<String, Value> {
        let key = match &value {
            Value::String(_) => "stringValue",
            Value::Number(_) => "numberValue",
            Value::Bool(_) => "boolValue",
            _ => "nullValue",
        };
        let mut m = Map::new();
        m.insert("jsonPath".into(), json!(path));
        m.insert(key.into(), value);
        m
    }

    #[test]
    fn pieces_build_nested_arguments_and_strings_concatenate() {
        let mut args = PartialArgs::new(None);
        let pieces = [
            piece("$.a.b", json!("x")),
            piece("$.a.b", json!("y")),
            piece("$.arr[1]", json!(3)),
            piece("$['k']", json!(true)),
            piece("$[\"q\\\"t\"]", Value::Null),
        ];
        args.apply(&pieces).unwrap();
        let got: Value = serde_json::from_str(&args.into_arguments()).unwrap();
        assert_eq!(got, json!({"a": {"b": "xy"}, "arr": [null, 3], "k": true, "q\"t": null}));
    }

    #[test]
    fn unsupported_paths_are_refused() {
        for p in ["a.b", "$.", "$['x", "$[x]", "$[-1]", "$.a]"] {
            assert!(matches!(parse_json_path(p), Err(PartialArgsError::Unsupported { .. })), "{p}");
        }
        assert!(matches!(parse_json_path("$[99999999]"), Err(PartialArgsError::IndexTooLarge { .. })));
        assert!(matches!(parse_json_path("$[99999999999999999999999]"), Err(PartialArgsError::IndexTooLarge { .. })));
    }
}
