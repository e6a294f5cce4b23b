//! `/metrics` in the Prometheus text format (the `prometheus` crate, one registry per instance):
//! requests by surface, route pattern and status, latency histograms, database pool usage and
//! fault rules fired. Routes are actix's match patterns (`/api/v1/users/{user_id}`), never raw
//! paths, so ids never become label values.

use gateway_storage::PoolUsage;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Label value for a request outside every surface.
pub const NO_SURFACE: &str = "none";
/// Label value for a request no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// Status label of a connection dropped on purpose.
pub const DROPPED_STATUS: &str = "dropped";

/// The instance's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    pool: IntGaugeVec,
    pool_max: IntGauge,
    faults_fired: IntCounterVec,
    fault_rules: IntGauge,
    journal_entries: IntGauge,
    journal_bytes: IntGauge,
    user_cache: IntGaugeVec,
    log_lines_dropped: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// A request as the metrics count it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Surface name or [`NO_SURFACE`].
    pub surface: &'a str,
    /// Route pattern or [`UNMATCHED_ROUTE`].
    pub route: &'a str,
    /// HTTP method (standard ones; others are counted as `OTHER`).
    pub method: &'a str,
    /// Status code or [`DROPPED_STATUS`].
    pub status: &'a str,
    /// Seconds until the response head.
    pub seconds: f64,
}

fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "OTHER",
    }
}

