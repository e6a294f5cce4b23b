//! The gateway's page for end users: `/login/device`, where a person approves a CLI's device
//! login (`dreadnode login`, `zenml login --pro`). Plain HTML forms, no script, nothing from
//! another origin (CSP `default-src 'none'`), labelled fields. The flow:
//!
//! 1. `GET /login/device?code=XXXX-XXXX`: the code (prefilled from the CLI's link) and a sign-in
//!    form (username or email, password);
//! 2. `POST /login/device`: signs in; on success shows which device asks (its user code, what it
//!    said about itself, which vendor's CLI) with Approve and Deny, carrying a ticket that only
//!    this sign-in can use (`Gateway::issue_device_ticket`, its digest stored);
//! 3. `POST /login/device/decision`: approves or denies with the ticket.
//!
//! A failed sign-in never says whether the username exists (one message, the same password work
//! either way), and failed sign-ins are limited per client address ([`FailureLimit`]).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderValue, X_CONTENT_TYPE_OPTIONS},
    web::{self, Data, Form},
};
use gateway_core::{DeviceAuthorization, DeviceState, Gateway, Surface};
use gateway_http::device::APPROVAL_PATH;
use html_escape::encode_text as esc;
use serde::Deserialize;

const STYLE: &str = include_str!("device_page/page.css");

/// Everything the page loads comes from this origin; its forms post only here.
const CSP: &str = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Failed sign-ins per client address within [`FAILURE_WINDOW`].
const MAX_FAILURES: u32 = 10;
/// The window of [`MAX_FAILURES`].
const FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Most addresses remembered (oldest windows dropped first).
const MAX_TRACKED: usize = 10_000;
/// The longest field the page reads.
const FIELD_MAX: usize = 512;

/// Failed sign-ins per client address, in fixed windows; bounded to [`MAX_TRACKED`] addresses.
/// Per instance: several instances each allow [`MAX_FAILURES`].
#[derive(Debug, Default)]
pub struct FailureLimit(Mutex<HashMap<IpAddr, (u32, Instant)>>);

impl FailureLimit {
    fn blocked(&self, ip: IpAddr) -> bool {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&ip)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < FAILURE_WINDOW)
    }

    fn failed(&self, ip: IpAddr) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            map.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
            if map.len() >= MAX_TRACKED
                && let Some(oldest) = map.iter().min_by_key(|(_, (_, s))| *s).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

