//! Command-line types (clap derive). Each command turns its arguments into a request for the library.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::{InvalidInput, Outcome};

/// Promote Coherent Spark services between environments through the ImpEx API.
#[derive(Debug, Parser)]
#[command(name = "spark-promote", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More logs on stderr (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the manifest offline: syntax, secrets present, packages readable.
    Validate(ManifestArgs),
    /// Show what apply would do: reads the target (an environment source is exported to list it; nothing is imported).
    Plan(RunArgs),
    /// Run the promotions: export where needed, then import.
    Apply(ApplyArgs),
    /// Put back what a promotion replaced: re-import a backup (written by apply) with replace.
    Rollback(RollbackArgs),
    /// Export services from an environment into a package (NAME.zip) and its index (NAME.zip.json).
    Export(ExportArgs),
    /// Show the status of an import or export job.
    Status(JobArgs),
    /// Cancel an import or export job.
    Cancel(JobArgs),
    /// Compare each promotion's source (or its lock) with its destination: exit 0 in sync, 3 on drift.
    Drift(DriftArgs),
    /// Run each promotion's `verify:` cases against an environment (compared with the expected outputs)
    /// or two (`--against`): exit 0 when every case matches, 1 otherwise.
    Verify(VerifyArgs),
    /// Pin each promotion's source versions (or package sha256) in spark-promote.lock beside the manifest.
    Lock(LockArgs),
    /// Run the embedded emulator of the Spark ImpEx API.
    Sandbox(SandboxArgs),
    /// Run an in-process sandbox and the example promotion end to end: plan, apply, apply again, each result
    /// printed as plan and apply print theirs.
    Demo(DemoArgs),
    /// Print the manifest's JSON Schema.
    Schema,
    /// The GitHub Action entry point (reads INPUT_* and the GITHUB_* files).
    Action,
}

#[derive(Debug, Args)]
struct ManifestArgs {
    /// Path of the promotion manifest.
    #[arg(short, long, default_value = "spark-promote.yaml")]
    manifest: PathBuf,
    /// Only these promotions (by name); repeat for several. Default: all. Only the secrets of the environments
    /// they use are read.
    #[arg(short, long = "promotion", value_name = "NAME")]
    promotions: Vec<String>,
    /// Also allow credentials to be sent to this host over https (besides https://*.coherent.global and
    /// loopback): a host or *.domain; http://HOST also allows plain http to that one host.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
}

#[derive(Debug, Args)]
struct LockArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Update an existing lock: re-resolve, rewrite only the entries that moved (the file is untouched when
    /// none did) and print them on stdout.
    #[arg(long)]
    update: bool,
}

#[derive(Debug, Args)]
struct DriftArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Print the result as JSON on stdout (as `--format json`).
    #[arg(long)]
    json: bool,
    /// How to print the report: text, markdown or json (see `apply --help`).
    #[arg(long, value_enum, conflicts_with = "json")]
    format: Option<FormatArg>,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Print the three results as JSON on stdout (as `--format json`).
    #[arg(long)]
    json: bool,
    /// How to print the results: text, markdown or json (see `apply --help`).
    #[arg(long, value_enum, conflicts_with = "json")]
    format: Option<FormatArg>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// The environment whose answers are checked.
    #[arg(long, value_name = "NAME")]
    env: String,
    /// Compare with this environment's answers instead of the cases' expected outputs.
    #[arg(long, value_name = "NAME")]
    against: Option<String>,
    /// Run the cases against this version id in `--env` (say, the one an import placed) instead of the
    /// service's latest version.
    #[arg(long, value_name = "ID")]
    version_id: Option<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Print the result as JSON on stdout (as `--format json`).
    #[arg(long)]
    json: bool,
    /// How to print the result: text (for a person; coloured on a terminal unless NO_COLOR is set),
    /// markdown (GitHub's, as the job summary), json. Default: markdown inside GitHub Actions, else text.
    #[arg(long, value_enum, conflicts_with = "json")]
    format: Option<FormatArg>,
    /// Refuse to run (exit 2) unless spark-promote.lock is present, up to date with the manifest and covers
    /// every selected promotion.
    #[arg(long)]
    locked: bool,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    #[command(flatten)]
    run: RunArgs,
    /// How long to wait for a busy tenant and for a job to finish.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    wait_timeout: Duration,
}

