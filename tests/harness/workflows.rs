//! The GitHub workflows parse as YAML, name only `llm-conform` subcommands and flags that exist
//! (checked against the binary's own `--help`) and only scripts that exist, and take each
//! provider's key from the secret its catalog entry reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_llm-conform")).args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Names listed under `Commands:` in a clap help text.
fn subcommands(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn load(name: &str) -> Value {
    let path = crate::common::root().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn steps(wf: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (job_name, job) in wf["jobs"].as_mapping().expect("jobs") {
        for step in job["steps"].as_sequence().expect("steps") {
            out.push((job_name.as_str().unwrap_or_default().to_string(), step));
        }
    }
    out
}

/// Every shell command line of a workflow, with `\`-continued lines joined.
fn command_lines(wf: &Value) -> Vec<String> {
    wf["jobs"].as_mapping().expect("jobs").values().flat_map(job_lines).collect()
}

/// Every shell command line of one job.
fn job_lines(job: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for step in job["steps"].as_sequence().into_iter().flatten() {
        if let Some(run) = step["run"].as_str() {
            let joined = run.replace("\\\n", " ");
            lines.extend(joined.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty() && !l.starts_with('#')));
        }
    }
    lines
}

/// The `llm-conform` invocations in a line (`llm-conform …` or `cargo run … -- …`), each as the
/// tokens after the program name, up to the end of that command.
fn invocations(line: &str) -> Vec<Vec<String>> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        // A program name starts a command; `chmod +x bin/llm-conform` only mentions the file.
        let at_command = i == 0 || matches!(tokens[i - 1], "|" | "||" | "&&" | ";" | "then" | "do" | "$(" | "exec");
        let start = if at_command && (*t == "llm-conform" || t.ends_with("/llm-conform")) {
            Some(i + 1)
        } else if *t == "cargo" && tokens.get(i + 1) == Some(&"run") {
            tokens.iter().skip(i).position(|x| *x == "--").map(|p| i + p + 1)
        } else {
            None
        };
        if let Some(s) = start {
            let args: Vec<String> = tokens
                .iter()
                .skip(s)
                .take_while(|x| !matches!(**x, "|" | "||" | "&&" | ";" | ">>" | ">"))
                .map(|x| x.trim_matches('"').to_string())
                .collect();
            found.push(args);
        }
    }
    found
}

/// Checks every `llm-conform` invocation and `scripts/…` path of a workflow; returns how many
/// invocations were checked, or every problem found.
fn check_commands(name: &str, wf: &Value) -> Result<usize, Vec<String>> {
    let root = crate::common::root();
    let top = subcommands(&help(&[]));
    assert!(top.contains("run") && top.contains("report"), "{top:?}");
    let mut problems = Vec::new();
    let mut checked = 0;
    for line in command_lines(wf) {
        for args in invocations(&line) {
            let Some(sub) = args.first() else {
                problems.push(format!("{name}: `{line}` names no subcommand"));
                continue;
            };
            if !top.contains(sub) {
                problems.push(format!("{name}: `{line}`: `{sub}` is not an llm-conform subcommand ({top:?})"));
                continue;
            }
            let mut path = vec![sub.as_str()];
            if let Some(next) = args.get(1)
                && subcommands(&help(&path)).contains(next)
            {
                path.push(next);
            }
            let sub_help = help(&path);
            for flag in args.iter().filter(|a| a.starts_with("--")) {
                let flag = flag.split('=').next().unwrap_or_default();
                if !(sub_help.contains(&format!("{flag} ")) || sub_help.contains(&format!("{flag}\n"))) {
                    problems.push(format!("{name}: `{line}`: `llm-conform {}` has no flag {flag}", path.join(" ")));
                }
            }
            checked += 1;
        }
        for token in line.split_whitespace() {
            if let Some(pos) = token.find("scripts/") {
                let script = token[pos..].trim_matches(|c| c == '"' || c == '\'');
                let p = root.join(script);
                if !p.is_file() {
                    problems.push(format!("{name}: `{line}` names {script}, which does not exist"));
                } else if !is_executable(&p) {
                    problems.push(format!("{name}: {script} is not executable"));
                }
            }
        }
    }
    if problems.is_empty() { Ok(checked) } else { Err(problems) }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    true
}

fn all_runs(wf: &Value) -> String {
    command_lines(wf).join("\n")
}

