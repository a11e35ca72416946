//! The embedded emulator of the Spark ImpEx API (`spark-promote sandbox`).
//!
//! An independent second implementation of the API: it shares no wire types with `spark` or `promote`.
//! Tenants, folders, services and versions live in memory (or in `--state-dir`); import and export follow
//! the rules of the Import API page; jobs take `job_duration`; uploads stream to disk. Admin routes under
//! `/_sandbox` (faults, jobs, state, clock, service removal) need no credentials: the sandbox is meant for
//! loopback use. `POST /_sandbox/clock` moves its clock forward (job listings and tokens read it) and
//! `DELETE /_sandbox/tenants/{t}/folders/{f}/services/{s}` removes a service, so tests can show a later day.
//! The Execute API (v3 and v4) runs versions: see `execute`; `POST /_sandbox/execute/wrong` makes one answer
//! wrongly.
//!
//! `--compat spec` answers exactly the shapes of Coherent's published OpenAPI file instead (see `compat`).
//!
//! Emulator extensions (default mode): the tenant job listings carry `correlation_id` and `source_system` in
//! each job's `data` (real Spark may not return them; a client must fall back to per-job status calls).
//! Admin routes (both modes): `GET /_sandbox/jobs` / `GET /_sandbox/state` expose every job (with its
//! `finished` time) and the stored content; `GET /_sandbox/stats` counts the API calls per route and tenant.
mod admin;
mod archive;
mod auth;
mod catalog;
mod clock;
mod compat;
mod error;
mod execute;
mod export;
mod faults;
mod fields;
mod import;
mod jobs;
mod listener;
mod package;
mod reads;
mod routes;
mod rules;
mod seed;
mod semver;
mod state;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use compat::Compat;
pub use package::FORMAT as PACKAGE_FORMAT;
pub use routes::router;
pub use seed::{Seed, SeedClient, SeedFolder, SeedModel, SeedService, SeedTenant};
pub use state::{SandboxState, Settings};

/// Parses an `importRequestEntity` as `POST /{tenant}/api/v4/import` does; the error is the message of the
/// 400 the route would answer. For hostile-input tests and fuzzing.
pub fn check_import_request(text: &str) -> Result<(), String> {
    import::parse_entity(Some(text))
        .map(drop)
        .map_err(|e| e.message)
}

/// Parses an export request body as `POST /{tenant}/api/v4/export` does; the error is the message of the 400
/// the route would answer. For hostile-input tests and fuzzing.
pub fn check_export_request(text: &str) -> Result<(), String> {
    export::parse(text).map(drop).map_err(|e| e.message)
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Seed file; `None` starts with [`Seed::demo`].
    pub seed: Option<PathBuf>,
    /// How long an import or export job takes.
    pub job_duration: Duration,
    /// Largest accepted package upload, in bytes.
    pub max_upload_bytes: u64,
    /// Keep the content (and packages) in this directory across restarts.
    pub state_dir: Option<PathBuf>,
    /// Lifetime of tokens from the client-credentials endpoint.
    pub token_lifetime: Duration,
    /// The answer shapes: the richer defaults or exactly those of Coherent's OpenAPI file.
    pub compat: Compat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            seed: None,
            job_duration: Duration::from_secs(2),
            max_upload_bytes: 200_000_000,
            state_dir: None,
            token_lifetime: Duration::from_secs(300),
            compat: Compat::Rich,
        }
    }
}

impl Config {
    fn settings(&self) -> Settings {
        Settings {
            job_duration: self.job_duration,
            max_upload_bytes: self.max_upload_bytes,
            token_lifetime: self.token_lifetime,
            compat: self.compat,
        }
    }
}

/// A sandbox serving in the background; it stops on drop or with [`Running::shutdown`].
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    state: SandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of a tenant, e.g. `http://127.0.0.1:PORT/acme-uat`.
    pub fn base_url(&self, tenant: &str) -> String {
        format!("http://{}/{tenant}", self.addr)
    }

    /// The sandbox's state (for in-process inspection).
    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// Stops serving and waits (briefly) for open connections to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Starts a sandbox with the config's seed (or the demo's).
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let seed = match &config.seed {
        Some(path) => Seed::load(path)?,
        None => Seed::demo(),
    };
    start_with_seed(config, seed).await
}

/// Starts a sandbox with a given seed (`config.seed` is ignored).
pub async fn start_with_seed(config: Config, seed: Seed) -> anyhow::Result<Running> {
    let state = SandboxState::new(seed, config.settings(), config.state_dir.as_deref())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("failed to listen on {}", config.listen))?;
    let addr = listener
        .local_addr()
        .context("failed to read the sandbox's address")?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        listener::serve(listener, app, stopped).await;
        Ok(())
    });
    Ok(Running {
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Serves the sandbox with `seed` (`config.seed` is ignored: the caller loaded it, so that a bad seed is
/// reported as its input error) until ctrl-c or SIGTERM, after logging each tenant's URL and (fake) credentials.
pub async fn serve(config: Config, seed: Seed) -> anyhow::Result<()> {
    // Listening for the signals before saying where it listens: one sent at once still cleans up.
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("failed to listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?;
    let running = start_with_seed(config, seed).await?;
    tracing::info!("sandbox listening on http://{}", running.addr());
    if running.state().settings().compat == Compat::Spec {
        tracing::info!("answering in the shapes of Coherent's OpenAPI file (--compat spec)");
    }
    for tenant in &running.state().seed().tenants {
        let clients: Vec<String> = tenant
            .clients
            .iter()
            .map(|c| format!("{}:{}", c.id, c.secret))
            .collect();
        tracing::info!(
            "tenant {}: url {} bearer {:?} api_key {:?} client {:?} token_url http://{}/auth/realms/{}/protocol/openid-connect/token",
            tenant.name,
            running.base_url(&tenant.name),
            tenant.bearer_tokens,
            tenant.api_keys,
            clients,
            running.addr(),
            tenant.name,
        );
    }
    // SIGTERM (a container's stop, `kill`) stops it as Ctrl-C does: its temporary state directory goes.
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("sandbox stopping");
    running.shutdown().await;
    Ok(())
}
