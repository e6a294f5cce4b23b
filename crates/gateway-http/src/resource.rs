//! The resource helper: every dialect mounts its routes with [`resource`], which applies, once for
//! every surface, what each resource of the surface answers besides its handlers:
//!
//! - the admin-injected faults of the surface, before the handler (status rendered by the
//!   surface's [`SurfaceSpec::fault`], latency, dropped connection; [`crate::faults::intercept`]);
//! - a 405 for every other method, rendered by [`SurfaceSpec::method_not_allowed`], with `Allow`
//!   computed from the methods registered on the resource;
//! - errors that leave the resource re-rendered by [`SurfaceSpec::rerender`]: the surface's own
//!   with the request, framework rejections in the surface's envelope.
//!
//! ```ignore
//! cfg.service(gateway_http::resource(&SURFACE, "/me").get(get_me).patch(patch_me));
//! ```

use std::sync::Arc;

use actix_web::{
    Error, FromRequest, Handler, HttpRequest, Responder,
    body::{BoxBody, EitherBody, MessageBody},
    dev::{AppService, HttpServiceFactory, ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderValue},
    },
    middleware::{Next, from_fn},
    web,
};

use crate::{SurfaceSpec, faults};

/// A resource of a surface being built: its path, its routes, and the methods they answer.
/// Mount it with `cfg.service(..)`.
pub struct Resource {
    surface: &'static SurfaceSpec,
    inner: actix_web::Resource,
    allowed: Vec<Method>,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("surface", &self.surface.name)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// A resource at `path` (actix path syntax) of `surface`.
pub fn resource(surface: &'static SurfaceSpec, path: &str) -> Resource {
    Resource {
        surface,
        inner: web::resource(path),
        allowed: Vec::new(),
    }
}

impl Resource {
    /// Answers `method` with `handler`.
    pub fn route<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if !self.allowed.contains(&method) {
            self.allowed.push(method.clone());
        }
        self.inner = self.inner.route(web::method(method).to(handler));
        self
    }

    /// Answers `GET` with `handler`.
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, handler)
    }

    /// Answers `POST` with `handler`.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, handler)
    }

    /// Answers `PUT` with `handler`.
    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, handler)
    }

    /// Answers `PATCH` with `handler`.
    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PATCH, handler)
    }

    /// Answers `DELETE` with `handler`.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, handler)
    }
}

