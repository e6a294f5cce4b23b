//! The vendor's request headers under both prefixes: the published SDK sends `x-hexclave-*`, the
//! vendor's source reads `x-stack-*`; the gateway accepts both and `x-hexclave-` wins when both
//! are present (choice). Empty values count as absent, as in the vendor's checks.

use std::borrow::Cow;

use actix_web::HttpRequest;

/// The request header prefixes, in order of precedence.
pub const PREFIXES: [&str; 2] = ["x-hexclave-", "x-stack-"];

/// The first value of `<prefix><name>` under each prefix, in [`PREFIXES`] order. One pass over
/// the request's headers, comparing names, instead of building and hashing a header name per
/// prefix and lookup (a tiered request looks up a dozen names).
fn values<'r>(req: &'r HttpRequest, name: &str) -> [Option<&'r [u8]>; 2] {
    let mut found: [Option<&[u8]>; 2] = [None, None];
    for (header, value) in req.headers() {
        let header = header.as_str();
        for (slot, prefix) in found.iter_mut().zip(PREFIXES) {
            if slot.is_none() && header.strip_prefix(prefix) == Some(name) {
                *slot = Some(value.as_bytes());
            }
        }
    }
    found
}

/// The value of `<prefix><name>` under the first prefix that has a non-empty value, borrowed
/// from the request unless it is not UTF-8 (then with replacement characters). No copy: most
/// lookups only test a header's presence or compare it.
pub fn get<'r>(req: &'r HttpRequest, name: &str) -> Option<Cow<'r, str>> {
    values(req, name)
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty())
        .map(|v| std::str::from_utf8(v).map_or_else(|_| String::from_utf8_lossy(v), Cow::Borrowed))
}

/// Whether `<prefix><name>` is present under either prefix (any value, even empty).
pub fn present(req: &HttpRequest, name: &str) -> bool {
    values(req, name).iter().any(Option::is_some)
}

/// Whether `<prefix><name>` is exactly `"true"`.
pub fn is_true(req: &HttpRequest, name: &str) -> bool {
    get(req, name).as_deref() == Some("true")
}

/// The SDK that sent the request, parsed from `client-version` as the vendor does
/// (`/^(\w+)\s+(@[\w\/]+)@([\d.]+)$/`): `(platform, sdk, version)`. Used for logging only.
pub fn client_version(req: &HttpRequest) -> Option<(String, String, String)> {
    let raw = get(req, "client-version")?;
    let (platform, rest) = raw.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let at = rest.rfind('@')?;
    let (sdk, version) = (&rest[..at], &rest[at + 1..]);
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    let sdk_ok = sdk.starts_with('@')
        && sdk.len() > 1
        && sdk[1..]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '/');
    let version_ok = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    (word(platform) && sdk_ok && version_ok)
        .then(|| (platform.to_owned(), sdk.to_owned(), version.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn hexclave_wins_and_empty_is_absent() {
        let req = TestRequest::default()
            .insert_header(("x-stack-access-type", "server"))
            .insert_header(("x-hexclave-access-type", "client"))
            .insert_header(("x-stack-project-id", ""))
            .to_http_request();
        assert_eq!(get(&req, "access-type").as_deref(), Some("client"));
        assert_eq!(get(&req, "project-id"), None);
        assert!(present(&req, "project-id"));
        assert!(!present(&req, "branch-id"));
    }

    #[test]
    fn client_versions_parse_like_the_vendor() {
        let req = TestRequest::default()
            .insert_header(("X-Hexclave-Client-Version", "js @stackframe/js@2.8.108"))
            .to_http_request();
        assert_eq!(
            client_version(&req),
            Some(("js".into(), "@stackframe/js".into(), "2.8.108".into()))
        );
        let bad = TestRequest::default()
            .insert_header(("x-stack-client-version", "nonsense"))
            .to_http_request();
        assert_eq!(client_version(&bad), None);
    }
}
