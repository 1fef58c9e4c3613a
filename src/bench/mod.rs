//! Latency benchmarks: the chosen scenarios repeated against the chosen providers, with time
//! to first token, total time, output tokens per second and errors kept in HDR histograms.
//!
//! Users pick providers on latency as much as on price, and the figures are only comparable
//! when they come from the same path as conformance runs: the benchmark drives the ordinary
//! runner (adapter, transport, router) and reads the timings the transport measured, so what
//! it reports is what an application routing through this code would see.

mod collector;
mod driver;
mod histogram;

pub use collector::BenchCollector;
pub use driver::{BenchError, BenchMode, BenchOptions, BenchRun, run_bench};
pub use histogram::Recorder;
