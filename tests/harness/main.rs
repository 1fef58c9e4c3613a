//! The integration tests of llm-conform (the harness and its CLI): one binary, a module per concern.

#[path = "../support/samples.rs"]
mod common;

mod bench_cli;
mod bench_timed_replay;
mod cli_decode;
mod cli_run;
mod extra_fields;
mod fault_battery;
mod fixture_regressions;
mod function_length;
mod key_canary;
mod key_echo;
mod live_snapshots;
mod provider_windows;
mod record_replay;
mod replay_matrix;
mod report_cli;
mod report_render;
mod route_explain;
mod run_events;
mod run_interruption;
mod serve_cli;
mod serve_matrix;
mod support;
mod wire;
mod workflows;