/// `GET, PATCH`: the methods in registration order, as `Allow` lists them.
pub fn allow_value(allowed: &[Method]) -> String {
    allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

impl HttpServiceFactory for Resource {
    fn register(self, config: &mut AppService) {
        let Self {
            surface,
            inner,
            allowed,
        } = self;
        let allow = HeaderValue::from_str(&allow_value(&allowed)).ok();
        let allowed: Arc<[Method]> = allowed.into();
        inner
            .default_service(web::to(move |req: HttpRequest| {
                std::future::ready((surface.method_not_allowed)(&req, &allowed))
            }))
            .wrap(from_fn(move |req, next| {
                layer(surface, allow.clone(), req, next)
            }))
            .register(config);
    }
}

/// The surface's faults before the resource, its error rendering after it, and `Allow` on every
/// 405 the resource answers (its default, an injected one, an error's).
async fn layer<B: MessageBody + 'static>(
    surface: &'static SurfaceSpec,
    allow: Option<HeaderValue>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, Error> {
    // The fault check's future is boxed, and made only when there are rules: inline it made
    // every request's future larger than glibc's per-thread cache serves (docs/benchmarks.md
    // run 7).
    let intercepted = if faults::may_fire(&req) {
        Box::pin(faults::intercept(surface.name, surface.fault, req)).await
    } else {
        Ok(req)
    };
    let mut res = match intercepted {
        Ok(req) => {
            let res = next.call(req).await?;
            let rendered = res
                .response()
                .error()
                .and_then(|e| (surface.rerender)(res.request(), e));
            match rendered {
                Some(response) => res.into_response(response).map_into_right_body(),
                None => res.map_into_left_body(),
            }
        }
        Err(answered) => answered.map_into_right_body(),
    };
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && !res.headers().contains_key(header::ALLOW)
        && let Some(allow) = allow
    {
        res.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use actix_web::{
        App, HttpResponse, ResponseError,
        test::{self, TestRequest},
    };

    use super::*;
    use crate::{
        SurfaceError,
        faults::{Fault, FaultSpec, Faults},
    };

    /// A surface whose envelope is `{"kit": <what>, ...}`.
    #[derive(Debug)]
    struct Kit(StatusCode);
    impl std::fmt::Display for Kit {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "kit {}", self.0)
        }
    }
    impl ResponseError for Kit {
        fn status_code(&self) -> StatusCode {
            self.0
        }
    }
    impl SurfaceError for Kit {
        fn fault(_: &HttpRequest, fault: &Fault) -> HttpResponse {
            let status = fault.status.unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            HttpResponse::build(status)
                .json(serde_json::json!({"kit": "fault", "message": fault.message}))
        }
        fn method_not_allowed(req: &HttpRequest, allowed: &[Method]) -> HttpResponse {
            HttpResponse::MethodNotAllowed().json(serde_json::json!({
                "kit": "405", "method": req.method().as_str(), "allowed": allow_value(allowed)
            }))
        }
        fn not_found(_: &HttpRequest) -> HttpResponse {
            HttpResponse::NotFound().json(serde_json::json!({"kit": "404"}))
        }
        fn render(&self, req: &HttpRequest) -> Option<HttpResponse> {
            Some(
                HttpResponse::build(self.0)
                    .json(serde_json::json!({"kit": "own", "path": req.path()})),
            )
        }
    }

    static SURFACE: SurfaceSpec = SurfaceSpec::new::<Kit>("me", &["/kit"]);

    async fn teapot() -> Result<HttpResponse, Kit> {
        Err(Kit(StatusCode::IM_A_TEAPOT))
    }

    async fn query(q: web::Query<std::collections::BTreeMap<String, u8>>) -> HttpResponse {
        HttpResponse::Ok().json(q.into_inner())
    }

    async fn body(res: ServiceResponse) -> serde_json::Value {
        serde_json::from_slice(&test::read_body(res).await).unwrap_or_default()
    }

    /// The fault check runs before every resource's request, inside the future actix allocates
    /// for it: kept under glibc's per-thread cache limit (1032 bytes; a larger allocation
    /// consolidates the allocator's free chunks first, docs/benchmarks.md run 7).
    #[test]
    fn the_fault_check_future_fits_the_allocator_cache() {
        let req = TestRequest::default().to_srv_request();
        let future = faults::intercept("me", Kit::fault, req);
        let size = std::mem::size_of_val(&future);
        assert!(size <= 512, "the fault check's future is {size} bytes");
    }

    #[actix_web::test]
    async fn one_helper_answers_405s_faults_and_errors_in_the_surface_envelope() {
        let faults = Faults::default();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(faults.clone()))
                .service(resource(&SURFACE, "/kit/a").get(teapot).delete(teapot))
                .service(resource(&SURFACE, "/kit/q").get(query)),
        )
        .await;
        // 405: the surface's body, `Allow` from the registered methods, in their order.
        let res = test::call_service(&app, TestRequest::put().uri("/kit/a").to_request()).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            res.headers().get(header::ALLOW).map(|v| v.as_bytes()),
            Some(&b"GET, DELETE"[..])
        );
        assert_eq!(
            body(res).await,
            serde_json::json!({"kit": "405", "method": "PUT", "allowed": "GET, DELETE"})
        );
        // The surface's own error, rendered again with the request.
        let res = test::call_service(&app, TestRequest::get().uri("/kit/a").to_request()).await;
        assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(
            body(res).await,
            serde_json::json!({"kit": "own", "path": "/kit/a"})
        );
        // A framework rejection (a query that does not bind) in the surface's envelope.
        let res = test::call_service(&app, TestRequest::get().uri("/kit/q?n=x").to_request()).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body(res).await,
            serde_json::json!({"kit": "fault", "message": "Bad Request"})
        );
        // A fault of this surface fires before the handler, on any method; another surface's
        // rule does not.
        for surface in ["platform", "me"] {
            faults
                .add(FaultSpec {
                    surface: Some(surface.into()),
                    path: Some("/kit/q".into()),
                    status: Some(503),
                    message: Some(format!("down for {surface}")),
                    count: Some(1),
                    ..FaultSpec::default()
                })
                .unwrap();
        }
        let res = test::call_service(&app, TestRequest::get().uri("/kit/q?n=1").to_request()).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body(res).await,
            serde_json::json!({"kit": "fault", "message": "down for me"})
        );
        let res = test::call_service(&app, TestRequest::get().uri("/kit/q?n=1").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
