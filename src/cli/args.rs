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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the catalog and configured providers, and whether each key is set (never its value).
    Providers(ProvidersArgs),
    /// Decode a native response body (or raw SSE text) into the canonical OpenAI format.
    Decode(DecodeArgs),
    /// Encode a canonical OpenAI-format request into a provider's native HTTP request.
    Encode(EncodeArgs),
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
