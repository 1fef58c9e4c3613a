use std::process::ExitCode;

use super::EXIT_FAILURE;
use super::args::{DecodeArgs, GlobalArgs};
use super::console::outln;
use super::input::{parse_request, read_input};
use crate::config::Config;
use llm_conform_core::api::ProviderError;
use llm_conform_core::providers::ResponseHints;
use llm_conform_core::transport::decode_stream_bytes;

pub fn run(global: &GlobalArgs, args: DecodeArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&global.config, false)?;
    let catalog = cfg.catalog()?;
    super::selection::register_configured_keys(&catalog);
    let spec = catalog.get(&args.provider)?;
    let adapter = spec.family.adapter();
    let body = read_input(&args.input)?;
    let hints = match &args.request {
        Some(path) => {
            let bytes = read_input(&path.display().to_string())?;
            let req = parse_request(&bytes, &path.display().to_string())?;
            let mut h = adapter.encode(&req, spec, None)?.hints;
            h.stream = args.stream;
            h
        }
        None => ResponseHints { stream: args.stream, ..Default::default() },
    };
    if let Some(status) = args.status.filter(|s| *s >= 400) {
        let err = adapter.classify_error(status, &Default::default(), &body);
        return Ok(print_error(&err));
    }
    if args.stream {
        let r = decode_stream_bytes(adapter, &hints, &body);
        if args.chunks {
            for c in &r.chunks {
                outln!("{}", serde_json::to_string(c)?);
            }
        }
        return Ok(match r.result {
            Ok(resp) if !args.chunks => {
                outln!("{}", serde_json::to_string_pretty(&resp)?);
                ExitCode::SUCCESS
            }
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => print_error(&e),
        });
    }
    Ok(match adapter.decode(&body, &hints) {
        Ok(resp) => {
            outln!("{}", serde_json::to_string_pretty(&resp)?);
            ExitCode::SUCCESS
        }
        Err(e) => print_error(&e),
    })
}

fn print_error(e: &ProviderError) -> ExitCode {
    // The exit code says it failed; a closed stdout changes nothing about that.
    let _ = super::console::write_out(&format!("{}\n", serde_json::to_string_pretty(&e.to_json()).unwrap_or_default()));
    ExitCode::from(EXIT_FAILURE)
}
