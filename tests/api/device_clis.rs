//! The vendors' own CLIs log in to the gateway (issue 17): `dreadnode login` (dreadnode 2.0.52)
//! and `zenml login --pro` (zenml 0.98.0), unmodified, with only the server URL changed, each
//! approved by a person on the gateway's page in headless Chromium (`tests/browser/device.mjs`).
//! The CLI's "browser" is a script that records the URL it was asked to open; the test hands that
//! URL to Chromium. Then `dreadnode whoami --json` and `ZenMLProClient` read what the login made.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::OnceLock,
    time::Duration,
};

use gateway_tests::{TestApp, TestDb, sdk, spawn_with, test_settings};
use serde_json::Value;

/// A gateway whose device logins poll every second.
async fn app() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = test_settings(&db).unwrap();
    settings.auth.device_interval_secs = 1;
    spawn_with(db, settings).await.unwrap()
}

/// Installs Chromium and playwright-core (once per process).
fn browser_ready() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| sdk::install("install-browser-tests.sh"))
        .clone()
        .unwrap();
}

/// A scratch directory for one CLI: `home/`, `cwd/`, `zenml/` and the recording browser.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "cwd", "zenml"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let browser = dir.path().join("browser.sh");
        std::fs::write(
            &browser,
            "#!/bin/sh\n# stand-in browser: record the URL for the test, open nothing\n\
             printf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/opened-url\"\nexit 0\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { dir }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// The environment of a CLI run: nothing inherited but `PATH`.
    fn env(&self) -> Vec<(&'static str, String)> {
        let s = |p: PathBuf| p.display().to_string();
        vec![
            ("PATH", "/usr/bin:/bin".into()),
            ("HOME", s(self.path("home"))),
            ("BROWSER", s(self.path("browser.sh"))),
            ("COLUMNS", "400".into()),
            ("NO_COLOR", "1".into()),
            ("PYTHONUNBUFFERED", "1".into()),
            ("PYTHONIOENCODING", "utf-8".into()),
            ("NO_PROXY", "127.0.0.1,localhost".into()),
            ("no_proxy", "127.0.0.1,localhost".into()),
            ("ZENML_CONFIG_PATH", s(self.path("zenml"))),
            ("ZENML_ANALYTICS_OPT_IN", "false".into()),
            ("ZENML_ENABLE_RICH_TRACEBACK", "false".into()),
            ("ZENML_LOGGING_COLORS_DISABLED", "true".into()),
        ]
    }

    /// Starts `program args` in `cwd/` with [`Self::env`].
    fn spawn(&self, program: &Path, args: &[&str]) -> tokio::process::Child {
        tokio::process::Command::new(program)
            .args(args)
            .current_dir(self.path("cwd"))
            .env_clear()
            .envs(self.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    /// The URL the CLI asked its browser to open (waits up to 30 s).
    async fn opened_url(&self) -> String {
        let file = self.path("opened-url");
        for _ in 0..300 {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Some(line) = text.lines().next()
            {
                return line.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the CLI opened no URL within 30 s");
    }
}

/// Waits for a CLI (up to 90 s): (exit code, stdout, stderr).
async fn finish(child: tokio::process::Child) -> (i32, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the CLI did not finish within 90 s")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Approves (or denies) on the page in Chromium, signed in as `login`.
async fn decide_in_chromium(url: &str, login: &str, decision: &str, details: &str) -> String {
    browser_ready();
    let shot = sdk::repo_root().join(format!("target/device-page-{decision}.png"));
    let out = sdk::run(
        Path::new("node"),
        &[
            "tests/browser/device.mjs",
            url,
            login,
            "initial-password",
            decision,
            details,
            &shot.display().to_string(),
        ],
        &[],
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    assert!(out.contains("device page test passed"), "{out}");
    out
}

#[tokio::test]
async fn dreadnode_login_runs_its_device_flow_approved_in_chromium_and_whoami_reads_it() {
    let python = sdk::python().unwrap();
    let app = app().await;
    let user_id = app.create_user("jane").await.unwrap();
    let sandbox = Sandbox::new();
    let login = sandbox.spawn(
        &python,
        &[
            "-m",
            "dreadnode",
            "login",
            "--server",
            &app.base_url,
            "--poll-interval-sec",
            "0.25",
            "--timeout-sec",
            "60",
        ],
    );
    let url = sandbox.opened_url().await;
    assert!(url.starts_with(&app.url("/login/device?code=")), "{url}");
    let steps = decide_in_chromium(&url, "jane", "approve", "dreadnode-sdk/2.0.52").await;
    assert!(steps.contains("step: sign in with the keyboard"), "{steps}");
    let (code, stdout, stderr) = finish(login).await;
    assert_eq!(code, 0, "dreadnode login failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("Logged in to {} as jane", app.base_url)),
        "{stdout}"
    );
    assert!(
        stdout.contains("Active context: jane/main/default"),
        "{stdout}"
    );

    // The profile the CLI wrote holds a key the gateway lists for the user.
    let config: Value = serde_norway::from_str(
        &std::fs::read_to_string(sandbox.path("home/.dreadnode/config.yaml")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["active"], "jane", "{config}");
    let profile = &config["servers"]["jane"];
    for (field, want) in [
        ("username", "jane"),
        ("email", "jane@example.com"),
        ("default_organization", "jane"),
        ("default_workspace", "main"),
        ("default_project", "default"),
        ("url", app.base_url.as_str()),
    ] {
        assert_eq!(profile[field], want, "{field}: {config}");
    }
    let key = profile["api_key"].as_str().unwrap();
    let creds = gateway_tests::http::fetch(app.admin(
        reqwest::Method::GET,
        &format!("/users/{user_id}/credentials"),
    ))
    .await
    .expect_json();
    assert!(
        creds["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| key.contains(k["id"].as_str().unwrap())
                && k["label"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("dreadnode-"))),
        "the CLI's key is the user's: {creds}"
    );

    // `whoami` checks the saved scope against the gateway with the key, then prints it.
    let whoami = sandbox.spawn(&python, &["-m", "dreadnode", "whoami", "--json"]);
    let (code, stdout, stderr) = finish(whoami).await;
    assert_eq!(code, 0, "dreadnode whoami failed:\n{stdout}\n{stderr}");
    let json: Value = serde_json::from_str(&stdout[stdout.find('{').unwrap()..]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "profile": "jane", "server": app.base_url, "username": "jane",
            "email": "jane@example.com", "organization": "jane", "workspace": "main",
            "project": "default",
        })
    );
}

#[tokio::test]
async fn zenml_login_pro_runs_its_device_flow_approved_in_chromium_and_the_client_lists_the_tenancy()
 {
    let python = sdk::python().unwrap();
    let zenml = python.with_file_name("zenml");
    let app = app().await;
    app.create_user("jane").await.unwrap();
    let sandbox = Sandbox::new();
    let login = sandbox.spawn(&zenml, &["login", "--pro", "--pro-api-url", &app.base_url]);
    let url = sandbox.opened_url().await;
    decide_in_chromium(&url, "jane@example.com", "approve", "ZenML/0.98.0").await;
    let (code, stdout, stderr) = finish(login).await;
    assert_eq!(code, 0, "zenml login failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("Successfully logged in to ZenML Pro."),
        "{stderr}"
    );
    let credentials = std::fs::read_to_string(sandbox.path("zenml/credentials.yaml")).unwrap();
    assert!(credentials.contains("access_token:"), "{credentials}");

    let script = "import asyncio, json, sys\n\
        from zenml.login.pro.client import ZenMLProClient\n\
        c = ZenMLProClient(sys.argv[1])\n\
        orgs = asyncio.run(c.organization.list())\n\
        wss = c.workspace.list(member_only=True)\n\
        one = c.workspace.get(wss[0].id)\n\
        print(json.dumps({'orgs': [o.name for o in orgs], 'org_ids': [str(o.id) for o in orgs],\n\
            'workspaces': [[w.name, str(w.organization_id)] for w in wss], 'one': str(one.id) == str(wss[0].id)}))\n";
    let list = sandbox.spawn(&python, &["-c", script, &app.base_url]);
    let (code, stdout, stderr) = finish(list).await;
    assert_eq!(code, 0, "ZenMLProClient failed:\n{stdout}\n{stderr}");
    let listed: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(listed["orgs"], serde_json::json!(["jane"]), "{listed}");
    assert_eq!(
        listed["workspaces"],
        serde_json::json!([["jane-main", listed["org_ids"][0]]]),
        "{listed}"
    );
    assert_eq!(listed["one"], true);
}

#[tokio::test]
async fn zenml_login_pro_denied_on_the_page_ends_with_the_clis_access_denied() {
    let python = sdk::python().unwrap();
    let zenml = python.with_file_name("zenml");
    let app = app().await;
    app.create_user("jane").await.unwrap();
    let sandbox = Sandbox::new();
    let login = sandbox.spawn(&zenml, &["login", "--pro", "--pro-api-url", &app.base_url]);
    let url = sandbox.opened_url().await;
    decide_in_chromium(&url, "jane", "deny", "ZenML/0.98.0").await;
    let (code, stdout, stderr) = finish(login).await;
    assert_eq!(code, 1, "a denied login must fail:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("Authorization error: Error: access_denied"),
        "{stderr}"
    );
}

#[tokio::test]
async fn dreadnode_login_with_an_api_key_finds_the_accounts_organization() {
    let python = sdk::python().unwrap();
    let app = app().await;
    let user_id = app.create_user("keyed").await.unwrap();
    let key = app
        .credentials(&user_id, "platform", true)
        .await
        .unwrap()
        .api_key
        .unwrap();
    let sandbox = Sandbox::new();
    let login = sandbox.spawn(
        &python,
        &["-m", "dreadnode", "login", &key, "--server", &app.base_url],
    );
    let (code, stdout, stderr) = finish(login).await;
    assert_eq!(code, 0, "dreadnode login <key> failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("Active context: keyed/main/default"),
        "{stdout}"
    );
}
