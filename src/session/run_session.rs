//! One conformance run from start to finish: the runner, the reporters that follow it as cases
//! finish (`results.jsonl`, progress), the comparison with the baseline, the report files, and
//! the baseline for the next run. The CLI only gathers the inputs and prints the outcome.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use llm_conform_core::providers::Catalog;
use llm_conform_core::router::RouterPolicy;
use llm_conform_core::secrets::KeyStore;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::report::{
    BaselineIndex, CompareOptions, Comparison, JsonlWriter, LoadError, NextBaseline, OutputDir, OutputError, Progress,
    compare, kept_rows, prepare_baseline, write_reports,
};
use crate::results::{RunEvent, RunResults};
use crate::runner::{Plan, RunError, RunOptions, Runner, Shutdown};

/// Everything a run needs, resolved by the caller.
pub struct RunSession {
    pub catalog: Catalog,
    pub plan: Plan,
    pub options: RunOptions,
    pub router_policy: RouterPolicy,
    pub keys: Arc<KeyStore>,
    /// Where the run directory, `latest/` and `baseline/` live.
    pub out: OutputDir,
    /// The cases a filtered run covers: it is compared, and folded into the baseline, only over
    /// these. `None` for a run of the whole matrix.
    pub scope: Option<HashSet<String>>,
    /// Compare with this run instead of the previous one.
    pub explicit_baseline: Option<PathBuf>,
    /// Whether this run becomes the next run's baseline.
    pub update_baseline: bool,
    pub compare: CompareOptions,
}

/// What a run produced and where it went.
pub struct SessionOutcome {
    pub results: RunResults,
    pub comparison: Option<Comparison>,
    pub out: OutputDir,
    /// The baseline written for the next run, if one was.
    pub baseline_written: Option<PathBuf>,
    /// A previous baseline that could not be read and was set aside.
    pub ignored_baseline: Option<LoadError>,
    /// A baseline that could not be read again after the run (replaced or removed meanwhile):
    /// the reports were written without a comparison and the baseline was left as it was.
    pub unreadable_baseline: Option<LoadError>,
    /// Lines `results.jsonl` could not take.
    pub jsonl_errors: Vec<String>,
    /// `(pending, accepted)` snapshot files written.
    pub snapshots: (usize, usize),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("failed to read the baseline")]
    Baseline(#[source] LoadError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("failed to create {path}")]
    Jsonl {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl RunSession {
    /// Runs the plan and writes everything. An explicit baseline must be readable: that is
    /// checked before a run is spent on it. A broken previous baseline is set aside, not fatal.
    pub async fn execute(self, shutdown: Shutdown) -> Result<SessionOutcome, SessionError> {
        let previous_path = self.out.baseline();
        // The baselines are indexed on a thread of their own while the runner starts (its HTTP
        // client loads the system's root certificates): start-up is much of a short run.
        let loading = {
            let (previous_path, explicit) = (previous_path.clone(), self.explicit_baseline.clone());
            std::thread::spawn(move || {
                (BaselineIndex::load(&previous_path), explicit.map(|p| (BaselineIndex::load(&p), p)))
            })
        };
        let runner = Runner::new(self.catalog, self.options, self.keys, false).await;
        let (previous, explicit) = loading.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let (previous, ignored_baseline) = match previous {
            Ok(r) => (Some(r), None),
            Err(LoadError::Read(e)) if e.is_not_found() => (None, None),
            Err(e) => (None, Some(e)),
        };
        let explicit: Option<(String, BaselineIndex)> = match explicit {
            Some((loaded, p)) => Some((p.display().to_string(), loaded.map_err(SessionError::Baseline)?)),
            None => None,
        };
        let runner = runner?.with_router_policy(self.router_policy);
        let jsonl_path = self.out.run_dir.join("results.jsonl");
        let jsonl = JsonlWriter::create(&jsonl_path)
            .map_err(|source| SessionError::Jsonl { path: jsonl_path.clone(), source })?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let total = self.plan.case_count();
        let reporter = tokio::spawn(follow(total, jsonl, rx));
        let results = runner.run_until(&self.plan, &self.out.run_id, tx, shutdown).await;
        let snapshots = runner.snapshots_written();
        drop(runner);
        let jsonl_errors = reporter.await.unwrap_or_default();
        // Compared with the explicit baseline, else the previous run's.
        let baseline = match &explicit {
            Some((source, base)) => Some((source.clone(), base)),
            None => previous.as_ref().map(|r| (previous_path.display().to_string(), r)),
        };
        // The baseline is read again for the rows it must give whole: if it was replaced or
        // removed meanwhile, the run's own results still reach their reports, uncompared, and
        // the baseline is left as it was.
        let options = CompareOptions { scope: self.scope.clone(), ..self.compare.clone() };
        let mut unreadable_baseline = None;
        let comparison = match baseline.map(|(source, base)| compare(&results, base, &source, &options)) {
            Some(Err(e)) => {
                unreadable_baseline = Some(e);
                None
            }
            other => other.and_then(Result::ok),
        };
        // An interrupted run is not what the next run should be compared with. The next
        // baseline is written beside the reports and put in place once they are.
        let mut update = self.update_baseline && results.interrupted.is_none() && unreadable_baseline.is_none();
        let kept = match previous.as_ref().filter(|_| update).map(|old| kept_rows(old, &results, self.scope.as_ref())) {
            Some(Ok(kept)) => kept,
            Some(Err(e)) => {
                update = false;
                unreadable_baseline = Some(e);
                Vec::new()
            }
            None => Vec::new(),
        };
        // The indexes have served: what they held is not kept while the reports are written.
        drop((previous, explicit));
        let next = update.then(|| NextBaseline::of(&kept, &results));
        let (reports, prepared) = std::thread::scope(|s| {
            let prepared = next.as_ref().map(|n| s.spawn(|| prepare_baseline(&previous_path, n)));
            let reports = write_reports(&self.out, &results, comparison.as_ref());
            (reports, prepared.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
        });
        reports?;
        let baseline_written = match prepared {
            Some(prepared) => {
                prepared?.commit()?;
                Some(previous_path)
            }
            None => None,
        };
        Ok(SessionOutcome {
            results,
            comparison,
            out: self.out,
            baseline_written,
            ignored_baseline,
            unreadable_baseline,
            jsonl_errors,
            snapshots,
        })
    }
}

/// Follows the run as cases finish: the progress display, and `results.jsonl` (everything
/// already waiting, then one flush). Returns the lines `results.jsonl` could not take.
async fn follow(total: usize, mut jsonl: JsonlWriter, mut rx: UnboundedReceiver<RunEvent>) -> Vec<String> {
    let progress = Progress::new(total);
    let mut errors = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(ev) = next {
            match ev {
                RunEvent::CaseFinished(c) => {
                    progress.case_finished(c.status, &c.id, c.reason.as_deref());
                    let written = c
                        .row_json
                        .as_deref()
                        .map_err(String::clone)
                        .and_then(|line| jsonl.append_line(line).map_err(|e| e.to_string()));
                    if let Err(e) = written {
                        errors.push(format!("{}: {e}", c.id));
                    }
                }
                RunEvent::Finished { .. } => progress.finish(),
                RunEvent::Started { .. } | RunEvent::CaseStarted { .. } => {}
            }
            next = rx.try_recv().ok();
        }
        if let Err(e) = jsonl.flush() {
            errors.push(e.to_string());
        }
    }
    errors
}
