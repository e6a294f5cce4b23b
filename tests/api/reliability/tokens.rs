//! Token and credential attacks on every surface: no credential, garbage, `alg: none`, algorithm
//! confusion (HS/RS/ES headers, HS256 signed with the public key), a wrong signature, a tampered
//! payload, expired, not yet valid, wrong issuer or audience, a token of another surface or
//! project, a token or key of a deleted user, a revoked key or refresh token, a key where only
//! tokens are allowed and the reverse. Each is refused with the surface's own error, and no answer
//! carries internal error text or echoes a secret.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use gateway_tests::spawn_app;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use super::{Answer, Gw, Kind, leak, ready_surfaces, record_figures, send};

/// Signs `claims` with `alg` and an HMAC `secret`.
fn hmac(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    #[expect(clippy::expect_used, reason = "test data")]
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("sign")
}

/// A token with a hand-made header and signature.
fn forged(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// A token whose header says `alg` but whose signature is HS256 over the same input with
/// `secret` (the classic confusion: the verifier must pin the algorithm).
fn confused(alg: &str, secret: &[u8], claims: &Value) -> String {
    let header = json!({"alg": alg, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    #[expect(clippy::expect_used, reason = "test data")]
    let sig = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .expect("sign");
    format!("{input}.{sig}")
}

/// The claims of a gateway (HS256) access token.
fn claims(sub: &str, aud: &str, iss: &str, exp_in: i64) -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": sub, "aud": aud, "iss": iss, "iat": now, "exp": now + exp_in, "jti": uuid::Uuid::new_v4().simple().to_string()})
}

/// Replaces the payload of `token`, keeping its header and signature.
fn tampered(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (h, _, s) = (
        parts.next().unwrap_or(""),
        parts.next(),
        parts.next().unwrap_or(""),
    );
    format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

struct Tally {
    cases: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, label: &str, a: &Answer, verdict: Result<(), String>, secrets: &[&str]) {
        self.cases += 1;
        if let Err(e) = verdict {
            self.failures.push(format!("{label}: {e}"));
        }
        if let Some(l) = leak(&a.text, secrets) {
            self.failures
                .push(format!("{label}: {l} in {}", a.describe()));
        }
        if a.status >= 500 {
            self.failures
                .push(format!("{label}: server error {}", a.describe()));
        }
    }
}

/// The HS256 surfaces (every one but tiered).
async fn attack_hs_surface(gw: &Gw, kind: Kind, secret: &str, issuer: &str, tally: &mut Tally) {
    let user = gw
        .create_user(&format!("victim_{}", kind.name().replace('-', "_")))
        .await
        .expect("user");
    let c = gw.creds(kind, &user, None).await.expect("creds");
    let aud = kind.name();
    let read = || gw.req(Method::GET, kind.read_path());
    let mut secrets: Vec<&str> = c.secrets();
    secrets.push(secret);
    let refuse = |a: &Answer| kind.refused(a, "");

    // Sanity: the genuine credentials work, or nothing below means anything.
    let a = send(kind.authed(read(), &c)).await.expect("send");
    assert_eq!(
        a.status,
        200,
        "{}: genuine token refused: {}",
        kind.name(),
        a.describe()
    );

    let a = send(read()).await.expect("send");
    tally.check(&format!("{aud}: no credential"), &a, refuse(&a), &secrets);

    let good = claims(&user, aud, issuer, 600);
    let other_secret = "another-secret-another-secret-another-secret";
    let mut tokens: Vec<(&str, String)> = vec![
        ("garbage", "garbage".into()),
        ("three dots", "a.b.c".into()),
        ("empty bearer", String::new()),
        (
            "alg none",
            forged(&json!({"alg": "none", "typ": "JWT"}), &good, ""),
        ),
        (
            "alg None",
            forged(&json!({"alg": "None", "typ": "JWT"}), &good, ""),
        ),
        (
            "RS256 header, HMAC signature",
            confused("RS256", secret.as_bytes(), &good),
        ),
        (
            "ES256 header, HMAC signature",
            confused("ES256", secret.as_bytes(), &good),
        ),
        (
            "HS512 with the real secret",
            hmac(Algorithm::HS512, secret.as_bytes(), &good),
        ),
        (
            "HS384 with the real secret",
            hmac(Algorithm::HS384, secret.as_bytes(), &good),
        ),
        (
            "wrong signature",
            hmac(Algorithm::HS256, other_secret.as_bytes(), &good),
        ),
        (
            "tampered payload",
            tampered(
                &c.token,
                &claims(&uuid::Uuid::new_v4().to_string(), aud, issuer, 600),
            ),
        ),
        ("signature stripped", {
            let mut t = c.token.clone();
            t.truncate(t.rfind('.').map(|i| i + 1).unwrap_or(0));
            t
        }),
        (
            "expired",
            hmac(
                Algorithm::HS256,
                secret.as_bytes(),
                &claims(&user, aud, issuer, -60),
            ),
        ),
        ("not yet valid", {
            let mut cl = claims(&user, aud, issuer, 7200);
            cl["nbf"] = json!(Utc::now().timestamp() + 3600);
            hmac(Algorithm::HS256, secret.as_bytes(), &cl)
        }),
        (
            "wrong issuer",
            hmac(
                Algorithm::HS256,
                secret.as_bytes(),
                &claims(&user, aud, "someone-else", 600),
            ),
        ),
        (
            "wrong audience",
            hmac(
                Algorithm::HS256,
                secret.as_bytes(),
                &claims(&user, "someone-else", issuer, 600),
            ),
        ),
        ("no expiry", {
            let mut cl = claims(&user, aud, issuer, 600);
            cl.as_object_mut().map(|o| o.remove("exp"));
            hmac(Algorithm::HS256, secret.as_bytes(), &cl)
        }),
        (
            "subject not a user id",
            hmac(
                Algorithm::HS256,
                secret.as_bytes(),
                &claims("../admin", aud, issuer, 600),
            ),
        ),
        (
            "unknown user",
            hmac(
                Algorithm::HS256,
                secret.as_bytes(),
                &claims(&uuid::Uuid::new_v4().to_string(), aud, issuer, 600),
            ),
        ),
    ];
    for other in super::Kind::ALL
        .into_iter()
        .filter(|k| *k != kind && *k != Kind::Users)
    {
        let oc = gw
            .creds(other, &user, None)
            .await
            .expect("creds of another surface");
        tokens.push((other.name(), oc.token.clone()));
        tokens.push((other.name(), oc.key.clone().unwrap_or_default()));
    }
    for (label, token) in &tokens {
        let a = send(kind.with_token(read(), &c, token))
            .await
            .expect("send");
        let mut s = secrets.clone();
        s.push(token);
        let expected = if *label == "unknown user" && kind == Kind::AccountProfile {
            not_found_envelope(&a)
        } else {
            refuse(&a)
        };
        tally.check(&format!("{aud}: token {label}"), &a, expected, &s);
        // The surface's other authenticated routes refuse the same token the same way.
        for (method, path) in account_routes(kind) {
            let a = send(kind.with_token(gw.req(method.clone(), path), &c, token))
                .await
                .expect("send");
            tally.check(
                &format!("{aud}: token {label} on {method} {path}"),
                &a,
                refuse(&a),
                &s,
            );
        }
    }
    for (method, path) in account_routes(kind) {
        let a = send(gw.req(method.clone(), path)).await.expect("send");
        tally.check(
            &format!("{aud}: no credential on {method} {path}"),
            &a,
            refuse(&a),
            &secrets,
        );
    }

    // Keys: another surface's key, a revoked key, a token where a key is expected.
    let key_res = send(
        gw.admin(Method::POST, &format!("/users/{user}/keys"))
            .json(&json!({"surface": aud, "label": "revoked"})),
    )
    .await
    .expect("create key");
    let key_json = key_res.json();
    let revoked = key_json["key"].as_str().unwrap_or_default().to_owned();
    let a = send(gw.admin(
        Method::DELETE,
        &format!("/keys/{}", key_json["id"].as_str().unwrap_or_default()),
    ))
    .await
    .expect("revoke key");
    assert_eq!(a.status, 204, "revoke key: {}", a.describe());
    let mut keys: Vec<(&str, String)> = vec![
        ("revoked key", revoked),
        ("key with a wrong secret", {
            let k = c.key.clone().unwrap_or_default();
            format!("{}x", k.rsplit_once('_').map(|(p, _)| p).unwrap_or(&k))
        }),
        (
            "key-shaped garbage",
            format!("{}0123456789abcdef_nope", kind_prefix(kind)),
        ),
    ];
    if kind == Kind::Platform {
        keys.push(("a token in X-API-Key", c.token.clone()));
    }
    for (label, key) in &keys {
        let a = send(kind.with_key(read(), &c, key)).await.expect("send");
        let mut s = secrets.clone();
        s.push(key);
        tally.check(&format!("{aud}: {label}"), &a, refuse(&a), &s);
    }
    if kind == Kind::Platform {
        // X-API-Key decides when present: a bad key with a good token is refused.
        let a = send(
            read()
                .header("x-api-key", "dn_0000000000000000_bad")
                .bearer_auth(&c.token),
        )
        .await
        .expect("send");
        tally.check(
            "platform: bad X-API-Key with a good Bearer token",
            &a,
            refuse(&a),
            &secrets,
        );
    }
    if kind == Kind::UsersMe {
        let key = c.key.clone().unwrap_or_default();
        let a = send(read().bearer_auth(&key)).await.expect("send");
        tally.check(
            "users-me: API key where only tokens are allowed",
            &a,
            refuse(&a),
            &secrets,
        );
        for (label, form, header) in [
            (
                "login with a token instead of a key",
                c.token.clone(),
                Some(c.token.clone()),
            ),
            (
                "login with two different keys",
                key.clone(),
                Some(format!("{key}x")),
            ),
            (
                "login with another surface's key",
                "dn_0123456789abcdef_x".to_owned(),
                None,
            ),
        ] {
            let mut rb = gw
                .req(Method::POST, "/auth/login")
                .form(&[("password", form.as_str())]);
            if let Some(h) = header {
                rb = rb.bearer_auth(h);
            }
            let a = send(rb).await.expect("send");
            tally.check(&format!("users-me: {label}"), &a, refuse(&a), &secrets);
        }
    }
    if kind == Kind::Me {
        for (label, value) in [
            ("Basic credentials", "Basic Zm9vOmJhcg==".to_owned()),
            ("AccessKey garbage", "AccessKey garbage".to_owned()),
            ("token without a scheme", c.token.clone()),
        ] {
            let a = send(read().header("authorization", &value))
                .await
                .expect("send");
            tally.check(&format!("me: {label}"), &a, refuse(&a), &secrets);
        }
    }
    if kind == Kind::AccountProfile {
        // Service accounts cannot use API keys here (403 ProblemDetails).
        let sa = gw
            .create_service_account("pascal_service")
            .await
            .expect("service account");
        let sc = gw.creds(kind, &sa, None).await.expect("service creds");
        let a = send(read().bearer_auth(sc.key.clone().unwrap_or_default()))
            .await
            .expect("send");
        let body = a.json();
        let verdict = if a.status == 403 && body["status"] == 403 && body["title"] == "Forbidden" {
            Ok(())
        } else {
            Err(format!(
                "service account API key: want 403 ProblemDetails, got {}",
                a.describe()
            ))
        };
        tally.check(
            "account-profile: service-account API key",
            &a,
            verdict,
            &secrets,
        );
        let a = send(gw.req(
            Method::GET,
            &format!("{}?access_token=garbage", kind.read_path()),
        ))
        .await
        .expect("send");
        tally.check(
            "account-profile: garbage ?access_token",
            &a,
            refuse(&a),
            &secrets,
        );
    }

    // A deleted user's token and key.
    let gone = gw
        .create_user(&format!("gone_{}", kind.name().replace('-', "_")))
        .await
        .expect("user");
    let gc = gw.creds(kind, &gone, None).await.expect("creds");
    gw.delete_user(&gone).await.expect("delete");
    let a = send(kind.authed(read(), &gc)).await.expect("send");
    let expected = if kind == Kind::AccountProfile {
        not_found_envelope(&a)
    } else {
        refuse(&a)
    };
    tally.check(
        &format!("{aud}: token of a deleted user"),
        &a,
        expected,
        &gc.secrets(),
    );
    if let Some(k) = &gc.key {
        let a = send(kind.with_key(read(), &gc, k)).await.expect("send");
        tally.check(
            &format!("{aud}: key of a deleted user"),
            &a,
            refuse(&a),
            &gc.secrets(),
        );
    }
    if kind == Kind::UsersMe {
        let k = gc.key.clone().unwrap_or_default();
        let a = send(
            gw.req(Method::POST, "/auth/login")
                .form(&[("password", k.as_str())])
                .bearer_auth(&k),
        )
        .await
        .expect("send");
        tally.check(
            "users-me: login with the key of a deleted user",
            &a,
            refuse(&a),
            &gc.secrets(),
        );
    }
}

/// The authenticated account routes of a surface besides its read of the current user (issue
/// 17's device-login neighbours): each must refuse every forged, foreign or stale credential.
fn account_routes(kind: Kind) -> Vec<(Method, &'static str)> {
    match kind {
        Kind::Platform => vec![
            (Method::POST, "/api/v1/user/api-keys"),
            (Method::DELETE, "/api/v1/user/api-keys/self"),
            (Method::GET, "/api/v1/user/organizations"),
            (Method::GET, "/api/v1/user/preferences"),
            (Method::GET, "/api/v1/user/limits"),
            (Method::GET, "/api/v1/org/victim"),
            (Method::GET, "/api/v1/org/victim/ws/main/projects"),
        ],
        Kind::UsersMe => vec![
            (Method::GET, "/organizations"),
            (Method::GET, "/organizations/victim"),
            (Method::GET, "/workspaces"),
            (Method::GET, "/workspaces/victim-main"),
        ],
        Kind::AccountProfile | Kind::Me | Kind::Users => Vec::new(),
    }
}

fn kind_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Platform => "dn_",
        Kind::UsersMe => "ZENPROKEY_",
        Kind::AccountProfile => "mt_",
        Kind::Me => "bird_",
        Kind::Users => "sk_",
    }
}

