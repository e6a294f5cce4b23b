//! `gateway serve --demo` (what `make run` runs), as a new user meets it: the real binary on
//! 127.0.0.1:0 with a fresh database prints the demo credentials and one snippet per vendor SDK;
//! each snippet is cut out of the output by its markers and run, unchanged, with the pinned SDKs
//! (`.venv-sdk` and `tests/sdk/js/node_modules`, installed by the project's scripts), and must
//! print the demo user. A restart on the same database prints the same tiered project and keys.

use std::{path::Path, process::Stdio, time::Duration};

use anyhow::{Context, bail};
use gateway_tests::sdk;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::reliability::gateway_binary;

/// A running `serve --demo` and everything it printed up to its last snippet.
struct Demo {
    _child: tokio::process::Child,
    banner: String,
}

async fn start_demo(dir: &Path) -> anyhow::Result<Demo> {
    let mut child = tokio::process::Command::new(gateway_binary()?)
        .args([
            "--config-dir",
            &dir.display().to_string(),
            "serve",
            "--demo",
        ])
        .current_dir(dir)
        .env_remove("GATEWAY_ENV")
        .env_remove("GATEWAY_CONFIG")
        .env_remove("RUST_LOG")
        .env("GATEWAY__SERVER__HOST", "127.0.0.1")
        .env("GATEWAY__SERVER__PORT", "0")
        .env("GATEWAY__SERVER__WORKERS", "2")
        .env("GATEWAY__LOG__FILTER", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
    let banner = tokio::time::timeout(Duration::from_secs(60), async {
        let mut banner = String::new();
        while let Some(line) = lines.next_line().await? {
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("try:") {
                return Ok::<_, anyhow::Error>(banner);
            }
        }
        bail!("the gateway exited after printing:\n{banner}")
    })
    .await
    .context("no demo banner within 60 s")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Demo {
        _child: child,
        banner,
    })
}

/// `(name, language, code)` of every snippet between its markers.
fn snippets(banner: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String, Vec<&str>)> = None;
    for line in banner.lines() {
        if let Some(header) = line.strip_prefix("--- snippet ") {
            let mut words = header.split_whitespace();
            let name = words.next().unwrap_or_default().to_owned();
            let language = words.next().unwrap_or_default().trim_end_matches(':');
            current = Some((name, language.to_owned(), Vec::new()));
        } else if line == "--- end snippet ---" {
            if let Some((name, language, code)) = current.take() {
                out.push((name, language, code.join("\n")));
            }
        } else if let Some((_, _, code)) = current.as_mut() {
            code.push(line);
        }
    }
    out
}

/// The value after `label` on the banner's line that has it.
fn value_after<'a>(banner: &'a str, label: &str) -> Option<&'a str> {
    banner
        .lines()
        .find_map(|l| l.split_once(label))
        .and_then(|(_, rest)| rest.split_whitespace().next())
}

async fn run_snippet(language: &str, code: &str, scratch: &Path) -> anyhow::Result<String> {
    let env = vec![
        ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
        ("no_proxy", "127.0.0.1,localhost".to_owned()),
        ("PYTHONDONTWRITEBYTECODE", "1".to_owned()),
        ("PYTHONWARNINGS", "ignore".to_owned()),
        ("ZENML_LOGGING_VERBOSITY", "ERROR".to_owned()),
    ];
    let timeout = Duration::from_secs(180);
    match language {
        "python" => {
            let file = scratch.join("snippet.py");
            std::fs::write(&file, code)?;
            let python = sdk::python()?;
            sdk::run(&python, &[&file.display().to_string()], &env, timeout).await
        }
        "javascript" => {
            sdk::node_ready()?;
            // An ES module resolves packages from its own directory up: link the pinned ones.
            let modules = scratch.join("node_modules");
            if !modules.exists() {
                std::os::unix::fs::symlink(
                    sdk::repo_root().join("tests/sdk/js/node_modules"),
                    &modules,
                )?;
            }
            let file = scratch.join("snippet.mjs");
            std::fs::write(&file, code)?;
            sdk::run(
                Path::new("node"),
                &[&file.display().to_string()],
                &env,
                timeout,
            )
            .await
        }
        other => bail!("unknown snippet language {other:?}"),
    }
}

#[tokio::test]
async fn every_printed_sdk_snippet_runs_and_prints_the_demo_user() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = start_demo(dir.path()).await?;
    let banner = &demo.banner.clone();
    let user_id = banner
        .lines()
        .find_map(|l| l.split_once("(id ").map(|(_, r)| r))
        .and_then(|r| r.split(',').next())
        .context("demo user id")?
        .to_owned();
    let project = value_after(banner, "users (tiered)   project ").context("project")?;
    let ssk = value_after(banner, "secret server key").context("ssk")?;
    assert!(ssk.starts_with("ssk_") && ssk.len() > 20, "{banner}");
    assert!(value_after(banner, "refresh token").is_some(), "{banner}");
    assert!(value_after(banner, "admin token").is_some(), "{banner}");

    let found = snippets(banner);
    let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["dreadnode", "zenml", "bird", "stackframe"],
        "{banner}"
    );
    for (name, language, code) in &found {
        let scratch = tempfile::tempdir()?;
        let out = run_snippet(language, code, scratch.path())
            .await
            .with_context(|| format!("snippet {name}:\n{code}"))?;
        assert!(
            out.contains(&user_id) && out.contains("demo@example.com"),
            "snippet {name} printed:\n{out}"
        );
    }

    // A restart on the same database: the same project and keys, fresh tokens.
    drop(demo);
    let again = start_demo(dir.path()).await?;
    assert_eq!(
        value_after(&again.banner, "users (tiered)   project "),
        Some(project)
    );
    assert_eq!(value_after(&again.banner, "secret server key"), Some(ssk));
    Ok(())
}
