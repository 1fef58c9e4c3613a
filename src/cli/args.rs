use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Conformance and regression harness for multi-provider LLM routing.
#[derive(Debug, Parser)]
#[command(name = "llm-conform", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file; a missing default file means built-in settings.
    #[arg(long, global = true, default_value = "llm-conform.toml")]
    pub config: PathBuf,
    /// Colour: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    /// Print only errors, the totals and the regressions.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the catalog and configured providers, and whether each key is set (never its value).
    Providers(ProvidersArgs),
    /// Decode a native response body (or raw SSE text) into the canonical OpenAI format.
    Decode(DecodeArgs),
    /// Encode a canonical OpenAI-format request into a provider's native HTTP request.
    Encode(EncodeArgs),
    /// Run the suites: replay fixtures offline (default), or call providers live.
    Run(RunArgs),
    /// List suites, scenarios and the size of the matrix.
    List(ListArgs),
    /// Write fixtures by recording against built-in fake providers (provenance: synthesized).
    SynthesizeFixtures(SynthesizeArgs),
    /// Show the candidates the router would try for a request, and why; or route one live.
    Route(super::route_cmd::RouteArgs),
    /// Re-render a run's reports from its results.json (optionally against a baseline), or merge
    /// the results of shards.
    Report(super::report_cmd::ReportArgs),
    /// Repeat scenarios against providers and report latency percentiles (TTFT, total, tokens/s).
    Bench(super::bench_cmd::BenchArgs),
    /// Serve the router as an OpenAI-compatible endpoint (`/v1/chat/completions`, `/v1/models`,
    /// `/health`, `/metrics`) until SIGTERM or SIGINT.
    Serve(super::serve_cmd::ServeArgs),
}

/// Which cases to run.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only these providers (repeat or comma-separate).
    #[arg(long = "provider", short = 'p', value_delimiter = ',')]
    pub providers: Vec<String>,
    /// Only these suites.
    #[arg(long = "suite", short = 's', value_delimiter = ',')]
    pub suites: Vec<String>,
    /// Only scenarios whose id matches one of these globs.
    #[arg(long = "scenario", value_delimiter = ',')]
    pub scenarios: Vec<String>,
    /// Only scenarios with one of these tags.
    #[arg(long = "tag", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Only this call mode: stream or non_stream.
    #[arg(long = "only", value_parser = ["stream", "non_stream"])]
    pub only: Option<String>,
    /// Suite directory (default: config `run.suites`, else `suites`).
    #[arg(long)]
    pub suites_dir: Option<PathBuf>,
    /// Fixture directory (default: config `run.fixtures`, else `fixtures`).
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// replay (offline, the default), record, record-missing or live.
    #[arg(long, default_value = "replay", value_parser = ["replay", "record", "record-missing", "live"])]
    pub mode: String,
    /// Cases in flight at once.
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub jobs: Option<u32>,
    /// Requests in flight at once against one provider.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub per_provider: Option<u32>,
    /// Whole-call deadline in seconds.
    #[arg(long, value_parser = seconds)]
    pub timeout: Option<f64>,
    /// After the first Ctrl-C (or SIGTERM), how long cases in flight may take to finish, in
    /// seconds, before they are abandoned.
    #[arg(long, default_value_t = 10.0, value_parser = seconds)]
    pub grace: f64,
    /// Report directory: the run writes <out>/<run-id>/ and updates <out>/latest/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only the K-th of N even parts of the matrix (CI fan-out).
    #[arg(long)]
    pub shard: Option<String>,
    /// Name of the run directory (default: the UTC time); letters, digits, `.`, `_`, `-`. A taken
    /// name gets a suffix.
    #[arg(long, value_parser = run_id)]
    pub run_id: Option<String>,
    /// Do not compare fingerprints with the stored snapshots.
    #[arg(long)]
    pub no_snapshots: bool,
    /// Write drifted fingerprints as pending `.snap.new` for `cargo insta review` (default in
    /// live and record modes).
    #[arg(long)]
    pub pending_snapshots: bool,
    /// Succeed even when no case ran (every selected case skipped, or none selected).
    #[arg(long)]
    pub allow_empty: bool,
    /// In live and record modes, skip providers whose key is missing instead of stopping.
    #[arg(long)]
    pub allow_missing_keys: bool,
    /// Also fail the run on these statuses: `unavailable` (a provider kept failing with a
    /// transient error), `flaky` (passed after a retry).
    #[arg(long, value_delimiter = ',', value_parser = ["unavailable", "flaky"])]
    pub fail_on: Vec<String>,
    /// Run only the cases that failed, errored or were unavailable in the previous run (the
    /// baseline, or --baseline).
    #[arg(long)]
    pub rerun_failed: bool,
    /// Keep this many run directories under the report directory; older ones are deleted.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub keep: u32,
    #[command(flatten)]
    pub baseline: super::report_cmd::BaselineArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct SynthesizeArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct ProvidersArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Provider whose wire format the input is in.
    #[arg(long)]
    pub provider: String,
    /// The input is a raw SSE stream exactly as sent on the wire.
    #[arg(long)]
    pub stream: bool,
    /// With --stream: print the canonical chunks as JSON lines instead of the reassembled response.
    #[arg(long, requires = "stream")]
    pub chunks: bool,
    /// HTTP status the body came with; >= 400 decodes it as an error.
    #[arg(long)]
    pub status: Option<u16>,
    /// The canonical request that produced the response, when decoding depends on it (Anthropic
    /// JSON mode).
    #[arg(long)]
    pub request: Option<PathBuf>,
    /// Input file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[arg(long)]
    pub provider: String,
    /// Canonical request file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// A duration in seconds: finite, more than 0, at most a day.
pub fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("expected seconds, more than 0 and at most 86400, got {s:?}")),
    }
}

/// A run id that names one plain directory.
pub fn run_id(s: &str) -> Result<String, String> {
    crate::report::validate_run_id(s).map(|()| s.to_string()).map_err(|e| e.to_string())
}
