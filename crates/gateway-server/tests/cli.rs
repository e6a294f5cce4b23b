//! The `gateway` binary: bad input is one clear line on stderr and exit status 1 (never a panic
//! trace); the user, key and token commands work on a fresh database.

use std::process::{Command, Output};

fn gateway(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("GATEWAY_ENV")
        .env("RUST_LOG", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the gateway binary")
}

fn fails_with(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn unknown_config_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("extra.toml"), "[database]\nurll = \"x\"\n").unwrap();
    let out = gateway(dir.path(), &["--config", "extra.toml", "migrate"], &[]);
    fails_with(&out, "unknown field `urll`");
}

#[test]
fn a_missing_environment_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = gateway(dir.path(), &["migrate"], &[("GATEWAY_ENV", "staging")]);
    fails_with(&out, "staging.toml does not exist");
}

#[test]
fn bad_database_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = gateway(
        dir.path(),
        &["migrate"],
        &[("GATEWAY__DATABASE__URL", "typo.db")],
    );
    fails_with(&out, "neither sqlite://PATH nor postgres://");
    let out = gateway(
        dir.path(),
        &["migrate"],
        &[(
            "GATEWAY__DATABASE__URL",
            "postgres://postgres@127.0.0.1:1/x",
        )],
    );
    fails_with(&out, "cannot connect to postgres");
    std::fs::write(dir.path().join("corrupt.db"), vec![b'z'; 4096]).unwrap();
    let out = gateway(
        dir.path(),
        &["migrate"],
        &[("GATEWAY__DATABASE__URL", "sqlite://corrupt.db")],
    );
    fails_with(&out, "file is not a database");
}

#[test]
fn users_keys_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("GATEWAY__DATABASE__URL", "sqlite://./data/cli.db")];
    let out = gateway(dir.path(), &["migrate"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("data/cli.db").is_file(),
        "the SQLite file is created on first start"
    );

    let out = gateway(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "cli-user",
            "--email",
            "cli@example.com",
            "--password",
            "pw",
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(user["username"], "cli-user");
    assert_eq!(user["has_password"], true);

    let out = gateway(
        dir.path(),
        &[
            "keys",
            "create",
            "--user",
            "cli-user",
            "--surface",
            "users-me",
        ],
        &env,
    );
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(key["key"].as_str().unwrap().starts_with("ZENPROKEY_"));

    let out = gateway(dir.path(), &["tokens", "issue", "--user", "cli-user"], &env);
    let set: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(set.as_array().unwrap().len(), 5);
    // Extreme lifetimes are refused with one line, never a panic (issue 15 item 6).
    for ttl in ["9223372036854775807", "0", "9000000000000000"] {
        let out = gateway(
            dir.path(),
            &["tokens", "issue", "--user", "cli-user", "--ttl-secs", ttl],
            &env,
        );
        fails_with(&out, "--ttl-secs");
    }

    let out = gateway(
        dir.path(),
        &["users", "create", "--username", "cli-user"],
        &env,
    );
    fails_with(&out, "username is already in use");

    let out = gateway(dir.path(), &["users", "delete", "cli-user"], &env);
    assert!(out.status.success());
    let out = gateway(dir.path(), &["users", "show", "cli-user"], &env);
    fails_with(&out, "user not found");
}

#[test]
fn openapi_names_an_unknown_surface() {
    let dir = tempfile::tempdir().unwrap();
    let out = gateway(dir.path(), &["openapi", "nope"], &[]);
    fails_with(&out, "unknown surface \"nope\"");
}

#[test]
fn serve_refuses_a_bad_fixture_file_with_its_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fixtures.yaml"),
        "users:\n  - username: ok\n    email: nope\n",
    )
    .unwrap();
    let env = [
        ("GATEWAY__DATABASE__URL", "sqlite://./data/fixtures.db"),
        ("GATEWAY__SERVER__PORT", "0"),
    ];
    let out = gateway(dir.path(), &["serve", "--fixtures", "fixtures.yaml"], &env);
    fails_with(
        &out,
        "fixtures.yaml:3:12: users[0].email: must be a valid email address",
    );
    let out = gateway(dir.path(), &["serve", "--fixtures", "missing.yaml"], &env);
    fails_with(&out, "cannot read fixtures missing.yaml");
}

