use std::collections::BTreeMap;

use super::ProviderSpec;

const BUILTIN: &str = include_str!("catalog.toml");

/// The providers known to a run: the built-in entries, overridden and extended by config.
#[derive(Debug, Clone)]
pub struct Catalog {
    providers: BTreeMap<String, ProviderSpec>,
}

/// A catalog entry or override that does not describe a provider.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown provider `{name}`; known providers: {known}")]
    UnknownProvider { name: String, known: String },
    #[error("invalid provider `{name}` in {origin}: {message}")]
    InvalidEntry { name: String, origin: String, message: String },
    #[error("invalid provider `{name}` in {origin}")]
    InvalidValue {
        name: String,
        origin: String,
        #[source]
        source: super::SpecError,
    },
}

impl Catalog {
    /// The built-in catalog alone.
    pub fn builtin() -> Catalog {
        Catalog::with_overrides(&toml::Table::new(), "built-in catalog").expect("built-in catalog is valid")
    }

    /// The built-in catalog with `overrides` (the `[providers]` table of a config file) merged
    /// in key by key; an override may add a new provider, which then needs at least `family` and
    /// `base_url`.
    pub fn with_overrides(overrides: &toml::Table, origin: &str) -> Result<Catalog, CatalogError> {
        let builtin: toml::Table = toml::from_str(BUILTIN).expect("built-in catalog parses");
        let mut merged = builtin.clone();
        for (name, value) in overrides {
            let entry = merged.entry(name.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            merge(entry, value);
        }
        let mut providers = BTreeMap::new();
        for (name, value) in merged {
            let from = if overrides.contains_key(&name) { origin } else { "built-in catalog" };
            let invalid =
                |message: String| CatalogError::InvalidEntry { name: name.clone(), origin: from.to_string(), message };
            let mut spec: ProviderSpec = serde_path_to_error::deserialize(value).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let message = inner.message().trim().to_string();
                invalid(if path.is_empty() || path == "." { message } else { format!("{path}: {message}") })
            })?;
            spec.name = name.clone();
            spec.resolve().map_err(|source| CatalogError::InvalidValue {
                name: name.clone(),
                origin: from.to_string(),
                source,
            })?;
            providers.insert(name, spec);
        }
        Ok(Catalog { providers })
    }

    pub fn get(&self, name: &str) -> Result<&ProviderSpec, CatalogError> {
        self.providers
            .get(name)
            .ok_or_else(|| CatalogError::UnknownProvider { name: name.to_string(), known: self.names().join(", ") })
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut ProviderSpec> {
        self.providers.get_mut(name)
    }

    pub fn names(&self) -> Vec<String> {
        self.providers.keys().cloned().collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ProviderSpec> {
        self.providers.values()
    }
}

/// Table-deep merge: tables merge key by key, anything else is replaced.
fn merge(base: &mut toml::Value, over: &toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_required_provider_with_tiers_and_prices() {
        let c = Catalog::builtin();
        for name in [
            "openai",
            "anthropic",
            "gemini",
            "mistral",
            "deepseek",
            "qwen",
            "cohere",
            "groq",
            "xai",
            "openrouter",
            "together",
            "azure-openai",
            "ollama",
        ] {
            let p = c.get(name).unwrap();
            for tier in ["cheap", "default", "premium"] {
                let model = p.models.get(tier).unwrap_or_else(|| panic!("{name} lacks tier {tier}"));
                assert!(p.price(model).is_some(), "{name}/{model} has no price");
            }
            assert!(p.prices_as_of.is_some(), "{name} prices undated");
        }
        assert_eq!(c.get("azure-openai").unwrap().default_key_var(), "AZURE_OPENAI_API_KEY");
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let err = Catalog::builtin().get("opneai").unwrap_err().to_string();
        assert!(err.contains("unknown provider `opneai`") && err.contains("openai, openrouter"), "{err}");
    }

    #[test]
    fn overrides_merge_and_add() {
        let over: toml::Table = toml::from_str(
            r#"
            [openai]
            base_url = "http://127.0.0.1:9999/v1"
            [tokenmix]
            family = "openai"
            base_url = "https://example.invalid/v1"
            models = { default = "mix-1" }
            "#,
        )
        .unwrap();
        let c = Catalog::with_overrides(&over, "llm-conform.toml").unwrap();
        assert_eq!(c.get("openai").unwrap().base_url, "http://127.0.0.1:9999/v1");
        assert_eq!(c.get("openai").unwrap().models.cheap.as_deref(), Some("gpt-4.1-nano"));
        assert_eq!(c.get("tokenmix").unwrap().model_for("cheap"), Some("mix-1"));
    }

    #[test]
    fn quirks_are_typed_and_checked_when_the_catalog_loads() {
        let c = Catalog::builtin();
        let mistral = c.get("mistral").unwrap();
        assert_eq!(mistral.quirks.tool_call_id, crate::providers::ToolCallIdFormat::Alnum9);
        assert_eq!(mistral.auth, crate::providers::AuthStyle::Bearer);
        assert_eq!(c.get("anthropic").unwrap().auth, crate::providers::AuthStyle::Header("x-api-key".into()));
        let groq = c.get("groq").unwrap();
        assert_eq!(
            groq.quirks_for("llama-3.3-70b-versatile").json_schema,
            crate::providers::JsonSchemaSupport::JsonObject
        );
        assert_eq!(groq.quirks_for("openai/gpt-oss-120b").json_schema, crate::providers::JsonSchemaSupport::Native);
        assert!(groq.quirks_for("openai/gpt-oss-120b").stream_usage, "model quirks start from the provider's");

        for (toml_text, want) in [
            ("[mistral]\nquirks = { tool_call_id = \"alnum8\" }\n", "quirks.tool_call_id"),
            ("[openai]\nauth = \"header:\"\n", "auth"),
            ("[openai]\nquirks = { max_tokens_param = \"max_tokenz\" }\n", "quirks.max_tokens_param"),
            ("[groq]\nmodel_quirks.\"x*\" = { json_schema = \"maybe\" }\n", "model_quirks.\"x*\".json_schema"),
            ("[azure-openai]\napi_version = \"latest\"\n", "api_version"),
            ("[openai]\nquirks = { developer_rol = true }\n", "developer_rol"),
        ] {
            let over: toml::Table = toml::from_str(toml_text).unwrap();
            let err = chain(&Catalog::with_overrides(&over, "llm-conform.toml").unwrap_err());
            let provider = toml_text.trim_start_matches('[').split(']').next().unwrap();
            assert!(err.contains(provider) && err.contains(want) && err.contains("llm-conform.toml"), "{err}");
        }
    }

    /// An error and its sources, as the CLI prints them.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut out = e.to_string();
        let mut cur = e.source();
        while let Some(s) = cur {
            out.push_str(": ");
            out.push_str(&s.to_string());
            cur = s.source();
        }
        out
    }

    #[test]
    fn quirk_overrides_merge_key_by_key() {
        let over: toml::Table =
            toml::from_str("[deepseek]\nquirks = { json_schema = \"native\" }\n[cohere.model_quirks]\n\"command-a*\" = { tool_choice = false }\n")
                .unwrap();
        let c = Catalog::with_overrides(&over, "llm-conform.toml").unwrap();
        let d = c.get("deepseek").unwrap();
        assert_eq!(d.quirks.json_schema, crate::providers::JsonSchemaSupport::Native);
        assert!(d.quirks.stream_usage, "the other built-in quirks stay");
        let cohere = c.get("cohere").unwrap();
        assert!(!cohere.quirks_for("command-a-03-2025").tool_choice);
        assert!(!cohere.quirks_for("command-r-08-2024").tool_choice, "built-in model quirks stay");
        assert!(cohere.quirks_for("command-r7b-12-2024").tool_choice);
    }

    #[test]
    fn bad_override_names_provider_and_field() {
        let over: toml::Table = toml::from_str("[openai]\nbase_urll = \"x\"\n").unwrap();
        let err = Catalog::with_overrides(&over, "llm-conform.toml").unwrap_err().to_string();
        assert!(err.contains("openai") && err.contains("base_urll") && err.contains("llm-conform.toml"), "{err}");
    }
}
