//! Whole-program targets, measured on the release binary as a user runs it:
//!
//! 1. the full shipped replay matrix with reports (`llm-conform run`): wall time and peak RSS;
//! 2. cost against the number of cases: the matrix at 1×, 4× and 16× (suites duplicated under
//!    new names in a temporary directory, fixtures linked to the originals);
//! 3. 800 simple cases in live mode against a local OpenAI-compatible upstream (a config file
//!    points `openai` at it; the key is a dummy).
//!
//! Peak RSS comes from GNU time (`/usr/bin/time`) when it is installed. `TARGETS_RUNS` (default
//! 5) sets how many times each command runs; medians are reported. `TARGETS_ONLY=matrix|scaling|live`
//! runs one part; `TARGETS_WRAP="valgrind --tool=callgrind"` runs every command under a profiler;
//! `TARGETS_BIN=path` measures another build of `llm-conform` (an older one, side by side).
//!
//! Memory per case is the slope of peak RSS between the 1× and the 16× matrix. Each scaling
//! factor's first run has no baseline; later runs compare with the previous one (as a weekly run
//! does), which holds the baseline's rows too: both peaks are reported.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use llm_conform::replay::Reply;

use common::{Upstream, root};

/// The binary measured: this build's, or `TARGETS_BIN`.
fn bin() -> String {
    std::env::var("TARGETS_BIN")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_llm-conform").to_string())
}

struct Measured {
    wall_s: f64,
    rss_mb: Option<f64>,
    code: Option<i32>,
    stderr: String,
}

/// Runs the binary once in the repository root, timing it and reading its peak RSS.
fn measure(args: &[&str], envs: &[(&str, &str)], scratch: &Path) -> Measured {
    let time_out = scratch.join("time.txt");
    let wrap = std::env::var("TARGETS_WRAP").ok().filter(|w| !w.trim().is_empty());
    let gnu_time = wrap.is_none() && Path::new("/usr/bin/time").exists();
    let mut cmd = if let Some(w) = &wrap {
        // A profiler in front of the binary (`valgrind --tool=callgrind`): its figures are the
        // point, so RSS is not measured.
        let mut parts = w.split_whitespace();
        let mut c = Command::new(parts.next().unwrap_or("env"));
        c.args(parts).arg(bin());
        c
    } else if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&time_out).arg(bin());
        c
    } else {
        Command::new(bin())
    };
    cmd.args(args).current_dir(root());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let t = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("failed to run {}: {e}", bin()));
    let wall_s = t.elapsed().as_secs_f64();
    let rss_mb = gnu_time
        .then(|| std::fs::read_to_string(&time_out).ok())
        .flatten()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse::<f64>().ok()))
        .map(|kb| kb / 1024.0);
    Measured { wall_s, rss_mb, code: out.status.code(), stderr: String::from_utf8_lossy(&out.stderr).to_string() }
}

/// A reports root of its own per measured command: `run` compares with (and updates) the
/// baseline under its reports root, so a shared root would make one command's cost depend on
/// the others'. Repeated runs of one command see the previous run as baseline, as a user's do.
fn out_dir(scratch: &Path, id: &str) -> (PathBuf, String) {
    let dir = scratch.join(format!("reports-{id}"));
    let arg = dir.to_str().unwrap_or_default().to_string();
    (dir, arg)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// What `runs` runs of one command came to.
struct Repeated {
    wall_s: f64,
    /// Peak RSS of the first run, which had no baseline to compare with.
    first_rss: Option<f64>,
    /// Highest peak RSS of the later runs, each compared with the run before.
    later_rss: Option<f64>,
    last: Measured,
}

impl Repeated {
    fn max_rss(&self) -> Option<f64> {
        max_of(self.first_rss, self.later_rss)
    }
}

fn max_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Runs `args` `runs` times: median wall, peak RSS of the first and of the later runs.
fn repeat(runs: usize, args: &[&str], envs: &[(&str, &str)], scratch: &Path) -> Repeated {
    let mut walls = Vec::new();
    let (mut first_rss, mut later_rss) = (None, None);
    let mut last = None;
    for i in 0..runs {
        let m = measure(args, envs, scratch);
        walls.push(m.wall_s);
        if i == 0 {
            first_rss = m.rss_mb;
        } else {
            later_rss = max_of(later_rss, m.rss_mb);
        }
        last = Some(m);
    }
    let last = last.unwrap_or_else(|| panic!("no runs"));
    Repeated { wall_s: median(walls), first_rss, later_rss, last }
}

fn cases_in(results: &Path) -> usize {
    std::fs::read_to_string(results)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["cases"].as_array().map(Vec::len))
        .unwrap_or(0)
}

