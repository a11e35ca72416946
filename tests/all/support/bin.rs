//! The one place tests start the spark-promote binary: [`Bin`] builds its command, each caller saying
//! which of the inherited environment it keeps; [`Bin::output`] runs it to the end, [`Bin::tokio`] gives the
//! async command, and [`spawn_sandbox`] runs `spark-promote sandbox` as a process.
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use tokio::io::AsyncBufReadExt;

use super::cli::assert_no_secret_in;

/// The binary under test, built by cargo for this test run.
pub const PATH: &str = env!("CARGO_BIN_EXE_spark-promote");

/// The binary as a command, not yet started.
pub struct Bin(Command);

impl Bin {
    /// The binary with `args`, in the test's directory, with the environment inherited as it is.
    pub fn new<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Bin {
        let mut command = Command::new(PATH);
        command.args(args);
        Bin(command)
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Bin {
        self.0.args(args);
        self
    }

    /// Runs in `dir`.
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Bin {
        self.0.current_dir(dir);
        self
    }

    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Bin {
        self.0.env(name, value);
        self
    }

    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Bin {
        self.0.envs(vars);
        self
    }

    /// Without the developer's `RUST_LOG`, so stderr holds only what the binary logs by itself.
    pub fn own_logs(self) -> Bin {
        self.without(&["RUST_LOG"])
    }

    /// Without these inherited variables.
    pub fn without(mut self, names: &[&str]) -> Bin {
        for name in names {
            self.0.env_remove(name);
        }
        self
    }

    /// Nothing inherited but `PATH`, as a runner starts an action.
    pub fn only_path(mut self) -> Bin {
        self.0
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        self
    }

    /// Runs the binary to its end.
    pub fn output(mut self) -> Output {
        self.0.output().expect("binary runs").into()
    }

    /// The command itself, for a caller that runs it its own way.
    pub fn std(self) -> Command {
        self.0
    }

    /// The async command, killed when dropped.
    pub fn tokio(self) -> tokio::process::Command {
        let mut command = tokio::process::Command::from(self.0);
        command.kill_on_drop(true);
        command
    }

    /// The async command with stdin closed and stdout and stderr captured, killed when dropped.
    pub fn piped(self) -> tokio::process::Command {
        let mut command = self.tokio();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Output {
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Output {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not JSON ({err}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics if any secret value appears in stdout or stderr.
    pub fn assert_no_secret(&self) {
        assert_no_secret_in("stdout", &self.stdout);
        assert_no_secret_in("stderr", &self.stderr);
    }
}

/// Runs `spark-promote sandbox --listen 127.0.0.1:0 ARGS` as a child process (killed on drop) and returns
/// it with its root URL, read from its log.
pub async fn spawn_sandbox(args: &[&str]) -> (tokio::process::Child, String) {
    spawn_sandbox_with(args, &[]).await
}

/// As [`spawn_sandbox`], with more variables in its environment (`TMPDIR`, ...).
pub async fn spawn_sandbox_with(
    args: &[&str],
    env: &[(&str, &std::path::Path)],
) -> (tokio::process::Child, String) {
    let mut child = Bin::new(["sandbox", "--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .tokio()
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let root = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the sandbox logs its address");
        if let Some(url) = line.split("listening on ").nth(1) {
            break url.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, root)
}

/// Peak resident memory (VmHWM) of a process, in kB.
#[cfg(target_os = "linux")]
pub fn peak_rss_kb(pid: u32) -> u64 {
    try_peak_rss_kb(pid).unwrap_or_else(|| panic!("no peak memory for process {pid}"))
}

/// Peak resident memory (VmHWM) of a process, in kB; `None` once it has ended.
#[cfg(target_os = "linux")]
pub fn try_peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