#[derive(Debug, Args)]
struct RollbackArgs {
    /// Path of the promotion manifest that names the environment.
    #[arg(short, long, default_value = "spark-promote.yaml")]
    manifest: PathBuf,
    /// Environment of the manifest to restore; by default the one the backup was exported from (any other
    /// is refused).
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// The backup package (e.g. .spark-promote/backups/pricing-20261201T143110Z.zip); its index
    /// (NAME.zip.json) must be beside it.
    #[arg(long, value_name = "FILE")]
    backup: PathBuf,
    /// Print the result as JSON on stdout (as `--format json`).
    #[arg(long)]
    json: bool,
    /// How to print the result: text, markdown or json (see `apply --help`).
    #[arg(long, value_enum, conflicts_with = "json")]
    format: Option<FormatArg>,
    /// Only show what the rollback would change (nothing is imported).
    #[arg(long)]
    dry_run: bool,
    /// Keep the services' API call history: put the backup's versions back on top with add_version (new
    /// version numbers, the old content; the newer versions stay) instead of the exact restore with
    /// replace, after which Spark deletes that history.
    #[arg(long)]
    keep_history: bool,
    /// How long to wait for a busy tenant and for the job to finish.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    wait_timeout: Duration,
    /// Also allow credentials to be sent to this host.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Environment of the manifest to export from (without it: the CSPARK_* variables).
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// Path of the promotion manifest that names the environment.
    #[arg(short, long, default_value = "spark-promote.yaml")]
    manifest: PathBuf,
    /// A service to export: folder/service or folder/service[version]; repeat for several.
    #[arg(long = "service", value_name = "URI")]
    services: Vec<String>,
    /// A folder to export; repeat for several.
    #[arg(long = "folder", value_name = "FOLDER")]
    folders: Vec<String>,
    /// A version id to export; repeat for several.
    #[arg(long = "version-id", value_name = "ID")]
    version_ids: Vec<String>,
    /// Which versions of each service: latest or all.
    #[arg(long, value_enum, default_value_t = VersionFilterArg::Latest)]
    version_filter: VersionFilterArg,
    /// Where to write the package (NAME.zip); the export index goes beside it as NAME.zip.json.
    #[arg(short, long)]
    output: PathBuf,
    /// Also allow credentials to be sent to this host.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
    /// How long to wait for a busy tenant and for the export to finish.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    wait_timeout: Duration,
}

/// `--version-filter`: which versions of each service an export takes.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum VersionFilterArg {
    Latest,
    All,
}

/// `--format`: how a run's result is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Markdown,
    Json,
}

impl FormatArg {
    /// The format asked for with `--format` or `--json`; `None` leaves it to the command.
    fn chosen(format: Option<FormatArg>, json: bool) -> Option<crate::commands::run::Format> {
        use crate::commands::run::Format;
        match (format, json) {
            (_, true) | (Some(FormatArg::Json), _) => Some(Format::Json),
            (Some(FormatArg::Text), _) => Some(Format::Text),
            (Some(FormatArg::Markdown), _) => Some(Format::Markdown),
            (None, false) => None,
        }
    }
}

/// `--kind`: an import or an export job.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Import,
    Export,
}

#[derive(Debug, Args)]
struct JobArgs {
    /// Environment of the manifest (without it: the CSPARK_* variables).
    #[arg(long = "env", value_name = "NAME")]
    environment: Option<String>,
    /// Path of the promotion manifest that names the environment.
    #[arg(short, long, default_value = "spark-promote.yaml")]
    manifest: PathBuf,
    /// The job's kind.
    #[arg(long, value_enum, default_value_t = KindArg::Import)]
    kind: KindArg,
    /// The job id.
    job_id: String,
    /// Also allow credentials to be sent to this host.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
}

#[derive(Debug, Args)]
struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed file (YAML: tenants, credentials, folders, services; see docs/sandbox-seed.md); default: the
    /// demo's tenants.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// How long an import or export job takes.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    job_duration: Duration,
    /// Largest accepted upload, in MiB (Spark's default limit is 200).
    #[arg(long, default_value_t = 200)]
    max_upload_mb: u64,
    /// Keep the state in this directory across restarts (default: in memory).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Answer shapes: rich (the defaults, with extras such as correlation ids in job listings) or spec
    /// (exactly those of Coherent's published OpenAPI file).
    #[arg(long, value_enum, default_value_t = CompatArg::Rich)]
    compat: CompatArg,
}

/// `--compat`: the sandbox's answer shapes.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CompatArg {
    Rich,
    Spec,
}

impl SandboxArgs {
    /// Serves the sandbox until the process is stopped. A seed file that cannot be read or parsed is the
    /// caller's to fix (exit 2).
    async fn serve(self) -> anyhow::Result<Outcome> {
        let seed = match &self.seed {
            Some(path) => crate::sandbox::Seed::load(path).map_err(InvalidInput)?,
            None => crate::sandbox::Seed::demo(),
        };
        let config = crate::sandbox::Config {
            listen: self.listen,
            job_duration: self.job_duration,
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            state_dir: self.state_dir,
            compat: match self.compat {
                CompatArg::Spec => crate::sandbox::Compat::Spec,
                CompatArg::Rich => crate::sandbox::Compat::Rich,
            },
            ..crate::sandbox::Config::default()
        };
        crate::sandbox::serve(config, seed).await?;
        Ok(Outcome::Success)
    }
}