/// Starts `gateway serve ...`, collects its stdout until a line contains `until` (or it exits,
/// or 60 s pass), then kills it.
fn serve_until(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], until: &str) -> String {
    use std::io::BufRead as _;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gateway"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("GATEWAY_ENV")
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start the gateway binary");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut out = String::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
                if line.contains(until) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

/// No built-in admin secret: on a fresh database `gateway admin-token` generates a random token
/// (32 bytes, URL-safe) and stores it; later runs and restarts show the same one, `serve --demo`
/// (`make run`) prints it, and it is refused nowhere it should work.
#[test]
fn the_generated_admin_token_persists_and_is_shown_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("GATEWAY__DATABASE__URL", "sqlite://./data/admin.db"),
        ("GATEWAY__SERVER__PORT", "0"),
    ];
    let out = gateway(dir.path(), &["admin-token"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43, "{token}");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{token}"
    );
    assert_ne!(token, "dev-admin-token");

    let again = gateway(dir.path(), &["admin-token"], &env);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), token);

    let banner = serve_until(dir.path(), &["serve", "--demo"], &env, "admin token");
    assert!(banner.contains("gateway listening on"), "{banner}");
    let line = banner
        .lines()
        .find(|l| l.contains("admin token"))
        .unwrap_or_else(|| panic!("no admin token line in:\n{banner}"));
    assert!(line.contains(&token), "{line}");

    // A configured token wins; a disabled admin API has none to show.
    let configured = [
        env[0],
        (
            "GATEWAY__ADMIN__TOKEN",
            "configured-admin-token-of-32-bytes!",
        ),
    ];
    let out = gateway(dir.path(), &["admin-token"], &configured);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "configured-admin-token-of-32-bytes!"
    );
    let out = gateway(
        dir.path(),
        &["admin-token"],
        &[env[0], ("GATEWAY__ADMIN__ENABLED", "false")],
    );
    fails_with(&out, "the admin API is disabled");
}

/// A listener that is not loopback with a configured admin token shorter than 32 bytes is
/// refused before anything is opened (exit 1, one line naming the setting).
#[test]
fn an_exposed_listener_with_a_short_admin_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("GATEWAY__DATABASE__URL", "sqlite://./data/exposed.db"),
        ("GATEWAY__SERVER__HOST", "0.0.0.0"),
        ("GATEWAY__SERVER__PORT", "0"),
        ("GATEWAY__ADMIN__TOKEN", "dev-admin-token"),
    ];
    let out = gateway(dir.path(), &["serve"], &env);
    fails_with(&out, "admin.token is shorter than 32 bytes");
    assert!(
        !dir.path().join("data").exists(),
        "refused before the database was created"
    );
    let out = gateway(
        dir.path(),
        &["serve"],
        &[
            env[0],
            env[1],
            env[2],
            ("GATEWAY__METRICS__TOKEN", "short-metrics"),
        ],
    );
    fails_with(&out, "metrics.token is shorter than 32 bytes");
}

/// A database password (in the userinfo, as `?password=`, or in a URL of an unknown scheme) is
/// never printed in an error.
#[test]
fn database_passwords_never_reach_the_output() {
    let dir = tempfile::tempdir().unwrap();
    for (url, needle) in [
        (
            "postgres://postgres:hunter2-secret@127.0.0.1:1/x",
            "cannot connect to postgres",
        ),
        (
            "postgres://postgres@127.0.0.1:1/x?sslmode=disable&password=hunter2-secret",
            "cannot connect to postgres postgres://postgres@127.0.0.1:1/x?sslmode=disable",
        ),
        (
            "mysql://root:hunter2-secret@db.example.com/app",
            "neither sqlite://PATH nor postgres://",
        ),
        (
            "root:hunter2-secret@db.example.com/app",
            "neither sqlite://PATH nor postgres://",
        ),
    ] {
        let out = gateway(dir.path(), &["migrate"], &[("GATEWAY__DATABASE__URL", url)]);
        fails_with(&out, needle);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("hunter2"), "{url}: {all}");
    }
}

