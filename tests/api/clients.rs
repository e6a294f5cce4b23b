//! The client libraries for test suites (`clients/`): the pytest plugin's and the vitest helper's
//! own test suites, run with the pinned tools (`scripts/install-python-sdks.sh` installs pytest and
//! the plugin into `.venv-sdk`, `scripts/install-js-sdks.sh` vitest into `clients/js`) against the
//! `gateway` binary of these sources, which each suite starts itself through the library under test.

use std::{path::Path, time::Duration};

use gateway_tests::sdk;

use crate::reliability::gateway_binary;

/// The environment of a suite: the binary to start, and nothing that would make the library
/// attach to another gateway or send loopback requests through a proxy.
fn suite_env(bin: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("GATEWAY_BIN", bin.display().to_string()),
        ("GATEWAY_URL", String::new()),
        ("GATEWAY_ADMIN_TOKEN", String::new()),
        ("GATEWAY_FIXTURES", String::new()),
        ("NO_PROXY", "127.0.0.1,localhost".into()),
        ("no_proxy", "127.0.0.1,localhost".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("NO_COLOR", "1".into()),
        ("CI", "true".into()),
    ]
}

/// The count before `word` in a summary line such as `17 passed in 20.1s`.
fn count_before(line: &str, word: &str) -> Option<u32> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[1].trim_end_matches(',') == word)
        .and_then(|w| w[0].parse().ok())
}

/// `clients/python/tests` with pytest from `.venv-sdk`: the plugin (loaded through its `pytest11`
/// entry point) starts the gateway, and its tests drive dreadnode, zenml and messagebird-sdk.
#[tokio::test]
async fn the_pytest_plugin_suite_passes() -> anyhow::Result<()> {
    let python = sdk::python()?;
    let bin = gateway_binary()?;
    let out = sdk::run(
        &python,
        &[
            "-m",
            "pytest",
            "clients/python/tests",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rA",
        ],
        &suite_env(&bin),
        Duration::from_secs(600),
    )
    .await?;
    let summary = out
        .lines()
        .rev()
        .find(|l| l.contains(" passed"))
        .unwrap_or_default();
    let passed = count_before(summary, "passed").unwrap_or(0);
    assert!(passed >= 17, "expected every test to run:\n{out}");
    assert!(
        !summary.contains("failed") && !summary.contains("error") && !summary.contains("skipped"),
        "{out}"
    );
    Ok(())
}

/// `clients/js` with the pinned vitest: its global setup starts the gateway, and its tests drive
/// `@stackframe/js` through the helper.
#[tokio::test]
async fn the_vitest_helper_suite_passes() -> anyhow::Result<()> {
    sdk::node_ready()?;
    let bin = gateway_binary()?;
    let dir = sdk::repo_root().join("clients/js");
    let vitest = dir.join("node_modules/vitest/vitest.mjs");
    let config = dir.join("vitest.config.js");
    let out = sdk::run(
        Path::new("node"),
        &[
            &vitest.display().to_string(),
            "run",
            "--root",
            &dir.display().to_string(),
            "--config",
            &config.display().to_string(),
        ],
        &suite_env(&bin),
        Duration::from_secs(600),
    )
    .await?;
    let tests = out
        .lines()
        .find(|l| l.trim_start().starts_with("Tests "))
        .unwrap_or_default();
    let passed = count_before(tests, "passed").unwrap_or(0);
    assert!(passed >= 17, "expected every test to run:\n{out}");
    assert!(
        !tests.contains("failed") && !tests.contains("skipped"),
        "{out}"
    );
    Ok(())
}
