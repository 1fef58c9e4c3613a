//! `llm-conform report`: re-render a run's reports without running, and `report merge`: join the
//! results of shards (CI fans a run out over jobs; the merge job writes the one report).
//!
//! Exit codes as for `run`: 0 when every case is pass/xfail/skipped and nothing regressed, 1 when
//! a case has a problem or something regressed against the baseline, 2 on bad input (a missing
//! file, a file that is not a `results.json` — the error names the file and the field — or
//! overlapping shards).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::args::GlobalArgs;
use super::console::errln;
use super::{EXIT_FAILURE, EXIT_USAGE};
use crate::report::{
    BaselineIndex, CompareOptions, Comparison, compare, load_results, merge_results, terminal_summary,
    write_report_files,
};
use crate::results::RunResults;

/// How latency is compared with the baseline (shared by `run` and `report`).
#[derive(Debug, Args, Clone)]
pub struct LatencyArgs {
    /// A provider's p95 total latency may grow by this share over the baseline's before it is a
    /// regression (0.25 = 25%).
    #[arg(long, default_value_t = 0.25, value_parser = non_negative)]
    pub latency_threshold: f64,
    /// ... and by at least this many milliseconds (replay latencies are a few ms: a 25% swing
    /// there is noise).
    #[arg(long, default_value_t = 50.0, value_parser = non_negative)]
    pub latency_min_ms: f64,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("expected a number >= 0, got {s:?}")),
    }
}

impl LatencyArgs {
    pub fn options(&self) -> CompareOptions {
        CompareOptions { latency_threshold: self.latency_threshold, latency_min_ms: self.latency_min_ms, scope: None }
    }
}

/// Baseline flags of `run`.
#[derive(Debug, Args, Clone)]
pub struct BaselineArgs {
    /// Compare with this run (a results.json, or a directory holding one). Default: the previous
    /// run, kept in <out>/baseline/results.json.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Keep <out>/baseline/ as it is (by default this run becomes the next run's baseline).
    #[arg(long)]
    pub no_update_baseline: bool,
    #[command(flatten)]
    pub latency: LatencyArgs,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// The results to render: a results.json, or a directory holding one.
    #[arg(long, required = true)]
    pub results: Option<PathBuf>,
    /// Compare with this run (a results.json, or a directory holding one). No default: a
    /// re-render compares only when asked to.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Where to write results.json, index.html, junit.xml and summary.md (default: the directory
    /// of --results).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub latency: LatencyArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Join the results of shards into one results.json and report; a case in two inputs is an
    /// error.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard results: results.json files, or directories holding one.
    #[arg(required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the merged results.json, index.html, junit.xml and summary.md.
    #[arg(long, short = 'o', required = true)]
    pub out: PathBuf,
    /// Compare the merged run with this run (a results.json, or a directory holding one).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Run id of the merged run (default: the shards' common id without `-shardKofN`).
    #[arg(long)]
    pub run_id: Option<String>,
    #[command(flatten)]
    pub latency: LatencyArgs,
}

pub fn run(global: &GlobalArgs, args: ReportArgs) -> anyhow::Result<ExitCode> {
    // A results file from elsewhere may carry a key this machine knows: never re-publish it.
    if let Ok(cfg) = crate::config::Config::load(&global.config, false)
        && let Ok(catalog) = cfg.catalog()
    {
        super::selection::register_configured_keys(&catalog);
    }
    match args.command {
        Some(ReportCommand::Merge(m)) => merge(m),
        None => {
            let Some(path) = args.results else {
                errln!("error: --results is required (or use `report merge`)");
                return Ok(ExitCode::from(EXIT_USAGE));
            };
            let results = load_results(&path)?;
            let out = args.out.unwrap_or_else(|| default_out(&path));
            render(&results, args.baseline.as_deref(), &args.latency, &out)
        }
    }
}

/// The directory `--results` names, or the one its file is in.
fn default_out(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut inputs = Vec::with_capacity(args.inputs.len());
    for p in &args.inputs {
        inputs.push((p.display().to_string(), load_results(p)?));
    }
    let mut merged = merge_results(&inputs)?;
    if let Some(id) = args.run_id {
        merged.run_id = id;
    }
    errln!("merged {} results files: {} cases", inputs.len(), merged.cases.len());
    render(&merged, args.baseline.as_deref(), &args.latency, &args.out)
}

fn render(
    results: &RunResults,
    baseline: Option<&Path>,
    latency: &LatencyArgs,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let comparison: Option<Comparison> = match baseline {
        Some(b) => {
            let base = BaselineIndex::load(b)?;
            Some(compare(results, &base, &b.display().to_string(), &latency.options())?)
        }
        None => None,
    };
    write_report_files(out, results, comparison.as_ref())?;
    errln!("{}", super::run_cmd::totals_line(results));
    if comparison.is_some() {
        errln!("{}", terminal_summary(comparison.as_ref()));
    }
    errln!("report: {}", out.join("index.html").display());
    let regressed = comparison.as_ref().is_some_and(Comparison::has_regressions);
    Ok(if results.is_clean() && !regressed { ExitCode::SUCCESS } else { ExitCode::from(EXIT_FAILURE) })
}
