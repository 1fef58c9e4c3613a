//! Reading `results.json` back: the baseline, `report --results` and `report merge` all start
//! from files written by another run (often on another machine, often by an older version), so a
//! bad file must say which file and which field, never panic or half-render.

use std::path::{Path, PathBuf};

use crate::results::{CaseResult, RunResults};

/// The `results.json` schema this version writes and reads.
pub const RESULTS_SCHEMA: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read results")]
    Read(#[source] crate::regular_file::ReadError),
    #[error("{path} is not a results.json: {message}")]
    Shape { path: String, message: String },
    #[error("{path} is not a results.json: field `{field}`: {message}")]
    Field { path: String, field: String, message: String },
    #[error("{path} has field `schema` = {found}; this llm-conform reads schema {RESULTS_SCHEMA}")]
    Schema { path: String, found: u32 },
    #[error("{path} changed while this run went on (case {case} differs from when it was read)")]
    Changed { path: String, case: String },
}

/// `path` itself, or `path/results.json` when `path` is a directory (an unpacked artifact or a
/// run directory can be named as is), or `path/results.jsonl` when a run there never got to
/// write `results.json`.
pub fn resolve_results_path(path: &Path) -> PathBuf {
    if !path.is_dir() {
        return path.to_path_buf();
    }
    let json = path.join("results.json");
    if json.exists() || !path.join("results.jsonl").exists() { json } else { path.join("results.jsonl") }
}

/// Reads and validates a `results.json` (or a directory holding one).
pub fn load_results(path: &Path) -> Result<RunResults, LoadError> {
    let file = resolve_results_path(path);
    let shown = file.display().to_string();
    let text = crate::regular_file::read_to_string(&file, MAX_RESULTS_BYTES).map_err(LoadError::Read)?;
    if file.extension().is_some_and(|e| e == "jsonl") {
        return parse_results_jsonl(&text, &shown, &file);
    }
    parse_results(&text, &shown)
}

/// Most a results file may take: a 16× matrix with every detail is a few tens of MiB.
pub(crate) const MAX_RESULTS_BYTES: u64 = 512 * 1024 * 1024;

/// Reads `results.jsonl`, the case rows an interrupted or killed run left behind: one case per
/// line as it finished. The run's own fields are not in it: the run id is the directory's name
/// and the run is marked interrupted, since a complete run also wrote `results.json`.
pub fn parse_results_jsonl(text: &str, name: &str, file: &Path) -> Result<RunResults, LoadError> {
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut de = serde_json::Deserializer::from_str(line);
        let case = serde_path_to_error::deserialize(&mut de).map_err(|e| LoadError::Field {
            path: format!("{name}:{}", n + 1),
            field: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
        cases.push(case);
    }
    let run_id = file
        .parent()
        .and_then(|d| d.file_name())
        .map_or_else(|| "unknown".to_string(), |d| d.to_string_lossy().to_string());
    Ok(RunResults {
        schema: RESULTS_SCHEMA,
        run_id,
        mode: "unknown".into(),
        started_at: String::new(),
        duration_ms: 0.0,
        cases,
        bench: None,
        interrupted: Some(crate::results::Interruption {
            signal: "unknown (read from results.jsonl)".into(),
            not_run: 0,
        }),
    })
}

/// Parses `results.json` text; `name` is what errors call the file. A good file is parsed once,
/// plainly; only a bad one is parsed again with path tracking (twice as slow) to name the field.
pub fn parse_results(text: &str, name: &str) -> Result<RunResults, LoadError> {
    let mut results = match serde_json::from_str::<RunResults>(text) {
        Ok(r) => r,
        Err(_) => located_error(text, name)?,
    };
    results.cases.shrink_to_fit();
    results.cases.iter_mut().for_each(CaseResult::shrink_to_fit);
    if results.schema != RESULTS_SCHEMA {
        return Err(LoadError::Schema { path: name.to_string(), found: results.schema });
    }
    Ok(results)
}

/// The error of a file that did not parse, with the path of the field at fault.
fn located_error(text: &str, name: &str) -> Result<RunResults, LoadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        if field == "." {
            LoadError::Shape { path: name.to_string(), message }
        } else {
            LoadError::Field { path: name.to_string(), field, message }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_hold_no_spare_room_in_their_lists() {
        let text = r#"{"schema":1,"run_id":"r","mode":"replay","started_at":"x","duration_ms":1,"cases":[
            {"suite":"s","scenario":"a","provider":"p","model":"m","stream":false,"tags":["t"],"status":"pass",
             "total_ms":1.0,"attempts":[{"provider":"p","model":"m","outcome":"success","latency_ms":1.0,"why":"w","notes":["n"]}]}]}"#;
        let r = parse_results(text, "r.json").unwrap();
        let c = &r.cases[0];
        assert_eq!((r.cases.capacity(), c.attempts.capacity()), (1, 1));
        assert_eq!(c.attempts[0].notes.capacity(), 1);
    }

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