/// Pascal: a valid token whose user is gone is a 404 envelope (`Code` `NotFound`).
fn not_found_envelope(a: &Answer) -> Result<(), String> {
    let b = a.json();
    if a.status == 404
        && b["Success"] == false
        && b["Data"].is_null()
        && b["Errors"][0]["Code"] == "NotFound"
    {
        Ok(())
    } else {
        Err(format!(
            "want the 404 NotFound envelope, got {}",
            a.describe()
        ))
    }
}

/// A P-256 public key (JWK `x`, `y`) as SPKI PEM text, the "HS256 signed with the public key"
/// attacker's secret.
fn p256_pem(jwk: &Value) -> Option<String> {
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str()?).ok()?;
    let mut der = hex_bytes("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    der.push(4);
    der.extend(x);
    der.extend(y);
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    Some(format!(
        "-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n"
    ))
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// The tiered surface: ES256 project tokens, project keys, refresh tokens.
/// The tiered surface. `es_key`: reads the gateway's own ES256 signing key (PKCS#8 PEM), so
/// claims can be forged with a valid signature.
async fn attack_tiered(
    gw: &Gw,
    hs_secret: &str,
    issuer: &str,
    es_key: impl AsyncFnOnce() -> String,
    tally: &mut Tally,
) {
    let project = gw.create_project("attacks", false).await.expect("project");
    let other = gw
        .create_project("attacks other", false)
        .await
        .expect("project");
    let user = gw.create_user("victim_users").await.expect("user");
    let c = gw
        .creds(Kind::Users, &user, Some(&project))
        .await
        .expect("creds");
    let mut secrets = c.secrets();
    secrets.push(hs_secret);
    let me = "/api/v1/users/me";
    let client = |token: Option<&str>| {
        let rb = Kind::tiered_headers(gw.req(Method::GET, me), &project, false);
        match token {
            Some(t) => rb.header("x-stack-access-token", t),
            None => rb,
        }
    };
    let a = send(client(Some(&c.token))).await.expect("send");
    assert_eq!(
        a.status,
        200,
        "users: genuine token refused: {}",
        a.describe()
    );

    let a = send(client(None)).await.expect("send");
    tally.check(
        "users: client without a token",
        &a,
        Kind::Users.refused(&a, "CANNOT_GET_OWN_USER_WITHOUT_USER"),
        &secrets,
    );

    let payload: Value = c
        .token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let jwks = send(gw.req(
        Method::GET,
        &format!("/api/v1/projects/{}/.well-known/jwks.json", project.id),
    ))
    .await
    .expect("jwks")
    .json();
    let pem = jwks["keys"][0].clone();
    let mut unparsable: Vec<(String, String)> = vec![
        ("garbage".into(), "12341234".into()),
        (
            "alg none".into(),
            forged(&json!({"alg": "none", "typ": "JWT"}), &payload, ""),
        ),
        (
            "HS256 with the gateway's HS secret".into(),
            hmac(Algorithm::HS256, hs_secret.as_bytes(), &payload),
        ),
        (
            "tampered payload".into(),
            tampered(&c.token, &{
                let mut p = payload.clone();
                p["sub"] = json!(uuid::Uuid::new_v4().to_string());
                p
            }),
        ),
        (
            "a platform token".into(),
            gw.creds(Kind::Platform, &user, None)
                .await
                .map(|k| k.token)
                .unwrap_or_default(),
        ),
        (
            "a users-surface admin token".into(),
            hmac(
                Algorithm::HS256,
                hs_secret.as_bytes(),
                &claims(&user, "users", issuer, 600),
            ),
        ),
    ];
    if let Some(pem) = p256_pem(&pem) {
        unparsable.push((
            "HS256 signed with the public key (PEM)".into(),
            hmac(Algorithm::HS256, pem.as_bytes(), &payload),
        ));
        unparsable.push((
            "HS256 signed with the JWK text".into(),
            hmac(Algorithm::HS256, pem_key_text(&jwks).as_bytes(), &payload),
        ));
    } else {
        tally
            .failures
            .push(format!("users: the JWKS has no P-256 key: {jwks}"));
    }
    for (label, token) in &unparsable {
        let a = send(client(Some(token))).await.expect("send");
        let mut s = secrets.clone();
        s.push(token);
        tally.check(
            &format!("users: token {label}"),
            &a,
            Kind::Users.refused(&a, "UNPARSABLE_ACCESS_TOKEN"),
            &s,
        );
    }
    // Claims forged with the gateway's own ES256 key: only the claims are wrong.
    let pem = es_key().await;
    let header = jsonwebtoken::decode_header(&c.token).expect("token header");
    let es = |claims: &Value| match EncodingKey::from_ec_pem(pem.as_bytes()) {
        Ok(key) => {
            let mut h = Header::new(Algorithm::ES256);
            h.kid = header.kid.clone();
            jsonwebtoken::encode(&h, claims, &key).unwrap_or_default()
        }
        Err(_) => String::new(),
    };
    let now = Utc::now().timestamp();
    let with = |k: &str, v: Value| {
        let mut p = payload.clone();
        p[k] = v;
        p
    };
    let without = |k: &str| {
        let mut p = payload.clone();
        p.as_object_mut().map(|o| o.remove(k));
        p
    };
    let unparsable = ["UNPARSABLE_ACCESS_TOKEN"];
    let foreign_aud = [
        "UNPARSABLE_ACCESS_TOKEN",
        "INVALID_PROJECT_FOR_ACCESS_TOKEN",
    ];
    let forged_cases: Vec<(&str, Value, &[&str])> = vec![
        ("genuine claims re-signed", payload.clone(), &[]),
        ("not yet valid", with("nbf", json!(now + 3600)), &unparsable),
        (
            "wrong issuer",
            with("iss", json!("https://evil.example/api/v1/projects/x")),
            &unparsable,
        ),
        (
            "wrong audience",
            with("aud", json!("someone-else")),
            &foreign_aud,
        ),
        (
            "expired",
            with("exp", json!(now - 60)),
            &["ACCESS_TOKEN_EXPIRED"],
        ),
        ("no issuer", without("iss"), &unparsable),
        ("no audience", without("aud"), &unparsable),
        ("no subject", without("sub"), &unparsable),
    ];
    if pem.contains("PRIVATE KEY") {
        for (label, claims, codes) in forged_cases {
            let token = es(&claims);
            let a = send(client(Some(&token))).await.expect("send");
            let verdict = if codes.is_empty() {
                if a.status == 200 {
                    Ok(())
                } else {
                    Err(format!(
                        "re-signed genuine claims refused: {}",
                        a.describe()
                    ))
                }
            } else if codes
                .iter()
                .any(|code| Kind::Users.refused(&a, code).is_ok())
            {
                Ok(())
            } else {
                Err(format!("want one of {codes:?}: {}", a.describe()))
            };
            tally.check(
                &format!("users: ES256 token, {label}"),
                &a,
                verdict,
                &secrets,
            );
        }
    } else {
        tally
            .failures
            .push("users: the tiered ES256 key is not a stored PKCS#8 PEM".into());
    }
    let (expired, _) = gw
        .tiered_session(&project, &user, Some(-60))
        .await
        .expect("expired session");
    let a = send(client(Some(&expired))).await.expect("send");
    tally.check(
        "users: expired token",
        &a,
        Kind::Users.refused(&a, "ACCESS_TOKEN_EXPIRED"),
        &secrets,
    );
    let (foreign, _) = gw
        .tiered_session(&other, &user, None)
        .await
        .expect("other project session");
    let a = send(client(Some(&foreign))).await.expect("send");
    tally.check(
        "users: token of another project",
        &a,
        Kind::Users.refused(&a, "INVALID_PROJECT_FOR_ACCESS_TOKEN"),
        &secrets,
    );

    // Keys.
    let key_cases: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        (
            "client with a bad publishable key",
            gw.req(Method::GET, me)
                .header("x-stack-project-id", &project.id)
                .header("x-stack-access-type", "client")
                .header("x-stack-publishable-client-key", "pck_wrong")
                .header("x-stack-access-token", &c.token),
            "INVALID_PUBLISHABLE_CLIENT_KEY",
        ),
        (
            "client presenting the secret key as publishable key",
            gw.req(Method::GET, me)
                .header("x-stack-project-id", &project.id)
                .header("x-stack-access-type", "client")
                .header("x-stack-publishable-client-key", &project.ssk)
                .header("x-stack-access-token", &c.token),
            "INVALID_PUBLISHABLE_CLIENT_KEY",
        ),
        (
            "server without a secret key",
            gw.req(Method::GET, me)
                .header("x-stack-project-id", &project.id)
                .header("x-stack-access-type", "server")
                .header("x-stack-access-token", &c.token),
            "SERVER_AUTHENTICATION_REQUIRED",
        ),
        (
            "server presenting the publishable key as secret key",
            gw.req(Method::GET, me)
                .header("x-stack-project-id", &project.id)
                .header("x-stack-access-type", "server")
                .header("x-stack-secret-server-key", &project.pck)
                .header("x-stack-access-token", &c.token),
            "INVALID_SECRET_SERVER_KEY",
        ),
        (
            "server presenting another project's secret key",
            gw.req(Method::GET, me)
                .header("x-stack-project-id", &project.id)
                .header("x-stack-access-type", "server")
                .header("x-stack-secret-server-key", &other.ssk)
                .header("x-stack-access-token", &c.token),
            "INVALID_SECRET_SERVER_KEY",
        ),
        (
            "client asking for another user by id",
            Kind::tiered_headers(
                gw.req(Method::GET, &format!("/api/v1/users/{user}")),
                &project,
                false,
            )
            .header("x-stack-access-token", &c.token),
            "INSUFFICIENT_ACCESS_TYPE",
        ),
    ];
    for (label, rb, code) in key_cases {
        let a = send(rb).await.expect("send");
        let mut s = secrets.clone();
        s.push(&other.ssk);
        tally.check(
            &format!("users: {label}"),
            &a,
            Kind::Users.refused(&a, code),
            &s,
        );
    }

    // Refresh tokens: revoked by a password change, foreign project, deleted user.
    let refresh = |rt: &str, p: &super::Project| {
        gw.req(Method::POST, "/api/v1/auth/oauth/token").form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", p.id.as_str()),
            ("client_secret", p.pck.as_str()),
        ])
    };
    let rt = c.refresh.clone().unwrap_or_default();
    let a = send(refresh(&rt, &project)).await.expect("send");
    assert_eq!(
        a.status,
        200,
        "users: genuine refresh refused: {}",
        a.describe()
    );
    let a = send(refresh(&rt, &other)).await.expect("send");
    tally.check(
        "users: refresh token of another project",
        &a,
        Kind::Users.refused(&a, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"),
        &secrets,
    );
    let a = send(
        Kind::as_server(gw.req(Method::PATCH, me), &c).json(&json!({"password": "a-new-password"})),
    )
    .await
    .expect("send");
    assert_eq!(
        a.status,
        200,
        "users: server password change: {}",
        a.describe()
    );
    let a = send(refresh(&rt, &project)).await.expect("send");
    tally.check(
        "users: revoked refresh token (password changed)",
        &a,
        Kind::Users.refused(&a, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"),
        &secrets,
    );

    let gone = gw.create_user("gone_users").await.expect("user");
    let gc = gw
        .creds(Kind::Users, &gone, Some(&project))
        .await
        .expect("creds");
    gw.delete_user(&gone).await.expect("delete");
    let a = send(client(Some(&gc.token))).await.expect("send");
    tally.check(
        "users: token of a deleted user",
        &a,
        Kind::Users.refused(&a, "CANNOT_GET_OWN_USER_WITHOUT_USER"),
        &gc.secrets(),
    );
    let a = send(refresh(gc.refresh.as_deref().unwrap_or_default(), &project))
        .await
        .expect("send");
    tally.check(
        "users: refresh token of a deleted user",
        &a,
        Kind::Users.refused(&a, "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"),
        &gc.secrets(),
    );
}

fn pem_key_text(jwks: &Value) -> String {
    jwks["keys"][0].to_string()
}

#[tokio::test]
async fn every_surface_refuses_forged_foreign_and_stale_credentials() {
    let app = spawn_app().await;
    let gw = Gw::of(&app);
    let secret = app
        .state
        .gateway
        .shared_secret("jwt_hs256", String::new)
        .await
        .expect("jwt secret");
    assert!(
        secret.len() >= 32,
        "the test reads the gateway's own HS256 secret"
    );
    let issuer = app.state.tokens.issuer().to_owned();
    let (surfaces, _) = ready_surfaces(&gw, "tokens").await.expect("surfaces");
    let mut tally = Tally {
        cases: 0,
        failures: Vec::new(),
    };
    let mut covered = Vec::new();
    for s in &surfaces {
        match s.kind {
            Kind::Users => {
                let gateway = app.state.gateway.clone();
                // The key exists once a session was minted (attack_tiered mints one first).
                let key = async move || {
                    gateway
                        .shared_secret("tiered_es256_pkcs8", String::new)
                        .await
                        .unwrap_or_default()
                };
                attack_tiered(&gw, &secret, &issuer, key, &mut tally).await;
            }
            kind => attack_hs_surface(&gw, kind, &secret, &issuer, &mut tally).await,
        }
        covered.push(s.kind.name());
    }
    record_figures(
        "tokens",
        &json!({"surfaces": covered, "attacks": tally.cases, "failed": tally.failures.len()}),
    );
    assert!(
        tally.failures.is_empty(),
        "{} of {} attacks were not refused properly:\n{}",
        tally.failures.len(),
        tally.cases,
        tally.failures.join("\n")
    );
}
