//! `llm-conform serve`: the router as an OpenAI-compatible endpoint. A thin shell over
//! `llm-conform-gateway`: load the config, resolve keys, bind, serve until SIGTERM or SIGINT.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::EXIT_FAILURE;
use super::args::GlobalArgs;
use crate::config::Config;
use llm_conform_core::secrets::KeyStore;
use llm_conform_core::transport::TransportConfig;
use llm_conform_gateway::{ClientKeys, Gateway, GatewaySetup, shutdown_signal};

/// Where the gateway listens when neither `--listen` nor `[serve] listen` says.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free one); default `[serve] listen`,
    /// else 127.0.0.1:8080. Without `[serve] keys`, only loopback addresses are allowed.
    #[arg(long)]
    pub listen: Option<String>,
    /// Threads serving requests; default `[serve] workers`, else one per core.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
}

pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&global.config, global.config != std::path::Path::new("llm-conform.toml"))?;
    let catalog = cfg.catalog()?;
    let providers =
        cfg.serve.providers.clone().or_else(|| cfg.run.providers.clone()).unwrap_or_else(|| catalog.names());
    let policy = cfg.router.clone().with_catalog_tiers(&catalog, &providers);
    let key_timeout = Duration::from_secs_f64(cfg.run.key_timeout_s);
    let client_keys = ClientKeys::resolve(&cfg.serve.keys, key_timeout)?;
    let listen = args.listen.or_else(|| cfg.serve.listen.clone()).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let deadline = Duration::from_secs_f64(cfg.serve.deadline_s);
    let setup = GatewaySetup {
        serve: cfg.serve.clone(),
        listen,
        catalog,
        policy,
        provider_keys: Arc::new(KeyStore::new(key_timeout)),
        client_keys,
        transport: TransportConfig { timeout: deadline, ..TransportConfig::default() },
        log: None,
    };
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.workers.map(usize::from).or(cfg.serve.workers) {
        rt.worker_threads(n);
    }
    let rt = rt.thread_name("serve-worker").enable_all().build()?;
    rt.block_on(async move {
        let gateway = Gateway::bind(setup).await?;
        // One line on standard output, so a script can find a port chosen with `:0`.
        println!("listening on http://{}", gateway.local_addr());
        let _ = std::io::stdout().flush();
        let summary = gateway.serve(shutdown_signal()).await?;
        if summary.cut > 0 {
            eprintln!("serve: grace period over; {} request(s) were cut", summary.cut);
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
        eprintln!("serve: drained and stopped");
        Ok(ExitCode::SUCCESS)
    })
}
