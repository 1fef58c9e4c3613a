use std::process::ExitCode;

use super::args::{EncodeArgs, GlobalArgs};
use super::console::outln;
use super::input::{parse_request, read_input};
use crate::config::Config;

/// Stands in for the key so the auth header's shape shows; it is redacted before printing.
const PLACEHOLDER_KEY: &str = "placeholder-key";

pub fn run(global: &GlobalArgs, args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&global.config, false)?;
    let catalog = cfg.catalog()?;
    super::selection::register_configured_keys(&catalog);
    let spec = catalog.get(&args.provider)?;
    let bytes = read_input(&args.input)?;
    let origin = if args.input == "-" { "standard input".to_string() } else { args.input.clone() };
    let mut req = parse_request(&bytes, &origin)?;
    if req.model.is_empty()
        && let Some(m) = spec.model_for("default")
    {
        req.model = m.to_string();
    }
    let native = spec.family.adapter().encode(&req, spec, Some(PLACEHOLDER_KEY))?.redacted();
    let headers: serde_json::Map<String, serde_json::Value> =
        native.headers.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    let out = serde_json::json!({
        "method": native.method,
        "url": native.url,
        "headers": headers,
        "body": native.body,
    });
    outln!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}
