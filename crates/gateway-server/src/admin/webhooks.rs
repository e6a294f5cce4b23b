//! Webhook endpoints of a tiered project, as the vendor's dashboard configures them in Svix:
//! `POST /admin/projects/{id}/webhooks` `{"url", "description"?, "filter_types"?}` (201, with the
//! endpoint's `secret`, `whsec_…`), `GET /admin/projects/{id}/webhooks` (no secrets),
//! `GET /admin/projects/{id}/webhooks/{endpoint}/secret` (`{"key": "whsec_…"}`, as Svix's
//! `endpoint.getSecret`), `DELETE /admin/projects/{id}/webhooks/{endpoint}`. This instance uses a
//! change at once; other instances within `webhooks.refresh_ms`. Deliveries are in the journal
//! (`GET /admin/journal?surface=webhooks`).

use std::sync::Arc;

use actix_web::{
    HttpResponse,
    web::{Data, Json, Path},
};
use gateway_core::{CoreError, Gateway, NewWebhookEndpoint, WebhookEndpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Result;
use crate::webhooks::Webhooks;

/// `POST /admin/projects/{id}/webhooks` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateEndpoint {
    url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    filter_types: Vec<String>,
}

fn view(e: &WebhookEndpoint) -> Value {
    json!({
        "id": e.id,
        "project_id": e.project_id,
        "url": e.url,
        "description": e.description,
        "filter_types": e.filter_types,
        "created_at": e.created_at,
    })
}

fn parse(raw: &str, what: &str) -> Result<Uuid> {
    raw.parse()
        .map_err(|_| CoreError::not_found(format!("{what} not found")).into())
}

async fn refresh(hooks: &Webhooks, gateway: &Gateway) -> Result<()> {
    Ok(hooks.refresh(gateway).await?)
}

/// Creates an endpoint; the answer carries its signing secret.
pub(super) async fn create(
    gateway: Data<Gateway>,
    hooks: Data<Arc<Webhooks>>,
    project: Path<String>,
    body: Json<CreateEndpoint>,
) -> Result<HttpResponse> {
    let project = parse(&project, "project")?;
    let CreateEndpoint {
        url,
        description,
        filter_types,
    } = body.into_inner();
    let endpoint = gateway
        .create_webhook_endpoint(
            project,
            NewWebhookEndpoint {
                url,
                description,
                filter_types,
            },
        )
        .await?;
    refresh(&hooks, &gateway).await?;
    let mut shown = view(&endpoint);
    shown["secret"] = json!(hooks.key(&endpoint).secret());
    Ok(HttpResponse::Created().json(shown))
}

/// The endpoints of a project, oldest first.
pub(super) async fn list(gateway: Data<Gateway>, project: Path<String>) -> Result<HttpResponse> {
    let project = parse(&project, "project")?;
    gateway.project(project).await?;
    let endpoints = gateway.webhook_endpoints(Some(project)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": endpoints.iter().map(view).collect::<Vec<_>>(),
    })))
}

async fn endpoint_of(gateway: &Gateway, project: &str, id: &str) -> Result<WebhookEndpoint> {
    let (project, id) = (parse(project, "project")?, parse(id, "webhook endpoint")?);
    gateway
        .webhook_endpoints(Some(project))
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| CoreError::not_found("webhook endpoint not found").into())
}

/// The signing secret of an endpoint.
pub(super) async fn secret(
    gateway: Data<Gateway>,
    hooks: Data<Arc<Webhooks>>,
    path: Path<(String, String)>,
) -> Result<HttpResponse> {
    let endpoint = endpoint_of(&gateway, &path.0, &path.1).await?;
    Ok(HttpResponse::Ok().json(json!({"key": hooks.key(&endpoint).secret()})))
}

/// Deletes an endpoint: no attempt to it starts after (a retry waiting for it is dropped).
pub(super) async fn delete(
    gateway: Data<Gateway>,
    hooks: Data<Arc<Webhooks>>,
    path: Path<(String, String)>,
) -> Result<HttpResponse> {
    let endpoint = endpoint_of(&gateway, &path.0, &path.1).await?;
    gateway
        .delete_webhook_endpoint(endpoint.project_id, endpoint.id)
        .await?;
    refresh(&hooks, &gateway).await?;
    Ok(HttpResponse::NoContent().finish())
}
