//! Reporters: consume run events and results, write what people and CI read.

mod html;
mod jsonl;
mod output_dir;
mod progress;
mod provider_stats;

pub use html::render_html;
pub use jsonl::JsonlWriter;
pub use output_dir::{OutputDir, write_reports};
pub use progress::Progress;
pub use provider_stats::{ProviderStats, provider_stats};
