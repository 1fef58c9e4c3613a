//! Reading `results.json` back: the baseline, `report --results` and `report merge` all start
//! from files written by another run (often on another machine, often by an older version), so a
//! bad file must say which file and which field, never panic or half-render.

use std::path::{Path, PathBuf};

use crate::results::RunResults;

/// The `results.json` schema this version writes and reads.
pub const RESULTS_SCHEMA: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not a results.json: {message}")]
    Shape { path: String, message: String },
    #[error("{path} is not a results.json: field `{field}`: {message}")]
    Field { path: String, field: String, message: String },
    #[error("{path} has field `schema` = {found}; this llm-conform reads schema {RESULTS_SCHEMA}")]
    Schema { path: String, found: u32 },
}

/// `path` itself, or `path/results.json` when `path` is a directory (an unpacked artifact or a
/// run directory can be named as is).
pub fn resolve_results_path(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("results.json") } else { path.to_path_buf() }
}

/// Reads and validates a `results.json` (or a directory holding one).
pub fn load_results(path: &Path) -> Result<RunResults, LoadError> {
    let file = resolve_results_path(path);
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(&file).map_err(|source| LoadError::Read { path: shown.clone(), source })?;
    parse_results(&text, &shown)
}

/// Parses `results.json` text; `name` is what errors call the file.
pub fn parse_results(text: &str, name: &str) -> Result<RunResults, LoadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let results: RunResults = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        if field == "." {
            LoadError::Shape { path: name.to_string(), message }
        } else {
            LoadError::Field { path: name.to_string(), field, message }
        }
    })?;
    if results.schema != RESULTS_SCHEMA {
        return Err(LoadError::Schema { path: name.to_string(), found: results.schema });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_the_field() {
        let e = parse_results(
            r#"{"schema":1,"run_id":"r","mode":"replay","started_at":"x","duration_ms":1,"cases":[{"suite":"s"}]}"#,
            "a.json",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("a.json is not a results.json: field `cases[0]"), "{e}");
        assert!(e.contains("missing field `scenario`"), "{e}");
        let e = parse_results("{}", "b.json").unwrap_err().to_string();
        assert!(e.contains("b.json") && e.contains("missing field `schema`"), "{e}");
        let e = parse_results("<html>", "c.html").unwrap_err().to_string();
        assert!(e.starts_with("c.html is not a results.json"), "{e}");
        let e = parse_results(
            r#"{"schema":7,"run_id":"r","mode":"replay","started_at":"x","duration_ms":1,"cases":[]}"#,
            "d.json",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`schema` = 7"), "{e}");
    }
}
