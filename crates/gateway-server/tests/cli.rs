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
