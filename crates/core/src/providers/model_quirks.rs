//! Quirks that hold for some of a provider's models only: `json_schema` on three Groq models,
//! `tool_choice` on recent Cohere models, temperature-or-top-p on newer Claude models.

use serde_json::{Map, Value};

use super::{Quirks, SpecError};

/// Which models an override applies to: one model, or every model whose name starts with a
/// prefix (`claude-sonnet-4-5*` covers the alias and its dated snapshots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelPattern {
    Exact(String),
    Prefix(String),
}

impl ModelPattern {
    pub fn parse(s: &str) -> Result<ModelPattern, SpecError> {
        let t = s.trim();
        let bad = |problem| Err(SpecError::ModelPattern { pattern: s.to_string(), problem });
        match t.strip_suffix('*') {
            Some(p) if p.contains('*') => bad("may only end in `*`"),
            Some("") => bad("would match every model; set the provider's `quirks` instead"),
            Some(p) => Ok(ModelPattern::Prefix(p.to_string())),
            None if t.is_empty() || t.contains('*') => bad("is empty or has `*` inside"),
            None => Ok(ModelPattern::Exact(t.to_string())),
        }
    }

    pub fn matches(&self, model: &str) -> bool {
        match self {
            ModelPattern::Exact(m) => m == model,
            ModelPattern::Prefix(p) => model.starts_with(p.as_str()),
        }
    }

    /// How specific the pattern is: an exact name beats any prefix, a longer prefix a shorter.
    fn specificity(&self) -> (bool, usize) {
        match self {
            ModelPattern::Exact(m) => (true, m.len()),
            ModelPattern::Prefix(p) => (false, p.len()),
        }
    }
}

/// A provider's quirks with each model override applied, worked out once when the catalog loads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedModelQuirks {
    entries: Vec<(ModelPattern, Quirks)>,
}

impl ResolvedModelQuirks {
    /// Applies every override in `patches` (model pattern to a partial quirks table) on top of
    /// `base`. An error names the pattern and the key, as `model_quirks."p".key: ...`.
    pub fn resolve(base: &Quirks, patches: &Map<String, Value>) -> Result<ResolvedModelQuirks, SpecError> {
        let field = |at: String, message: String| SpecError::Field { at, message };
        let base_value = serde_json::to_value(base).map_err(|e| field("quirks".into(), e.to_string()))?;
        let mut entries = Vec::with_capacity(patches.len());
        for (pattern, patch) in patches {
            let at = format!("model_quirks.{pattern:?}");
            let parsed = ModelPattern::parse(pattern)?;
            let Value::Object(patch) = patch else {
                return Err(field(at, "expected a table of quirks".into()));
            };
            let mut merged = base_value.clone();
            if let Value::Object(m) = &mut merged {
                for (k, v) in patch {
                    m.insert(k.clone(), v.clone());
                }
            }
            let quirks: Quirks = serde_path_to_error::deserialize(merged).map_err(|e| {
                let path = e.path().to_string();
                field(format!("{at}.{path}"), e.into_inner().to_string())
            })?;
            entries.push((parsed, quirks));
        }
        // Most specific first, so the first match is the one that applies.
        entries.sort_by_key(|(p, _)| std::cmp::Reverse(p.specificity()));
        Ok(ResolvedModelQuirks { entries })
    }

    pub fn for_model(&self, model: &str) -> Option<&Quirks> {
        self.entries.iter().find(|(p, _)| p.matches(model)).map(|(_, q)| q)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ModelPattern, &Quirks)> {
        self.entries.iter().map(|(p, q)| (p, q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::JsonSchemaSupport;
    use serde_json::json;

    #[test]
    fn patterns() {
        assert!(ModelPattern::parse("gpt-oss*").unwrap().matches("gpt-oss-120b"));
        assert!(!ModelPattern::parse("gpt-oss").unwrap().matches("gpt-oss-120b"));
        assert!(ModelPattern::parse("*").is_err());
        assert!(ModelPattern::parse("a*b").is_err());
        assert!(ModelPattern::parse("a*b*").is_err());
    }

    #[test]
    fn the_most_specific_override_wins_and_bad_keys_are_named() {
        let base = Quirks { json_schema: JsonSchemaSupport::JsonObject, ..Quirks::default() };
        let patches = json!({
            "openai/*": {"json_schema": "unsupported"},
            "openai/gpt-oss*": {"json_schema": "native"},
        });
        let r = ResolvedModelQuirks::resolve(&base, patches.as_object().unwrap()).unwrap();
        assert_eq!(r.for_model("openai/gpt-oss-120b").unwrap().json_schema, JsonSchemaSupport::Native);
        assert_eq!(r.for_model("openai/other").unwrap().json_schema, JsonSchemaSupport::Unsupported);
        assert!(r.for_model("llama").is_none());

        let bad = json!({"m*": {"json_schema": "sometimes"}});
        let e = ResolvedModelQuirks::resolve(&base, bad.as_object().unwrap()).unwrap_err().to_string();
        assert!(e.contains("model_quirks.\"m*\".json_schema") && e.contains("sometimes"), "{e}");
        let bad = json!({"m*": {"json_shema": "native"}});
        let e = ResolvedModelQuirks::resolve(&base, bad.as_object().unwrap()).unwrap_err().to_string();
        assert!(e.contains("json_shema"), "{e}");
    }
}