fn uses(wf: &Value) -> Vec<String> {
    steps(wf).iter().filter_map(|(_, s)| s["uses"].as_str().map(str::to_string)).collect()
}

/// Every action is pinned to a major, and GitHub's own actions to majors that run on Node 24
/// (issue 10: Node 20 actions are being retired).
fn check_action_versions(name: &str, wf: &Value) {
    let node24 = [("actions/checkout", 5), ("actions/upload-artifact", 6), ("actions/download-artifact", 7)];
    for u in uses(wf) {
        let (action, version) = u.split_once('@').unwrap_or_else(|| panic!("{name}: {u} is not pinned to a version"));
        if let Some((_, min)) = node24.iter().find(|(a, _)| *a == action) {
            let major: u32 = version.trim_start_matches('v').split('.').next().unwrap().parse().unwrap();
            assert!(major >= *min, "{name}: {u} still runs on Node 20; use v{min} or later");
        }
    }
}

#[test]
fn ci_workflow_checks_tests_replays_and_publishes_the_report() {
    let wf = load("ci.yml");
    assert!(wf["on"].get("push").is_some() && wf["on"].get("pull_request").is_some(), "ci runs on push and PRs");
    let runs = all_runs(&wf);
    let pos = |needle: &str| runs.find(needle).unwrap_or_else(|| panic!("ci.yml lacks `{needle}`:\n{runs}"));
    let order = [
        pos("cargo fmt --check"),
        pos("cargo clippy --locked --all-targets -- -D warnings"),
        pos("cargo test --locked"),
        pos("cargo run --release --locked -- run"),
        pos("reports/latest/summary.md >> \"$GITHUB_STEP_SUMMARY\""),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "ci.yml steps out of order: {order:?}");
    let upload = steps(&wf)
        .into_iter()
        .find(|(_, s)| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .expect("ci.yml uploads the report");
    assert_eq!(upload.1["with"]["path"].as_str(), Some("reports/latest/"));
    assert!(upload.1["if"].as_str().unwrap_or_default().contains("!cancelled()"), "uploaded even when the run fails");
    check_action_versions("ci.yml", &wf);
    assert!(uses(&wf).iter().any(|u| u.starts_with("mikepenz/action-junit-report@")), "the JUnit is published");
    let pr = all_runs(&wf);
    assert!(pr.contains("--workflow ci.yml --branch main") && pr.contains("--baseline baseline/results.json"), "{pr}");
    assert!(check_commands("ci.yml", &wf).unwrap() >= 1);
}

#[test]
fn weekly_workflow_is_sharded_by_provider_merged_and_compared_with_last_week() {
    let wf = load("weekly-live.yml");
    let on = &wf["on"];
    let cron = on["schedule"][0]["cron"].as_str().expect("a schedule");
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    assert!(cron.split_whitespace().nth(4).is_some_and(|dow| dow != "*"), "weekly: one day of the week: {cron}");
    assert!(on.get("workflow_dispatch").is_some(), "can be started by hand");

    // One job per provider, its key from the secret the catalog names (<PROVIDER>_API_KEY).
    let catalog: serde_json::Value = serde_json::from_slice(
        &Command::new(env!("CARGO_BIN_EXE_llm-conform")).args(["providers", "--json"]).output().unwrap().stdout,
    )
    .unwrap();
    let key_of: BTreeMap<String, String> = catalog
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            // Keyless providers (ollama) have no key reference.
            let key = p["key_ref"].as_str()?.trim_start_matches("env:").to_string();
            Some((p["name"].as_str()?.to_string(), key))
        })
        .collect();
    let live = &wf["jobs"]["live"];
    let include = live["strategy"]["matrix"]["include"].as_sequence().expect("a provider matrix");
    assert!(include.len() >= 9);
    for entry in include {
        let provider = entry["provider"].as_str().unwrap();
        let key = entry["key"].as_str().unwrap();
        assert_eq!(key_of.get(provider).map(String::as_str), Some(key), "{provider}: secret {key}");
        assert_eq!(key, format!("{}_API_KEY", provider.to_uppercase().replace('-', "_")));
    }
    assert_eq!(live["strategy"]["fail-fast"].as_bool(), Some(false), "one provider failing must not cancel the rest");
    assert!(serde_yaml::to_string(live).unwrap().contains("secrets[matrix.key]"));
    let live_runs = job_lines(live).join("\n");
    assert!(live_runs.contains("llm-conform run --mode live --provider \"${{ matrix.provider }}\""), "{live_runs}");
    let live_uploads: Vec<String> = live["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .map(|s| s["with"]["path"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(live_uploads.contains(&"reports/latest/".to_string()), "{live_uploads:?}");
    assert!(live_uploads.iter().any(|p| p.ends_with("*.snap.new")), "pending snapshots are uploaded: {live_uploads:?}");

    // The merge job: after every shard, previous week's report as the baseline, the merged report
    // uploaded under the name the next week downloads, the summary on the run's page.
    let merge = &wf["jobs"]["merge"];
    let needs: Vec<&str> = merge["needs"].as_sequence().unwrap().iter().filter_map(|n| n.as_str()).collect();
    assert!(needs.contains(&"live"), "{needs:?}");
    let merge_steps = merge["steps"].as_sequence().unwrap();
    let step_uses =
        |prefix: &str| merge_steps.iter().find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)));
    let uploaded = step_uses("actions/upload-artifact@").expect("the merged report is uploaded");
    let name = uploaded["with"]["name"].as_str().unwrap();
    let merge_runs = job_lines(merge).join("\n");
    assert!(
        merge_runs.contains("--workflow weekly-live.yml") && merge_runs.contains(&format!("--name {name}")),
        "next week downloads what this week uploads: {merge_runs}"
    );
    // Issue 10: a missing secret fails the provider's job, naming it; the merge then fails too.
    assert!(live_runs.contains("::error::secret $KEY_NAME is not set"), "{live_runs}");
    assert!(!live_runs.contains("::notice::secret"), "a missing secret is not a notice: {live_runs}");
    assert!(serde_yaml::to_string(merge).unwrap().contains("needs.live.result != 'success'"));
    // One build; every later job reuses its binary.
    assert!(job_lines(&wf["jobs"]["build"]).iter().any(|l| l.contains("cargo build --release --locked")));
    for job in ["live", "merge"] {
        assert!(!job_lines(&wf["jobs"][job]).iter().any(|l| l.contains("cargo build")), "{job} rebuilds");
    }
    assert!(step_uses("mikepenz/action-junit-report@").is_some(), "the merged JUnit is published");
    let runs = all_runs(&wf);
    assert!(runs.contains("llm-conform report merge") && runs.contains("--baseline baseline/results.json"), "{runs}");
    assert!(runs.contains("reports/weekly/summary.md >> \"$GITHUB_STEP_SUMMARY\""), "{runs}");
    assert!(
        wf["permissions"]["actions"].as_str() == Some("read"),
        "downloading another run's artifact needs actions: read"
    );
    check_action_versions("weekly-live.yml", &wf);
    assert!(check_commands("weekly-live.yml", &wf).unwrap() >= 2);
}

