//! Reading `results.json` one row at a time: a baseline of a large matrix is tens of MiB of text
//! and as many again of rows, and a run that only needs each row's verdict should hold neither.

use std::fmt;
use std::io::BufReader;
use std::path::Path;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::results_file::{LoadError, MAX_RESULTS_BYTES, load_results};
use crate::results::CaseResult;

/// The run's own fields of a streamed `results.json`.
#[derive(Debug, Clone, Default)]
pub struct ResultsHeader {
    pub run_id: String,
    pub mode: String,
    pub started_at: String,
}

/// Reads `file` (a `results.json`, or a `results.jsonl` an interrupted run left) and hands each
/// row to `on_row` as it is parsed. A file that does not parse is read once more, whole, for an
/// error that names the field at fault (as [`load_results`] gives); rows already handed over
/// then count for nothing.
pub fn stream_results(file: &Path, on_row: &mut dyn FnMut(CaseResult)) -> Result<ResultsHeader, LoadError> {
    if file.extension().is_some_and(|e| e == "jsonl") {
        let results = load_results(file)?;
        results.cases.into_iter().for_each(&mut *on_row);
        return Ok(ResultsHeader { run_id: results.run_id, mode: results.mode, started_at: results.started_at });
    }
    let reader = crate::regular_file::open(file, MAX_RESULTS_BYTES).map_err(LoadError::Read)?;
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 16, reader));
    let streamed = RunSeed { on_row }.deserialize(&mut de).and_then(|h| de.end().map(|()| h));
    match streamed {
        Ok((schema, header)) if schema == super::RESULTS_SCHEMA => Ok(header),
        Ok((found, _)) => Err(LoadError::Schema { path: file.display().to_string(), found }),
        Err(e) => Err(match load_results(file) {
            Err(located) => located,
            // Whole, it parsed: the file changed between the two reads.
            Ok(_) => LoadError::Shape { path: file.display().to_string(), message: e.to_string() },
        }),
    }
}

/// The top-level object: the header fields kept, `cases` streamed, anything else skipped.
struct RunSeed<'f> {
    on_row: &'f mut dyn FnMut(CaseResult),
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_> {
    type Value = (u32, ResultsHeader);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_> {
    type Value = (u32, ResultsHeader);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a results.json object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let (mut schema, mut run_id, mut mode, mut started_at) = (None, None, None, None);
        let (mut duration, mut cases) = (false, false);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "schema" => schema = Some(map.next_value::<u32>()?),
                "run_id" => run_id = Some(map.next_value::<String>()?),
                "mode" => mode = Some(map.next_value::<String>()?),
                "started_at" => started_at = Some(map.next_value::<String>()?),
                "duration_ms" => duration = map.next_value::<f64>().map(|_| true)?,
                "cases" => {
                    map.next_value_seed(RowsSeed { on_row: &mut *self.on_row })?;
                    cases = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = |name| A::Error::missing_field(name);
        if !cases || !duration {
            return Err(missing(if cases { "duration_ms" } else { "cases" }));
        }
        Ok((
            schema.ok_or_else(|| missing("schema"))?,
            ResultsHeader {
                run_id: run_id.ok_or_else(|| missing("run_id"))?,
                mode: mode.ok_or_else(|| missing("mode"))?,
                started_at: started_at.ok_or_else(|| missing("started_at"))?,
            },
        ))
    }
}

/// The `cases` array, one row at a time.
struct RowsSeed<'f> {
    on_row: &'f mut dyn FnMut(CaseResult),
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of case rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<CaseResult>()? {
            (self.on_row)(row);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scenario: &str) -> String {
        format!(
            r#"{{"suite":"s","scenario":"{scenario}","provider":"p","model":"m","stream":false,"tags":[],
            "status":"pass","total_ms":1.0,"attempts":[]}}"#
        )
    }

    fn streamed(text: &str) -> Result<(ResultsHeader, Vec<String>), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        std::fs::write(&path, text).unwrap();
        let mut seen = Vec::new();
        let header = stream_results(&path, &mut |c| seen.push(c.scenario.to_string())).map_err(|e| e.to_string())?;
        Ok((header, seen))
    }

    #[test]
    fn rows_arrive_in_order_and_unknown_fields_are_skipped() {
        let text = format!(
            r#"{{"schema":1,"run_id":"r","mode":"live","started_at":"t","duration_ms":2,"bench":{{"x":[1]}},"cases":[{},{}]}}"#,
            row("a"),
            row("b")
        );
        let (header, seen) = streamed(&text).unwrap();
        assert_eq!((header.run_id.as_str(), header.mode.as_str(), header.started_at.as_str()), ("r", "live", "t"));
        assert_eq!(seen, ["a", "b"]);
    }

    #[test]
    fn a_bad_file_names_the_field_as_a_whole_read_does() {
        let bad =
            r#"{"schema":1,"run_id":"r","mode":"replay","started_at":"x","duration_ms":1,"cases":[{"suite":"s"}]}"#;
        let e = streamed(bad).unwrap_err();
        assert!(e.contains("field `cases[0]") && e.contains("missing field `scenario`"), "{e}");
        let e = streamed(&format!(
            r#"{{"schema":7,"run_id":"r","mode":"m","started_at":"x","duration_ms":1,"cases":[{}]}}"#,
            row("a")
        ))
        .unwrap_err();
        assert!(e.contains("`schema` = 7"), "{e}");
        let e = streamed(&format!(
            r#"{{"schema":1,"run_id":"r","mode":"m","started_at":"x","duration_ms":1,"cases":[{}]}} trailing"#,
            row("a")
        ))
        .unwrap_err();
        assert!(e.contains("is not a results.json"), "{e}");
    }
}
