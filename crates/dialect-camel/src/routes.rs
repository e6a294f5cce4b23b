//! The route table of the camel dialect: `/me` with GET, PATCH and DELETE, a 405 (with `Allow`)
//! for every other method, injected faults rendered in this envelope, and every error of the
//! resource re-rendered with the request id.
//!
//! The JSON body limit is the gateway's `HttpLimits`, read per request by
//! [`crate::extract::JsonValue`]; there are no query strings or path parameters to configure.

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    middleware::{Next, from_fn},
    web::{self, ServiceConfig},
};
use gateway_core::Surface;
use gateway_http::faults::{self, Fault};

use crate::{
    ME_PATH,
    error::CamelError,
    handlers::{delete_me::delete_me, get_me::get_me, patch_me::patch_me},
};

/// Mounts `/me`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        web::resource(ME_PATH)
            .route(web::get().to(get_me))
            .route(web::patch().to(patch_me))
            .route(web::delete().to(delete_me))
            .default_service(web::to(method_not_allowed))
            .wrap(from_fn(render_errors))
            .wrap(from_fn(fault_layer)),
    );
}

/// 405 in this envelope, with `Allow: GET, PATCH, DELETE`.
async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    CamelError::method_not_allowed().render(Some(&req))
}

/// An injected fault in this envelope (503 when the rule names no status).
pub fn render_fault(req: &HttpRequest, fault: &Fault) -> HttpResponse {
    let status = fault.status.unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    CamelError::fault(status, &fault.message, fault.retry_after).render(Some(req))
}

async fn fault_layer<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    faults::apply(Surface::Me, render_fault, req, next).await
}

/// Errors are first rendered without the request (`ResponseError` has none); this renders them
/// again with its id in `request_id` and `X-Request-Id`. An error of any other type (a framework
/// rejection this dialect does not configure) is rendered in the envelope by its status, so no
/// plain-text error leaves the resource.
async fn render_errors<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error> {
    let res = next.call(req).await?;
    let rendered = res
        .response()
        .error()
        .map(|e| match e.as_error::<CamelError>() {
            Some(camel) => camel.render(Some(res.request())),
            None => CamelError::from_status(e.as_response_error().status_code(), e)
                .render(Some(res.request())),
        });
    Ok(match rendered {
        Some(response) => res.into_response(response).map_into_right_body(),
        None => res.map_into_left_body(),
    })
}
