//! Property-based fuzzing of every surface from its own OpenAPI document with schemathesis
//! (pinned in `tests/fuzz/requirements.txt`, installed into `.venv-fuzz` by
//! `scripts/install-fuzz-tools.sh`, driven by `tests/fuzz/run.py`): at least
//! `RELIABILITY_FUZZ_REQUESTS` generated requests per surface (1,000 bounded, 10,000 long), in
//! positive and negative mode, with no 5xx and every answer conforming to the document (status,
//! content type, body schema, error envelopes included).

use std::{sync::OnceLock, time::Duration};

use anyhow::Context;
use gateway_tests::{
    sdk::{self, repo_root},
    spawn_app,
};
use serde_json::{Value, json};

use super::{Creds, Gw, Kind, knob, record_figures, registered_kinds};

/// Installs schemathesis once per test binary; returns the venv interpreter.
fn fuzz_python() -> anyhow::Result<std::path::PathBuf> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| sdk::install("install-fuzz-tools.sh"))
        .clone()
        .map_err(anyhow::Error::msg)?;
    Ok(repo_root().join(".venv-fuzz/bin/python"))
}

/// One schemathesis pass: a label, the headers of every request, per-operation overrides.
struct Pass {
    label: &'static str,
    headers: Value,
    operations: Value,
}

fn passes(kind: Kind, c: &Creds) -> Vec<Pass> {
    let bearer = json!({"Authorization": format!("Bearer {}", c.token)});
    match kind {
        Kind::Platform => vec![
            Pass {
                label: "bearer",
                headers: bearer,
                operations: json!([]),
            },
            Pass {
                label: "api-key",
                headers: json!({"X-API-Key": c.key.clone().unwrap_or_default()}),
                operations: json!([]),
            },
        ],
        Kind::UsersMe => vec![Pass {
            label: "token",
            headers: bearer,
            operations: json!([{"path": "/auth/login", "method": "POST",
                "headers": {"Authorization": format!("Bearer {}", c.key.clone().unwrap_or_default())}}]),
        }],
        Kind::AccountProfile | Kind::Me => vec![Pass {
            label: "token",
            headers: bearer,
            operations: json!([]),
        }],
        Kind::Users => {
            let p = c.project.clone().unwrap_or_else(|| super::Project {
                id: String::new(),
                pck: String::new(),
                ssk: String::new(),
            });
            vec![
                Pass {
                    label: "client",
                    headers: json!({
                        "x-stack-project-id": p.id, "x-stack-access-type": "client",
                        "x-stack-publishable-client-key": p.pck, "x-stack-access-token": c.token,
                    }),
                    operations: json!([]),
                },
                Pass {
                    label: "server",
                    headers: json!({
                        "x-stack-project-id": p.id, "x-stack-access-type": "server",
                        "x-stack-secret-server-key": p.ssk, "x-stack-access-token": c.token,
                    }),
                    operations: json!([]),
                },
            ]
        }
    }
}

