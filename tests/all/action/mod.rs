//! The action as GitHub's runner runs it: INPUT_* and GITHUB_* variables, the event payload and the file
//! commands, against a sandbox and a fake GitHub API that keeps the pull request's comments and records
//! every request.
mod ci_workflow;
mod comment;
mod deployments;
mod drift_issue;
mod events;
pub mod fake_github;
mod forks;
mod logs;
mod monorepo;
pub mod runner;
mod secrets;
mod status;
mod verification;