impl Metrics {
    /// A fresh registry with every gateway metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "gateway_http_requests_total",
                "HTTP requests by surface, route pattern, method and status.",
            ),
            &["surface", "route", "method", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "gateway_http_request_duration_seconds",
                "Time from request to response head, by surface, route pattern and method.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["surface", "route", "method"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "gateway_db_pool_connections",
                "Database pool connections by state (idle, in_use).",
            ),
            &["state"],
        )?;
        let pool_max = IntGauge::new(
            "gateway_db_pool_max_connections",
            "Database pool size limit.",
        )?;
        let faults_fired = IntCounterVec::new(
            Opts::new(
                "gateway_fault_rules_fired_total",
                "Injected faults by surface, effect (status, latency, drop_connection) and status.",
            ),
            &["surface", "effect", "status"],
        )?;
        let fault_rules = IntGauge::new("gateway_fault_rules", "Fault rules currently installed.")?;
        let journal_entries = IntGauge::new(
            "gateway_journal_entries",
            "Requests currently kept in the request journal.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(faults_fired.clone()))?;
        registry.register(Box::new(fault_rules.clone()))?;
        let journal_bytes = IntGauge::new(
            "gateway_journal_bytes",
            "Bytes currently held by the request journal (at most emulator.journal_budget_bytes).",
        )?;
        registry.register(Box::new(journal_entries.clone()))?;
        registry.register(Box::new(journal_bytes.clone()))?;
        let user_cache = IntGaugeVec::new(
            Opts::new(
                "gateway_user_cache",
                "The cache of what current-user answers read, by map (users, memberships, \
                 sessions, projects): entries and bytes held (at most \
                 database.user_cache_entries per map and _bytes in all), reads served (hits) and \
                 not (misses), entries dropped for another writer's change (invalidations), \
                 whether its watch of other writers works (1/0).",
            ),
            &["map", "measure"],
        )?;
        registry.register(Box::new(user_cache.clone()))?;
        let log_lines_dropped = IntGauge::new(
            "gateway_log_lines_dropped",
            "Log lines dropped since start because the log writer's queue was full.",
        )?;
        registry.register(Box::new(log_lines_dropped.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
            pool,
            pool_max,
            faults_fired,
            fault_rules,
            journal_entries,
            journal_bytes,
            user_cache,
            log_lines_dropped,
        })
    }

    /// Counts one request.
    pub fn observe(&self, o: Observation<'_>) {
        let method = method_label(o.method);
        self.requests
            .with_label_values(&[o.surface, o.route, method, o.status])
            .inc();
        self.duration
            .with_label_values(&[o.surface, o.route, method])
            .observe(o.seconds);
    }

    /// Counts one injected fault.
    pub fn fault_fired(&self, surface: &str, effect: &str, status: Option<u16>) {
        let status = status.map(|s| s.to_string()).unwrap_or_default();
        self.faults_fired
            .with_label_values(&[surface, effect, &status])
            .inc();
    }

    /// Sets the cache's gauges, map by map (read at scrape time, before [`Metrics::render`]).
    pub fn cache(
        &self,
        maps: impl IntoIterator<Item = (&'static str, gateway_storage::CacheUsage)>,
    ) {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for (map, usage) in maps {
            let gateway_storage::CacheUsage {
                entries,
                bytes,
                hits,
                misses,
                invalidations,
                watching,
            } = usage;
            for (measure, value) in [
                ("entries", as_i64(entries as u64)),
                ("bytes", as_i64(bytes as u64)),
                ("hits", as_i64(hits)),
                ("misses", as_i64(misses)),
                ("invalidations", as_i64(invalidations)),
                ("watching", i64::from(watching)),
            ] {
                self.user_cache
                    .with_label_values(&[map, measure])
                    .set(value);
            }
        }
    }

    /// Sets the count of dropped log lines (read at scrape time, before [`Metrics::render`]).
    pub fn log_lines_dropped(&self, lines: u64) {
        self.log_lines_dropped
            .set(i64::try_from(lines).unwrap_or(i64::MAX));
    }

    /// Sets the journal's byte gauge (read at scrape time, before [`Metrics::render`]).
    pub fn journal_bytes(&self, bytes: usize) {
        self.journal_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// The text exposition, after refreshing the gauges read at scrape time.
    pub fn render(&self, pool: PoolUsage, fault_rules: usize, journal_entries: usize) -> String {
        let idle = i64::from(pool.idle);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(pool.connections) - idle);
        self.pool_max.set(i64::from(pool.max));
        self.fault_rules
            .set(i64::try_from(fault_rules).unwrap_or(i64::MAX));
        self.journal_entries
            .set(i64::try_from(journal_entries).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "metrics encoding failed");
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_pool_and_faults_are_exposed() {
        let m = Metrics::new().unwrap();
        m.observe(Observation {
            surface: "me",
            route: "/me",
            method: "GET",
            status: "200",
            seconds: 0.003,
        });
        m.observe(Observation {
            surface: "me",
            route: "/me",
            method: "BREW",
            status: "405",
            seconds: 0.001,
        });
        m.fault_fired("me", "status", Some(503));
        m.cache([(
            "users",
            gateway_storage::CacheUsage {
                entries: 4,
                hits: 9,
                watching: true,
                ..Default::default()
            },
        )]);
        let text = m.render(
            PoolUsage {
                connections: 3,
                idle: 1,
                max: 8,
            },
            2,
            5,
        );
        for line in [
            r#"gateway_http_requests_total{method="GET",route="/me",status="200",surface="me"} 1"#,
            r#"gateway_http_requests_total{method="OTHER",route="/me",status="405",surface="me"} 1"#,
            r#"gateway_http_request_duration_seconds_bucket{method="GET",route="/me",surface="me",le="0.005"} 1"#,
            r#"gateway_db_pool_connections{state="in_use"} 2"#,
            r#"gateway_db_pool_connections{state="idle"} 1"#,
            "gateway_db_pool_max_connections 8",
            r#"gateway_fault_rules_fired_total{effect="status",status="503",surface="me"} 1"#,
            "gateway_fault_rules 2",
            "gateway_journal_entries 5",
            r#"gateway_user_cache{map="users",measure="entries"} 4"#,
            r#"gateway_user_cache{map="users",measure="hits"} 9"#,
            r#"gateway_user_cache{map="users",measure="watching"} 1"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line} in:\n{text}"
            );
        }
    }
}
