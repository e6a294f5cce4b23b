//! Runners for the vendor SDK scripts (`tests/sdk/`): install them with the project's scripts
//! (pinned versions, once per test binary), run a driver with a timeout, and report every step.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::OnceLock,
    time::Duration,
};

use anyhow::{Context, bail};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `scripts/<script>` (an installer of pinned test tools); its output is the error.
pub fn install(script: &str) -> Result<(), String> {
    let out = std::process::Command::new("bash")
        .arg(repo_root().join("scripts").join(script))
        .output()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{script} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Installs the pinned Python SDKs into `.venv-sdk` (once per process); returns the interpreter.
pub fn python() -> anyhow::Result<PathBuf> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| install("install-python-sdks.sh"))
        .clone()
        .map_err(anyhow::Error::msg)?;
    Ok(repo_root().join(".venv-sdk/bin/python"))
}

/// Installs the pinned npm SDK into `tests/sdk/js/node_modules` (once per process).
pub fn node_ready() -> anyhow::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| install("install-js-sdks.sh"))
        .clone()
        .map_err(anyhow::Error::msg)
}

/// Runs `program args` with `env`, killing it after `timeout`. Fails with the whole output when
/// the exit status is not 0; returns stdout otherwise.
pub async fn run(
    program: &Path,
    args: &[&str],
    env: &[(&str, String)],
    timeout: Duration,
) -> anyhow::Result<String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("spawn {}", program.display()))?;
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .with_context(|| format!("{} {args:?} timed out after {timeout:?}", program.display()))??;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        bail!(
            "{} {args:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            program.display(),
            out.status
        );
    }
    Ok(stdout)
}