/// `gateway completions bash` prints a completion script that knows every subcommand; zsh and
/// fish work too, and an unknown shell is refused.
#[test]
fn completions_are_generated_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    let out = gateway(dir.path(), &["completions", "bash"], &[]);
    assert!(out.status.success(), "{out:?}");
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("complete -F _gateway"), "{script}");
    for sub in [
        "serve",
        "migrate",
        "users",
        "keys",
        "tokens",
        "admin-token",
        "openapi",
        "fixtures",
        "completions",
    ] {
        assert!(script.contains(sub), "{sub} missing from:\n{script}");
    }
    assert!(script.contains("--demo"), "serve's flags are completed too");
    for (shell, marker) in [("zsh", "#compdef gateway"), ("fish", "complete -c gateway")] {
        let out = gateway(dir.path(), &["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(marker),
            "{shell}"
        );
    }
    let out = gateway(dir.path(), &["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown shell");
}

/// `fixtures export` writes the database's state (secrets as hashes) and `fixtures load` puts it
/// into another database, whose export is the same document.
#[test]
fn fixtures_export_and_load_round_trip_between_databases() {
    let dir = tempfile::tempdir().unwrap();
    let a = [("GATEWAY__DATABASE__URL", "sqlite://./data/a.db")];
    let b = [("GATEWAY__DATABASE__URL", "sqlite://./data/b.db")];
    let ok = |out: Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(gateway(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "ada",
            "--email",
            "ada@example.com",
            "--password",
            "ada-password",
        ],
        &a,
    ));
    let key = ok(gateway(
        dir.path(),
        &["keys", "create", "--user", "ada", "--surface", "me"],
        &a,
    ));
    let key: serde_json::Value = serde_json::from_str(&key).unwrap();
    let key = key["key"].as_str().unwrap();
    ok(gateway(
        dir.path(),
        &["fixtures", "export", "--out", "state.json"],
        &a,
    ));
    let exported = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(exported.contains("\"secret_sha256\""), "{exported}");
    assert!(exported.contains("$argon2id$"), "{exported}");
    assert!(!exported.contains("ada-password"), "{exported}");
    // The secret is everything after the surface's prefix (`me_`); it may itself hold `_`, so
    // a last segment after `_` can be a few characters that occur anywhere by chance.
    let secret = key.split_once('_').unwrap().1;
    assert!(secret.len() >= 32, "{key}");
    assert!(!exported.contains(secret), "no key secret in clear");
    let loaded = ok(gateway(dir.path(), &["fixtures", "load", "state.json"], &b));
    assert!(loaded.contains("1 users"), "{loaded}");
    let again = ok(gateway(dir.path(), &["fixtures", "export"], &b));
    let strip = |text: &str| {
        let mut v: serde_json::Value = match text.trim_start().starts_with('{') {
            true => serde_json::from_str(text).unwrap(),
            false => {
                let yaml: serde_norway::Value = serde_norway::from_str(text).unwrap();
                serde_json::to_value(yaml).unwrap()
            }
        };
        v.as_object_mut().unwrap().remove("exported");
        v
    };
    assert!(again.starts_with("# gateway fixture export"), "{again}");
    assert_eq!(strip(&again), strip(&exported));
    let out = gateway(dir.path(), &["fixtures", "load", "missing.yaml"], &b);
    fails_with(&out, "cannot read fixtures missing.yaml");
}
