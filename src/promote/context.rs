//! What a run needs: a Spark client per environment, the deadline, cancellation, progress, a work directory.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::manifest::{self, Environment, Manifest};
use crate::promote::cancel::Cancel;
use crate::promote::jobs::turns::{TenantTurns, Turn};
use crate::promote::progress::{SharedProgress, Silent};
use crate::promote::record::{NoRecorder, PromotionRecord, Recorder};
use crate::promote::source::lock::RunLock;
use crate::spark;

/// Options of a plan or apply run.
#[derive(Clone)]
pub struct RunOptions {
    /// How long to wait for a busy tenant and for each job.
    pub wait_timeout: Duration,
    pub cancel: Cancel,
    pub progress: SharedProgress,
    /// The default `source_system` tag (a promotion's own wins).
    pub source_system: String,
    /// The Spark client's options (retries, timeouts).
    pub client: spark::ClientOptions,
    /// Where exported packages are kept during the run (default: a temporary directory).
    pub work_dir: Option<PathBuf>,
    /// Where backups are kept (default: `.spark-promote/backups` in the working directory).
    pub backup_dir: PathBuf,
    /// Told when each import starts and ends (the action writes GitHub deployments); records nothing by default.
    pub recorder: Arc<dyn Recorder>,
    /// Earlier successful promotions on record, read before the run (empty by default).
    pub records: Arc<Vec<PromotionRecord>>,
    /// The lock file's up-to-date entries: those promotions export exactly their locked versions.
    pub lock: Arc<RunLock>,
    /// A rollback run (its records say so).
    pub rollback: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            wait_timeout: Duration::from_secs(30 * 60),
            cancel: Cancel::new(),
            progress: Arc::new(Silent),
            source_system: format!("spark-promote/{}", env!("CARGO_PKG_VERSION")),
            client: spark::ClientOptions::default(),
            work_dir: None,
            backup_dir: PathBuf::from(crate::promote::backup::DEFAULT_DIR),
            recorder: Arc::new(NoRecorder),
            records: Arc::new(Vec::new()),
            lock: Arc::new(RunLock::default()),
            rollback: false,
        }
    }
}

/// The state shared by the promotions of one run.
pub struct Context {
    pub manifest: Arc<Manifest>,
    pub options: RunOptions,
    clients: BTreeMap<String, spark::Client>,
    work_dir: WorkDir,
    turns: TenantTurns,
}

enum WorkDir {
    Temporary(tempfile::TempDir),
    Given(PathBuf),
}

impl Context {
    pub fn new(manifest: Arc<Manifest>, options: RunOptions) -> anyhow::Result<Context> {
        let mut clients = BTreeMap::new();
        for (name, environment) in &manifest.environments {
            clients.insert(name.clone(), client_for(environment, &options.client)?);
        }
        let work_dir = match &options.work_dir {
            Some(dir) => WorkDir::Given(dir.clone()),
            None => WorkDir::Temporary(
                tempfile::Builder::new()
                    .prefix("spark-promote-")
                    .tempdir()
                    .context("failed to create a work directory")?,
            ),
        };
        Ok(Context {
            manifest,
            options,
            clients,
            work_dir,
            turns: TenantTurns::default(),
        })
    }

    /// The client of an environment named in the manifest (validated to exist).
    pub fn client(&self, environment: &str) -> anyhow::Result<&spark::Client> {
        self.clients
            .get(environment)
            .with_context(|| format!("environment {environment} is not in the manifest"))
    }

    /// The base URL (with the tenant) of an environment named in the manifest.
    pub fn target_url(&self, environment: &str) -> String {
        self.manifest
            .environments
            .get(environment)
            .map(|environment| environment.url.to_string())
            .unwrap_or_default()
    }

    /// Waits for this run's turn on the tenant of `client`, to start (or attach to) a job there: one job of
    /// the run per tenant at a time. Gives up when the run is cancelled.
    pub async fn turn(&self, client: &spark::Client) -> anyhow::Result<Turn> {
        let tenant = client.base_url().as_str();
        let what = format!("waiting for this run's other job on {tenant}");
        let take = async { Ok(self.turns.take(tenant).await) };
        self.options.cancel.unless(&what, take).await
    }

    pub fn work_dir(&self) -> &Path {
        match &self.work_dir {
            WorkDir::Temporary(dir) => dir.path(),
            WorkDir::Given(dir) => dir,
        }
    }
}

/// A Spark client for an environment of the manifest.
/// The client of an environment with the default options (commands outside a run: `export`, `status`).
pub fn default_client(environment: &Environment) -> anyhow::Result<spark::Client> {
    client_for(environment, &spark::ClientOptions::default())
}

pub fn client_for(
    environment: &Environment,
    options: &spark::ClientOptions,
) -> anyhow::Result<spark::Client> {
    let auth = match &environment.auth {
        manifest::Auth::Bearer(token) => spark::Auth::Bearer(token.clone()),
        manifest::Auth::ApiKey(key) => spark::Auth::ApiKey(key.clone()),
        manifest::Auth::OAuth2 {
            client_id,
            client_secret,
            token_url,
        } => spark::Auth::ClientCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            token_url: token_url.clone(),
        },
    };
    let options = spark::ClientOptions {
        credentials: Some(spark::CredentialsLabel {
            environment: environment.name.clone(),
            check: environment.credentials.clone(),
        }),
        ..options.clone()
    };
    spark::Client::new(environment.url.clone(), auth, options).with_context(|| {
        format!(
            "failed to set up the client for environment {}",
            environment.name
        )
    })
}
