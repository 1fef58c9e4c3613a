//! The command line: parse, call the library, map outcomes to exit codes (0 all expected,
//! 1 conformance failures or regressions, 2 usage or configuration errors).

mod args;
mod bench_cmd;
mod console;
mod decode_cmd;
mod encode_cmd;
mod input;
mod list_cmd;
mod providers_cmd;
mod report_cmd;
mod route_cmd;
mod run_cmd;
mod selection;
mod serve_cmd;
mod synthesize_cmd;

pub use args::{Cli, Command};

use std::process::ExitCode;

use clap::Parser;

/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for conformance failures, regressions, or a decoded error.
pub const EXIT_FAILURE: u8 = 1;

pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`| head`): end quietly.
        Err(e) if e.downcast_ref::<console::Closed>().is_some() => ExitCode::SUCCESS,
        Err(e) => {
            console::err(&format!("error: {e:#}"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Panic messages are scrubbed of keys like everything else printed; a panic is a defect, and
/// the message says so.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("a panic without a message");
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        console::err(&format!("internal error (a bug in llm-conform, please report it): {payload}{at}"));
    }));
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    crate::report::set_color(&cli.global.color);
    crate::report::set_quiet(cli.global.quiet);
    match cli.command {
        Command::Providers(a) => providers_cmd::run(&cli.global, a),
        Command::Decode(a) => decode_cmd::run(&cli.global, a),
        Command::Encode(a) => encode_cmd::run(&cli.global, a),
        Command::Run(a) => run_cmd::run(&cli.global, a),
        Command::List(a) => list_cmd::run(&cli.global, a),
        Command::SynthesizeFixtures(a) => synthesize_cmd::run(&cli.global, a),
        Command::Route(a) => route_cmd::run(&cli.global, a),
        Command::Report(a) => report_cmd::run(&cli.global, a),
        Command::Bench(a) => bench_cmd::run(&cli.global, a),
        Command::Serve(a) => serve_cmd::run(&cli.global, a),
    }
}
