//! The action's inputs, as the runner passes them: `INPUT_<NAME>` with the name upper-cased, spaces turned
//! into underscores and hyphens kept (`github-token` → `INPUT_GITHUB-TOKEN`). An empty value is unset.
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::Env;
use crate::exit::InvalidInput;
use crate::promote::backup::RollbackMode;

/// The default manifest path.
pub const DEFAULT_MANIFEST: &str = "spark-promote.yaml";

/// What the action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionCommand {
    Plan,
    Apply,
    Validate,
    /// Re-import the `backup` input's package with replace (see `spark-promote rollback`).
    Rollback,
    /// Compare each promotion's source (or lock) with its destination; keep the drift issue.
    Drift,
}

impl ActionCommand {
    pub const ALL: [ActionCommand; 5] = [
        ActionCommand::Plan,
        ActionCommand::Apply,
        ActionCommand::Validate,
        ActionCommand::Rollback,
        ActionCommand::Drift,
    ];

    /// The `command` input's value for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionCommand::Plan => "plan",
            ActionCommand::Apply => "apply",
            ActionCommand::Validate => "validate",
            ActionCommand::Rollback => "rollback",
            ActionCommand::Drift => "drift",
        }
    }

    /// Whether it runs without secrets (and so on a fork's pull request, which has none).
    pub fn runs_without_secrets(self) -> bool {
        matches!(self, ActionCommand::Plan | ActionCommand::Validate)
    }
}

/// When to write the pull-request comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommentMode {
    /// On a pull request (or the merged pull request of a push): create the comment when the run has
    /// something to say (anything other than "all already applied"), and keep an existing one up to date.
    #[default]
    Auto,
    /// On a pull request: create or update the comment whatever the run did.
    Always,
    /// Never comment.
    Never,
}

/// The action's inputs, checked.
#[derive(Debug)]
pub struct Inputs {
    pub command: ActionCommand,
    pub manifest: PathBuf,
    /// Selected promotions by name; empty means all.
    pub promotions: Vec<String>,
    /// The token for the comment; none means no comment.
    pub github_token: Option<SecretString>,
    pub comment: CommentMode,
    /// The drift issue's labels (`issue-labels`); the first finds the issue again.
    pub issue_labels: Vec<String>,
    /// How long to wait for a busy tenant and for a job; none means the command's default.
    pub wait_timeout: Option<Duration>,
    /// Hosts allowed besides `*.coherent.global` and loopback.
    pub allowed_hosts: Vec<String>,
    /// The GitHub environment of each promotion's deployment, `{environment}` standing for the manifest's
    /// name of the destination (default `spark-{environment}`); none (the input set empty) records none.
    pub deployment_environment: Option<String>,
    /// `rollback`: the backup package, relative to the workspace (required for that command).
    pub backup: Option<PathBuf>,
    /// `rollback`: the environment to restore; default: the one the backup was exported from.
    pub environment: Option<String>,
    /// `rollback`: exact (`replace`, the default) or `keep-history` (`add_version` on top).
    pub rollback_mode: RollbackMode,
    /// `locked: true`: refuse to plan or apply without an up-to-date lock file (as `--locked`).
    pub locked: bool,
}

impl Inputs {
    /// The environments whose secrets this step needs: the selected promotions' (all when none is
    /// selected), or for a rollback with an `environment`, that one.
    pub fn scope(&self) -> crate::manifest::Scope {
        match (&self.command, &self.environment) {
            (ActionCommand::Rollback, Some(environment)) => {
                crate::manifest::Scope::Environment(environment.clone())
            }
            _ => crate::manifest::Scope::promotions(&self.promotions),
        }
    }