impl RollbackArgs {
    fn into_request(self) -> crate::commands::rollback::RollbackRequest {
        crate::commands::rollback::RollbackRequest {
            manifest: self.manifest,
            environment: self.environment,
            backup: self.backup,
            allowed_hosts: self.allowed_hosts,
            format: FormatArg::chosen(self.format, self.json),
            dry_run: self.dry_run,
            wait_timeout: self.wait_timeout,
            mode: if self.keep_history {
                crate::promote::backup::RollbackMode::KeepHistory
            } else {
                crate::promote::backup::RollbackMode::Exact
            },
        }
    }
}

impl ExportArgs {
    fn into_command(self) -> crate::commands::export::ExportCommand {
        use crate::commands::job::EnvironmentChoice;
        crate::commands::export::ExportCommand {
            environment: EnvironmentChoice {
                name: self.environment,
                manifest: self.manifest,
                allowed_hosts: self.allowed_hosts,
            },
            services: self.services,
            folders: self.folders,
            version_ids: self.version_ids,
            version_filter: match self.version_filter {
                VersionFilterArg::Latest => crate::manifest::VersionFilter::Latest,
                VersionFilterArg::All => crate::manifest::VersionFilter::All,
            },
            output: self.output,
            wait_timeout: self.wait_timeout,
        }
    }
}

impl Cli {
    /// Installs the stderr logs: for `action`, through the writer that keeps log text from starting a
    /// workflow command.
    pub fn init_logging(&self) {
        match self.command {
            Command::Action => crate::logging::init_for_action(self.verbosity()),
            _ => crate::logging::init(self.verbosity()),
        }
    }

    /// The default log filter for the verbosity flags.
    pub fn verbosity(&self) -> &'static str {
        match (self.quiet, self.verbose) {
            (true, _) => "warn",
            (false, 0) => "info",
            (false, 1) => "debug",
            (false, _) => "trace",
        }
    }

    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<Outcome> {
        use crate::commands::{self, export, job, run, validate};
        use crate::promote::result::RunKind;
        match self.command {
            Command::Validate(args) => {
                validate::validate(validate::ValidateRequest {
                    selection: args.into(),
                })
                .await
            }
            Command::Plan(args) => run::run(args.into_request(RunKind::Plan, None)).await,
            Command::Apply(args) => {
                run::run(
                    args.run
                        .into_request(RunKind::Apply, Some(args.wait_timeout)),
                )
                .await
            }
            Command::Rollback(args) => commands::rollback::rollback(args.into_request()).await,
            Command::Export(args) => export::export(args.into_command()).await,
            Command::Verify(args) => {
                commands::verify::verify(commands::verify::VerifyRequest {
                    selection: args.manifest.into(),
                    env: args.env,
                    against: args.against,
                    version_id: args.version_id,
                    json: args.json,
                })
                .await
            }
            Command::Drift(args) => {
                commands::drift::drift(commands::drift::DriftRequest {
                    selection: args.manifest.into(),
                    format: FormatArg::chosen(args.format, args.json),
                })
                .await
            }
            Command::Lock(args) => {
                commands::lock::lock(commands::lock::LockRequest {
                    selection: args.manifest.into(),
                    update: args.update,
                })
                .await
            }
            Command::Status(args) => {
                job::status_or_cancel(args.into_request(job::JobAction::Status)).await
            }
            Command::Cancel(args) => {
                job::status_or_cancel(args.into_request(job::JobAction::Cancel)).await
            }
            Command::Sandbox(args) => args.serve().await,
            Command::Demo(args) => {
                commands::demo::demo(FormatArg::chosen(args.format, args.json)).await
            }
            Command::Schema => {
                use std::io::Write;
                let schema = serde_json::to_string_pretty(&crate::manifest::schema())?;
                writeln!(std::io::stdout().lock(), "{schema}")?;
                Ok(Outcome::Success)
            }
            Command::Action => commands::action::action().await,
        }
    }
}

impl From<ManifestArgs> for crate::commands::Selection {
    fn from(args: ManifestArgs) -> Self {
        crate::commands::Selection {
            manifest: args.manifest,
            promotions: args.promotions,
            allowed_hosts: args.allowed_hosts,
        }
    }
}

impl RunArgs {
    fn into_request(
        self,
        command: crate::promote::result::RunKind,
        wait_timeout: Option<Duration>,
    ) -> crate::commands::run::RunRequest {
        crate::commands::run::RunRequest {
            command,
            selection: self.manifest.into(),
            format: FormatArg::chosen(self.format, self.json),
            locked: self.locked,
            wait_timeout: wait_timeout.unwrap_or(Duration::from_secs(30 * 60)),
        }
    }
}

impl JobArgs {
    fn into_request(
        self,
        action: crate::commands::job::JobAction,
    ) -> crate::commands::job::JobRequest {
        crate::commands::job::JobRequest {
            environment: crate::commands::job::EnvironmentChoice {
                name: self.environment,
                manifest: self.manifest,
                allowed_hosts: self.allowed_hosts,
            },
            kind: match self.kind {
                KindArg::Import => crate::promote::jobs::Kind::Import,
                KindArg::Export => crate::promote::jobs::Kind::Export,
            },
            job_id: self.job_id,
            action,
        }
    }
}