#[test]
fn every_workflow_parses_and_names_only_what_exists() {
    let dir = crate::common::root().join(".github/workflows");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.contains(&"ci.yml".to_string()) && names.contains(&"weekly-live.yml".to_string()), "{names:?}");
    for n in names {
        let wf = load(&n);
        assert!(wf["jobs"].as_mapping().is_some_and(|j| !j.is_empty()), "{n}: no jobs");
        if let Err(problems) = check_commands(&n, &wf) {
            panic!("{}", problems.join("\n"));
        }
    }
}

#[test]
fn the_command_scanner_sees_both_spellings() {
    assert_eq!(invocations("cargo run --release --locked -- run --run-id x"), vec![vec!["run", "--run-id", "x"]]);
    assert_eq!(
        invocations("llm-conform report merge a b -o out && echo done"),
        vec![vec!["report", "merge", "a", "b", "-o", "out"]]
    );
    assert!(invocations("echo llm-conformance").is_empty());
    assert!(invocations("chmod +x bin/llm-conform").is_empty());
    let bad: Value = serde_yaml::from_str(
        "jobs:\n  j:\n    steps:\n      - run: |\n          llm-conform runn\n          llm-conform report merge a --nope -o x\n          cargo run -- run --shard 1/2 --sharding\n          scripts/missing.sh\n",
    )
    .unwrap();
    let problems = check_commands("bad.yml", &bad).unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].contains("`runn` is not an llm-conform subcommand"));
    assert!(problems[1].contains("`llm-conform report merge` has no flag --nope"));
    assert!(problems[2].contains("`llm-conform run` has no flag --sharding"));
    assert!(problems[3].contains("scripts/missing.sh, which does not exist"));
}