    /// Reads the inputs through `env` (the process environment in the action, a map in tests).
    ///
    /// The command defaults to `plan` on `pull_request` and `pull_request_target` events
    /// (`GITHUB_EVENT_NAME`), `apply` otherwise. Bad values are [`InvalidInput`] errors naming the input.
    pub fn from_env(env: Env) -> anyhow::Result<Inputs> {
        let input = |name: &str| {
            read(
                env,
                &format!("INPUT_{}", name.replace(' ', "_").to_uppercase()),
            )
        };
        let command = match input("command") {
            Some(value) => parse_choice(
                "command",
                &value,
                &ActionCommand::ALL.map(|command| (command.as_str(), command)),
            )?,
            None => default_command(read(env, "GITHUB_EVENT_NAME").as_deref()),
        };
        let comment = comment_mode(input("comment"))?;
        let wait_timeout = input("wait-timeout").map(wait_timeout).transpose()?;
        let backup = input("backup").map(PathBuf::from);
        if command == ActionCommand::Rollback && backup.is_none() {
            return Err(InvalidInput::msg(
                "input 'backup' is required by command rollback: the path of a backup package",
            )
            .into());
        }
        let rollback_mode = match input("rollback-mode") {
            Some(value) => parse_choice(
                "rollback-mode",
                &value,
                &[RollbackMode::Exact, RollbackMode::KeepHistory].map(|mode| (mode.as_str(), mode)),
            )?,
            None => RollbackMode::Exact,
        };
        let locked = match input("locked") {
            Some(value) => parse_choice("locked", &value, &[("true", true), ("false", false)])?,
            None => false,
        };
        Ok(Inputs {
            command,
            locked,
            manifest: PathBuf::from(
                input("manifest").unwrap_or_else(|| DEFAULT_MANIFEST.to_string()),
            ),
            promotions: list(input("promotions").as_deref()),
            github_token: input("github-token").map(SecretString::from),
            comment,
            issue_labels: match list(input("issue-labels").as_deref()) {
                labels if labels.is_empty() => vec!["spark-promote".to_string()],
                labels => labels,
            },
            wait_timeout,
            allowed_hosts: list(input("allowed-hosts").as_deref()),
            deployment_environment: deployment_environment(env),
            backup,
            environment: input("environment"),
            rollback_mode,
        })
    }
}

/// The `comment` input (default `auto`).
fn comment_mode(value: Option<String>) -> anyhow::Result<CommentMode> {
    match value {
        Some(value) => parse_choice(
            "comment",
            &value,
            &[
                ("auto", CommentMode::Auto),
                ("always", CommentMode::Always),
                ("never", CommentMode::Never),
            ],
        ),
        None => Ok(CommentMode::Auto),
    }
}

/// The `wait-timeout` input: a duration like `30m`.
fn wait_timeout(value: String) -> Result<Duration, InvalidInput> {
    humantime::parse_duration(&value).map_err(|err| {
        InvalidInput::msg(format!(
            "input 'wait-timeout': '{value}' is not a duration like 30m or 1h30m: {err}"
        ))
    })
}

/// A variable's value, trimmed; empty counts as unset.
pub(crate) fn read(env: Env, name: &str) -> Option<String> {
    env(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// `deployment-environment`: unlike other inputs, set but empty means "none" (deployments off), and
/// only a missing variable (outside the action's `action.yml`) gets the default.
fn deployment_environment(env: Env) -> Option<String> {
    match env("INPUT_DEPLOYMENT-ENVIRONMENT") {
        None => Some(super::deployments::DEFAULT_ENVIRONMENT.to_string()),
        Some(value) => Some(value.trim().to_string()).filter(|value| !value.is_empty()),
    }
}

fn default_command(event_name: Option<&str>) -> ActionCommand {
    match event_name {
        Some("pull_request" | "pull_request_target") => ActionCommand::Plan,
        _ => ActionCommand::Apply,
    }
}

fn parse_choice<T: Copy>(input: &str, value: &str, choices: &[(&str, T)]) -> anyhow::Result<T> {
    let wanted = value.to_lowercase();
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, choice)| *choice)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            InvalidInput::msg(format!(
                "input '{input}': '{value}' is not one of {}",
                names.join(", ")
            ))
            .into()
        })
}

