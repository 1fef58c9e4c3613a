//! Reporters: consume run events and results, write what people and CI read: `results.jsonl`
//! as cases finish, then `results.json`, `index.html`, `junit.xml` and `summary.md`, compared with
//! a baseline run when there is one.

mod baseline;
mod baseline_index;
mod bench_section;
mod bench_table;
mod charts;
mod html;
mod html_cases;
mod html_matrix;
mod jsonl;
mod junit;
mod merge;
mod output_dir;
mod progress;
mod provider_stats;
mod results_file;
mod results_stream;
mod summary;
mod terminal_style;
mod unavailability;

pub use baseline::{
    CaseChange, ChangeClass, CompareOptions, Comparison, LatencyChange, NextBaseline, compare, fingerprint_diff,
    kept_rows, updated_baseline,
};
pub use baseline_index::{BaselineIndex, IndexEntry};
pub use bench_section::render_bench_section;
pub use bench_table::{format_ms, render_table};
pub use html::{render_html, symbol, write_html};
pub use jsonl::JsonlWriter;
pub use junit::{JunitError, render_junit, write_junit};
pub use merge::{MergeError, merge_results};
pub use output_dir::{
    OutputDir, OutputError, PreparedBaseline, REPORT_FILES, default_baseline, prepare_baseline, validate_run_id,
    write_baseline, write_report_files, write_reports,
};
pub use progress::Progress;
pub use provider_stats::{ProviderStats, provider_stats};
pub use results_file::{LoadError, RESULTS_SCHEMA, load_results, parse_results, resolve_results_path};
pub use summary::{SUMMARY_LIMIT, render_summary, terminal_summary};
pub use terminal_style::{paint, quiet, set_color, set_quiet};
pub use unavailability::unavailability;