async fn fuzz_surface(kind: Kind) {
    let app = spawn_app().await;
    let gw = Gw::of(&app);
    let surfaces = gw.surfaces().await.unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        surfaces.iter().any(|s| s.kind == kind),
        "fuzz_{}: the surface is not registered",
        kind.name().replace('-', "_")
    );
    let python = fuzz_python().expect("install schemathesis");
    let min_requests = knob("RELIABILITY_FUZZ_REQUESTS", 1000, 10_000);
    let max_examples = knob("RELIABILITY_FUZZ_EXAMPLES", 300, 1000);
    let project = if kind == Kind::Users {
        Some(
            gw.create_project("fuzz", true)
                .await
                .expect("create project"),
        )
    } else {
        None
    };
    // The tiered and platform surfaces take two kinds of credentials: one pass each.
    let count: u64 = if matches!(kind, Kind::Platform | Kind::Users) {
        2
    } else {
        1
    };
    let work = tempfile::tempdir().expect("temp dir");
    let mut total = 0;
    let mut summaries = Vec::new();
    let mut problems = Vec::new();
    for i in 0..count as usize {
        // A user per pass: a destructive round may delete it.
        let user = gw
            .create_user(&format!("fuzz{i}"))
            .await
            .expect("create user");
        let creds = gw
            .creds(kind, &user, project.as_ref())
            .await
            .expect("credentials");
        let pass = passes(kind, &creds).remove(i);
        let spec = json!({
            "surface": format!("{} ({})", kind.name(), pass.label),
            "document": gw.url(&format!("/openapi/{}.json", kind.name())),
            "base_url": gw.base,
            "headers": pass.headers,
            "operations": pass.operations,
            // Real ids, so the by-id routes and the JWKS answer instead of 404ing throughout.
            "parameters": match &project {
                Some(p) => json!({"path.user_id": user, "path.project_id": p.id}),
                None => json!({}),
            },
            "destructive": ["DELETE"],
            "min_requests": min_requests.div_ceil(count),
            "max_examples": max_examples,
            "max_rounds": knob("RELIABILITY_FUZZ_ROUNDS", 8, 200),
            "max_time": std::env::var("RELIABILITY_FUZZ_MAX_TIME").ok().and_then(|v| v.parse::<u64>().ok()),
            "workdir": work.path().join(pass.label),
        });
        let spec_path = work.path().join(format!("{}.json", pass.label));
        std::fs::write(&spec_path, spec.to_string()).expect("write spec");
        let out = tokio::time::timeout(
            Duration::from_secs(knob("RELIABILITY_FUZZ_TIMEOUT_SECS", 600, 7200)),
            tokio::process::Command::new(&python)
                .arg(repo_root().join("tests/fuzz/run.py"))
                .arg(&spec_path)
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("schemathesis run timed out")
        .expect("run tests/fuzz/run.py");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let summary: Value = stdout
            .lines()
            .find_map(|l| l.strip_prefix("FUZZ-SUMMARY "))
            .context("no FUZZ-SUMMARY line")
            .and_then(|l| Ok(serde_json::from_str(l)?))
            .unwrap_or_else(|e| panic!("{e}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"));
        eprint!("{stderr}");
        total += summary["requests"].as_u64().unwrap_or(0);
        if !out.status.success() {
            problems.push(
                json!({"pass": pass.label, "exit": out.status.code(), "summary": summary.clone()}),
            );
        }
        summaries.push(summary);
    }
    record_figures(
        &format!("fuzz_{}", kind.name().replace('-', "_")),
        &json!({
            "surface": kind.name(), "requests": total,
            "passes": summaries.iter().map(|s| json!({
                "surface": s["surface"], "requests": s["requests"], "rounds": s["rounds"],
                "seed": s["seed"], "seconds": s["seconds"], "statuses": s["statuses"],
            })).collect::<Vec<_>>(),
        }),
    );
    assert!(
        problems.is_empty(),
        "schemathesis found problems on {} (the log of each round is named in `log`):\n{}",
        kind.name(),
        serde_json::to_string_pretty(&problems).unwrap_or_default()
    );
    assert!(
        total >= min_requests,
        "{}: only {total} requests were generated (want {min_requests})",
        kind.name()
    );
}

/// One fuzz test per surface, and [`FUZZED`], the surfaces that have one.
macro_rules! fuzz_tests {
    ($($name:ident: $kind:expr),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                fuzz_surface($kind).await;
            }
        )+

        /// The surfaces with a fuzz test.
        const FUZZED: &[Kind] = &[$($kind),+];
    };
}

fuzz_tests! {
    fuzz_platform_conforms_to_its_openapi_document: Kind::Platform,
    fuzz_users_me_conforms_to_its_openapi_document: Kind::UsersMe,
    fuzz_account_profile_conforms_to_its_openapi_document: Kind::AccountProfile,
    fuzz_me_conforms_to_its_openapi_document: Kind::Me,
    fuzz_users_conforms_to_its_openapi_document: Kind::Users,
}

#[test]
fn every_registered_surface_has_a_fuzz_test() {
    let missing: Vec<&str> = registered_kinds()
        .unwrap_or_else(|e| panic!("{e:#}"))
        .into_iter()
        .filter(|k| !FUZZED.contains(k))
        .map(Kind::name)
        .collect();
    assert!(
        missing.is_empty(),
        "registered surfaces without a fuzz test (add them to `fuzz_tests!`): {missing:?}"
    );
}