fn rss(v: Option<f64>) -> String {
    v.map_or("n/a (no /usr/bin/time)".to_string(), |mb| format!("{mb:.1} MB"))
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// A suites directory with every shipped suite `factor` times (copies `<stem>_r2`, …) and a
/// fixtures directory whose provider folders link each copy to the original suite's fixtures.
fn scaled_matrix(scratch: &Path, factor: usize) -> (PathBuf, PathBuf) {
    let suites = scratch.join(format!("suites_x{factor}"));
    let fixtures = scratch.join(format!("fixtures_x{factor}"));
    std::fs::create_dir_all(&suites).unwrap_or_else(|e| panic!("{e}"));
    let mut stems = Vec::new();
    for e in std::fs::read_dir(root().join("suites")).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "toml")
            && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
        {
            stems.push(stem.to_string());
            for k in 1..=factor {
                let name = if k == 1 { stem.to_string() } else { format!("{stem}_r{k}") };
                std::fs::copy(&p, suites.join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    for e in std::fs::read_dir(root().join("fixtures")).unwrap_or_else(|e| panic!("{e}")).flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let provider = fixtures.join(e.file_name());
        std::fs::create_dir_all(&provider).unwrap_or_else(|e| panic!("{e}"));
        for stem in &stems {
            let original = e.path().join(stem);
            if !original.is_dir() {
                continue;
            }
            for k in 1..=factor {
                let name = if k == 1 { stem.clone() } else { format!("{stem}_r{k}") };
                #[cfg(unix)]
                std::os::unix::fs::symlink(&original, provider.join(name)).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    (suites, fixtures)
}

/// A suite of `n` one-turn scenarios, non-streaming, on OpenAI only.
fn simple_suite(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    let mut s = String::from("[suite]\ndescription = \"Simple one-turn cases for the live-mode throughput target.\"\n");
    for i in 0..n {
        s.push_str(&format!(
            "\n[[scenario]]\nid = \"case_{i:04}\"\ndescription = \"One simple question.\"\nmodes = [\"non_stream\"]\nproviders = [\"openai\"]\n[scenario.request]\nmessages = [{{ role = \"user\", content = \"Question {i}: what is the capital of France?\" }}]\n[scenario.expect]\nfinish_reason = [\"stop\"]\ncontent = \"present\"\n"
        ));
    }
    std::fs::write(dir.join("simple.toml"), s).unwrap_or_else(|e| panic!("{e}"));
}

fn main() {
    let runs = std::env::var("TARGETS_RUNS").ok().and_then(|v| v.parse().ok()).filter(|v: &usize| *v > 0).unwrap_or(5);
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let s = scratch.path();
    println!("targets: {runs} run(s) of each command, medians; binary {}", bin());
    let only = std::env::var("TARGETS_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only == name;

    if part("matrix") {
        matrix(runs, s);
    }
    if part("scaling") {
        scaling(runs, s);
    }
    if part("live") {
        live(runs, s);
    }
}

/// 1. The shipped replay matrix with reports.
fn matrix(runs: usize, s: &Path) {
    let (reports, reports_arg) = out_dir(s, "matrix");
    let r = repeat(runs, &["run", "--out", &reports_arg, "--run-id", "matrix"], &[], s);
    let (wall, peak, last) = (r.wall_s, r.max_rss(), r.last);
    let cases = cases_in(&reports.join("matrix/results.json"));
    if last.code != Some(0) {
        println!("  warning: `run` exited {:?}: {}", last.code, last.stderr.lines().last().unwrap_or(""));
    }
    println!(
        "\nreplay matrix with reports: {cases} cases, wall {wall:.3} s (target ≤ 2 s: {}), peak RSS {} (target ≤ 64 MB: {})",
        verdict(wall <= 2.0),
        rss(peak),
        peak.map_or("n/a", |mb| verdict(mb <= 64.0))
    );
}

/// 2. Cost against the number of cases, and memory per case.
fn scaling(runs: usize, s: &Path) {
    println!("\nscaling (--no-snapshots, so every copy is judged alike; RSS: first run / later runs with a baseline):");
    println!(
        "  {:>6} {:>7} {:>9} {:>9} {:>10} {:>10} {:>10}",
        "factor", "cases", "wall s", "µs/case", "vs 1×/case", "RSS first", "RSS later"
    );
    let mb = |v: Option<f64>| v.map_or("n/a".to_string(), |mb| format!("{mb:.1} MB"));
    let mut base: Option<(usize, f64)> = None;
    let mut ends: Vec<(usize, Option<f64>, Option<f64>)> = Vec::new();
    for factor in [1usize, 4, 16] {
        let (suites, fixtures) = scaled_matrix(s, factor);
        let id = format!("scale{factor}");
        let (reports, reports_arg) = out_dir(s, &id);
        let args = [
            "run",
            "--no-snapshots",
            "--suites-dir",
            suites.to_str().unwrap_or_default(),
            "--fixtures",
            fixtures.to_str().unwrap_or_default(),
            "--out",
            &reports_arg,
            "--run-id",
            &id,
        ];
        let r = repeat(runs.clamp(2, 3), &args, &[], s);
        let cases = cases_in(&reports.join(&id).join("results.json"));
        if r.last.code != Some(0) {
            println!("  warning: {factor}× exited {:?}: {}", r.last.code, r.last.stderr.lines().last().unwrap_or(""));
        }
        let wall = r.wall_s;
        let (c1, w1) = *base.get_or_insert((cases, wall));
        println!(
            "  {:>5}× {cases:>7} {wall:>9.3} {:>9.1} {:>10.2} {:>10} {:>10}",
            factor,
            wall / cases.max(1) as f64 * 1e6,
            (wall / cases.max(1) as f64) / (w1 / c1.max(1) as f64),
            mb(r.first_rss),
            mb(r.later_rss)
        );
        ends.push((cases, r.first_rss, r.later_rss));
    }
    if let (Some(&(c1, f1, l1)), Some(&(c16, f16, l16))) = (ends.first(), ends.last()) {
        let slope = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if c16 > c1 => Some((b - a) * 1024.0 / (c16 - c1) as f64),
            _ => None,
        };
        for (label, per_case, peak) in [("first run", slope(f1, f16), f16), ("with a baseline", slope(l1, l16), l16)] {
            println!(
                "  memory per case ({label}): {} (target ≤ 4 KB: {}); 16× peak {} (target ≤ 64 MB: {})",
                per_case.map_or("n/a".to_string(), |kb| format!("{kb:.2} KB")),
                per_case.map_or("n/a", |kb| verdict(kb <= 4.0)),
                mb(peak),
                peak.map_or("n/a", |p| verdict(p <= 64.0))
            );
        }
    }
}

/// 3. 800 simple cases, live, against a local OpenAI-compatible upstream.
fn live(runs: usize, s: &Path) {
    let body = std::fs::read(root().join("fixtures/openai/basics/single_turn.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .map(|f| f["response"]["body"].clone())
        .unwrap_or_else(|| panic!("fixtures/openai/basics/single_turn.json has no response body"));
    let upstream = Upstream::start(Reply::json(&body));
    let suites = s.join("simple_suites");
    simple_suite(&suites, 800);
    let config = s.join("llm-conform.toml");
    std::fs::write(&config, format!("[providers.openai]\nbase_url = \"{}/v1\"\n", upstream.uri))
        .unwrap_or_else(|e| panic!("{e}"));
    let env = [("OPENAI_API_KEY", "sk-dummy-local-upstream")];
    println!("\n800 simple cases, live mode, local upstream {}:", upstream.uri);
    for (label, extra) in [
        ("default concurrency (-j 16, --per-provider 4)", vec![]),
        ("-j 32 --per-provider 32", vec!["-j", "32", "--per-provider", "32"]),
    ] {
        let id = format!("live{}", extra.len());
        let (reports, reports_arg) = out_dir(s, &id);
        let mut args = vec![
            "--config",
            config.to_str().unwrap_or_default(),
            "run",
            "--mode",
            "live",
            "--provider",
            "openai",
            "--no-snapshots",
            "--suites-dir",
            suites.to_str().unwrap_or_default(),
            "--out",
            &reports_arg,
            "--run-id",
            &id,
        ];
        args.extend(extra.iter().copied());
        let r = repeat(runs, &args, &env, s);
        let (wall, peak, last) = (r.wall_s, r.max_rss(), r.last);
        let cases = cases_in(&reports.join(&id).join("results.json"));
        if last.code != Some(0) {
            println!("  warning: exited {:?}: {}", last.code, last.stderr.lines().last().unwrap_or(""));
        }
        println!(
            "  {label}: {cases} cases, wall {wall:.3} s (target ≤ 0.12 s: {}), {:.0} µs/case, peak RSS {}",
            verdict(wall <= 0.12),
            wall / cases.max(1) as f64 * 1e6,
            rss(peak)
        );
    }
    drop(upstream);
}