/// Items separated by commas or newlines, trimmed, without empty ones.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([',', '\n', '\r'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;
    use crate::exit::code_for_error;

    fn inputs(vars: &[(&str, &str)]) -> anyhow::Result<Inputs> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Inputs::from_env(&|name| vars.get(name).cloned())
    }

    #[test]
    fn hyphenated_inputs_are_read_with_their_hyphens() {
        let read = inputs(&[
            ("INPUT_GITHUB-TOKEN", "ghs_abc"),
            ("INPUT_WAIT-TIMEOUT", "1h 30m"),
            (
                "INPUT_ALLOWED-HOSTS",
                "spark.internal.example, other.example\nthird.example\n",
            ),
            ("INPUT_GITHUB_TOKEN", "wrong"),
        ])
        .unwrap();
        assert_eq!(read.github_token.unwrap().expose_secret(), "ghs_abc");
        assert_eq!(read.wait_timeout, Some(Duration::from_secs(5400)));
        assert_eq!(
            read.allowed_hosts,
            ["spark.internal.example", "other.example", "third.example"]
        );
    }

    #[test]
    fn empty_inputs_are_unset_and_get_defaults() {
        let read = inputs(&[
            ("INPUT_MANIFEST", ""),
            ("INPUT_GITHUB-TOKEN", "  "),
            ("INPUT_COMMENT", ""),
            ("INPUT_PROMOTIONS", ""),
        ])
        .unwrap();
        assert_eq!(read.manifest, PathBuf::from("spark-promote.yaml"));
        assert!(read.github_token.is_none());
        assert_eq!(read.comment, CommentMode::Auto);
        assert!(read.promotions.is_empty());
        assert_eq!(read.wait_timeout, None);
    }

    #[test]
    fn the_deployment_environment_defaults_to_spark_env_and_an_empty_input_turns_deployments_off() {
        let default = inputs(&[]).unwrap();
        assert_eq!(
            default.deployment_environment.as_deref(),
            Some("spark-{environment}")
        );
        let custom = inputs(&[("INPUT_DEPLOYMENT-ENVIRONMENT", " spark/{environment} ")]).unwrap();
        assert_eq!(
            custom.deployment_environment.as_deref(),
            Some("spark/{environment}")
        );
        let off = inputs(&[("INPUT_DEPLOYMENT-ENVIRONMENT", "")]).unwrap();
        assert_eq!(off.deployment_environment, None);
    }

    #[test]
    fn promotions_are_separated_by_commas_or_newlines() {
        let read = inputs(&[("INPUT_PROMOTIONS", "pricing, rates\nclaims\r\n\n")]).unwrap();
        assert_eq!(read.promotions, ["pricing", "rates", "claims"]);
    }

    #[test]
    fn command_defaults_to_plan_on_pull_requests_and_apply_otherwise() {
        for (event, command) in [
            ("pull_request", ActionCommand::Plan),
            ("pull_request_target", ActionCommand::Plan),
            ("push", ActionCommand::Apply),
            ("schedule", ActionCommand::Apply),
        ] {
            let read = inputs(&[("GITHUB_EVENT_NAME", event)]).unwrap();
            assert_eq!(read.command, command, "{event}");
        }
        assert_eq!(inputs(&[]).unwrap().command, ActionCommand::Apply);
        let explicit = inputs(&[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("INPUT_COMMAND", "Validate"),
        ]);
        assert_eq!(explicit.unwrap().command, ActionCommand::Validate);
    }

    #[test]
    fn bad_values_are_invalid_input_naming_the_input_and_the_choices() {
        let err = inputs(&[("INPUT_COMMAND", "deploy")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input 'command': 'deploy' is not one of plan, apply, validate, rollback, drift"
        );
        assert_eq!(code_for_error(&err), 2);
        let err = inputs(&[("INPUT_COMMAND", "rollback")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("input 'backup' is required by command rollback"),
            "{err}"
        );
        assert_eq!(code_for_error(&err), 2);
        let err = inputs(&[("INPUT_COMMENT", "sometimes")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input 'comment': 'sometimes' is not one of auto, always, never"
        );
        let err = inputs(&[("INPUT_WAIT-TIMEOUT", "soon")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("input 'wait-timeout': 'soon' is not a duration like 30m"),
            "{err}"
        );
        assert_eq!(code_for_error(&err), 2);
    }

    #[test]
    fn locked_is_off_unless_true_and_refuses_other_words() {
        assert!(!inputs(&[]).unwrap().locked);
        assert!(inputs(&[("INPUT_LOCKED", "True")]).unwrap().locked);
        assert!(!inputs(&[("INPUT_LOCKED", "false")]).unwrap().locked);
        let err = inputs(&[("INPUT_LOCKED", "yes")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input 'locked': 'yes' is not one of true, false"
        );
        assert_eq!(code_for_error(&err), 2);
    }

    #[test]
    fn the_token_is_not_printed_by_debug() {
        let read = inputs(&[("INPUT_GITHUB-TOKEN", "ghs_secret_value")]).unwrap();
        assert!(!format!("{read:?}").contains("ghs_secret_value"));
    }
}
