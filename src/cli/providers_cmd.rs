use std::process::ExitCode;

use super::args::{GlobalArgs, ProvidersArgs};
use super::console::outln;
use crate::config::Config;
use llm_conform_core::secrets::KeyRef;

pub fn run(global: &GlobalArgs, args: ProvidersArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&global.config, false)?;
    let catalog = cfg.catalog()?;
    let mut rows = Vec::new();
    for p in catalog.iter() {
        let key_ref = p.key_ref();
        let key = if !p.needs_key() {
            "not needed".to_string()
        } else {
            match KeyRef::parse(&key_ref) {
                Ok(r) => match r.is_set_cheaply() {
                    Some(true) => "set".into(),
                    Some(false) => "missing".into(),
                    None => "command (not run)".into(),
                },
                Err(e) => format!("invalid: {e}"),
            }
        };
        rows.push(serde_json::json!({
            "name": p.name,
            "family": p.family.as_str(),
            "base_url": p.base_url,
            "key_ref": if p.needs_key() { serde_json::Value::String(key_ref) } else { serde_json::Value::Null },
            "key": key,
            "models": p.models,
            "prices_as_of": p.prices_as_of,
        }));
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{:<14} {:<10} {:<26} {:<18} DEFAULT MODEL", "PROVIDER", "FAMILY", "KEY", "KEY STATUS");
    for r in &rows {
        outln!(
            "{:<14} {:<10} {:<26} {:<18} {}",
            r["name"].as_str().unwrap_or(""),
            r["family"].as_str().unwrap_or(""),
            r["key_ref"].as_str().unwrap_or("-"),
            r["key"].as_str().unwrap_or(""),
            r["models"]["default"].as_str().unwrap_or("-"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