fn page(status: actix_web::http::StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · API gateway</title><link rel=\"stylesheet\" href=\"{APPROVAL_PATH}.css\">\
         </head><body><main>{body}</main></body></html>\n",
        title = esc(title)
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .insert_header((X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(html)
}

fn ok(title: &str, body: &str) -> HttpResponse {
    page(actix_web::http::StatusCode::OK, title, body)
}

fn clipped(s: &str) -> &str {
    match s.char_indices().nth(FIELD_MAX) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The sign-in form, with `error` (a sentence) above it when set.
fn sign_in_form(code: &str, login: &str, error: Option<&str>) -> String {
    let error = error.map_or_else(String::new, |e| {
        format!(
            "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
            esc(e)
        )
    });
    format!(
        "<h1>Sign in to approve a device</h1>\
         <p>A command-line tool asked to sign in to your account. Check that the code below is \
         the one it shows, then sign in.</p>{error}\
         <form method=\"post\" action=\"{APPROVAL_PATH}\">\
         <label for=\"code\">Code shown by the device</label>\
         <input id=\"code\" name=\"code\" class=\"code\" value=\"{code}\" required \
         autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\">\
         <label for=\"login\">Username or email</label>\
         <input id=\"login\" name=\"login\" value=\"{login}\" required autocomplete=\"username\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" required \
         autocomplete=\"current-password\">\
         <button type=\"submit\">Sign in</button></form>",
        code = html_escape::encode_double_quoted_attribute(code),
        login = html_escape::encode_double_quoted_attribute(login),
    )
}

/// The vendor whose CLI uses a surface's device login.
fn vendor(surface: Surface) -> &'static str {
    match surface {
        Surface::Platform => "Dreadnode",
        Surface::UsersMe => "ZenML Pro",
        Surface::AccountProfile | Surface::Me | Surface::Users => "the gateway",
    }
}

#[derive(Debug, Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

async fn show(query: Option<web::Query<CodeQuery>>) -> HttpResponse {
    let code = query
        .as_ref()
        .and_then(|q| q.code.as_deref())
        .map(clipped)
        .unwrap_or_default();
    ok("Approve a device", &sign_in_form(code, "", None))
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(STYLE)
}

#[derive(Debug, Default, Deserialize)]
struct SignIn {
    #[serde(default)]
    code: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

fn waiting(d: &DeviceAuthorization) -> bool {
    d.state == DeviceState::Pending && !d.expired_at(gateway_core::service::now())
}

async fn sign_in(
    req: HttpRequest,
    gateway: Data<Gateway>,
    limit: Data<FailureLimit>,
    form: Option<Form<SignIn>>,
) -> actix_web::Result<HttpResponse> {
    let form = form.map(Form::into_inner).unwrap_or_default();
    let (code, login) = (clipped(&form.code), clipped(&form.login));
    let again = |status, error: &str| {
        page(
            status,
            "Approve a device",
            &sign_in_form(code, login, Some(error)),
        )
    };
    let ip = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    if limit.blocked(ip) {
        return Ok(again(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins from this address. Wait ten minutes, then try again.",
        ));
    }
    let device = gateway
        .device_by_user_code(code)
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?
        .filter(waiting);
    let Some(device) = device else {
        limit.failed(ip);
        return Ok(again(
            actix_web::http::StatusCode::BAD_REQUEST,
            "This code is not valid, was already used, or has expired. Start the login on the device again.",
        ));
    };
    let user = gateway
        .password_sign_in_by_login(login, clipped(&form.password))
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?;
    let Some(user) = user else {
        limit.failed(ip);
        return Ok(again(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "The username or email and password do not match an account.",
        ));
    };
    let ticket = match gateway.issue_device_ticket(device.id, user.id).await {
        Ok(ticket) => ticket,
        Err(_) => {
            return Ok(again(
                actix_web::http::StatusCode::BAD_REQUEST,
                "This code is no longer waiting for approval. Start the login on the device again.",
            ));
        }
    };
    let details = device
        .client_details
        .as_deref()
        .unwrap_or("(it did not say)");
    let body = format!(
        "<h1>Approve this device?</h1>\
         <p>Signed in as <strong>{user}</strong>. A {vendor} command-line tool asks to sign in \
         to your account.</p>\
         <dl><dt>Code</dt><dd class=\"code\" id=\"user-code\">{code}</dd>\
         <dt>Device</dt><dd id=\"client-details\">{details}</dd>\
         <dt>Expires</dt><dd>{expires}</dd></dl>\
         <p>Approve only if you started this login and the device shows the same code.</p>\
         <form method=\"post\" action=\"{APPROVAL_PATH}/decision\">\
         <input type=\"hidden\" name=\"id\" value=\"{id}\">\
         <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"deny\">Deny</button>\
         </form>",
        user = esc(&user.identity.username),
        vendor = vendor(device.surface),
        code = esc(&device.user_code),
        details = esc(details),
        expires = device.expires_at.format("%Y-%m-%d %H:%M UTC"),
        id = device.id,
    );
    Ok(ok("Approve this device?", &body))
}

#[derive(Debug, Default, Deserialize)]
struct Decision {
    #[serde(default)]
    id: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    decision: String,
}

async fn decide(gateway: Data<Gateway>, form: Option<Form<Decision>>) -> HttpResponse {
    let form = form.map(Form::into_inner).unwrap_or_default();
    let approve = form.decision == "approve";
    let refused = || {
        page(
            actix_web::http::StatusCode::BAD_REQUEST,
            "Not decided",
            "<h1>Not decided</h1><p class=\"error\" role=\"alert\">This approval is no longer \
             valid (it was decided, it expired, or the sign-in is stale). Start the login on \
             the device again.</p>",
        )
    };
    let Ok(id) = form.id.parse() else {
        return refused();
    };
    match gateway
        .decide_with_ticket(id, clipped(&form.ticket), approve)
        .await
    {
        Ok(_) if approve => ok(
            "Device approved",
            "<h1>Device approved</h1><p class=\"done\" role=\"status\">The device is signed \
             in. You can close this window and return to it.</p>",
        ),
        Ok(_) => ok(
            "Device denied",
            "<h1>Device denied</h1><p class=\"done\" role=\"status\">The device was not signed \
             in. You can close this window.</p>",
        ),
        Err(_) => refused(),
    }
}

/// Mounts `/login/device`, its stylesheet and its two forms' targets; `limit` is the instance's
/// one failure count (shared by its workers).
pub fn configure(cfg: &mut web::ServiceConfig, limit: Data<FailureLimit>) {
    let form = || web::FormConfig::default().limit(16 * 1024);
    cfg.service(
        web::resource(APPROVAL_PATH)
            .app_data(limit.clone())
            .app_data(form())
            .route(web::get().to(show))
            .route(web::post().to(sign_in)),
    )
    .service(web::resource("/login/device.css").route(web::get().to(style)))
    .service(
        web::resource("/login/device/decision")
            .app_data(form())
            .route(web::post().to(decide)),
    );
}
