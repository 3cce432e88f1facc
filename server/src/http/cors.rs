//! Cross-origin access, for a partner portal that embeds the app.
//!
//! A page on another origin loads the app's module and wasm from this server
//! and calls `/api/session` with a bearer token. Browsers allow that only when
//! the responses carry CORS headers for the page's origin. The server sends
//! them for the origins given with `--allow-origin`, and for none by default.
//! `*` allows any origin, which is safe here because the API reads a bearer
//! token and no cookie: a page can call it only with a token it already has.
//! WebSocket upgrades are not subject to CORS; the token in their URL is what
//! admits them.

use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache the response to a preflight request.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The origins whose pages may call the API and load the app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Same-origin pages only: no CORS headers are sent.
    #[default]
    None,
    /// Any origin (`--allow-origin '*'`).
    Any,
    /// Exactly these origins, such as `https://portal.example`.
    List(Vec<HeaderValue>),
}

impl AllowedOrigins {
    /// Reads the values of `--allow-origin`.
    ///
    /// # Errors
    ///
    /// Returns a message naming the value when one is not an origin (a
    /// scheme `http` or `https`, a host and an optional port, with no path),
    /// or when `*` is given with other origins.
    pub fn parse(values: &[String]) -> Result<AllowedOrigins, String> {
        if values.is_empty() {
            return Ok(AllowedOrigins::None);
        }
        if values.iter().any(|value| value == "*") {
            if values.len() > 1 {
                return Err(
                    "--allow-origin '*' allows every origin; give it alone or list origins instead"
                        .to_owned(),
                );
            }
            return Ok(AllowedOrigins::Any);
        }
        values
            .iter()
            .map(|value| parse_origin(value))
            .collect::<Result<Vec<_>, _>>()
            .map(AllowedOrigins::List)
    }

    /// Returns the layer that responds to preflight requests and adds the CORS
    /// headers, or `None` when no other origin is allowed.
    pub fn layer(&self) -> Option<CorsLayer> {
        let allow_origin = match self {
            AllowedOrigins::None => return None,
            AllowedOrigins::Any => AllowOrigin::any(),
            AllowedOrigins::List(origins) => AllowOrigin::list(origins.iter().cloned()),
        };
        let layer = CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::HEAD, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(PREFLIGHT_MAX_AGE);
        Some(layer)
    }
}

fn parse_origin(value: &str) -> Result<HeaderValue, String> {
    let invalid = |why: &str| {
        format!(
            "invalid --allow-origin {value:?}: {why}; expected an origin such as \
             https://portal.example or http://127.0.0.1:3000, or '*'"
        )
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    if rest.is_empty() {
        return Err(invalid("the host is missing"));
    }
    if rest.contains('/') {
        return Err(invalid("an origin has no path, not even a trailing slash"));
    }
    HeaderValue::from_str(value)
        .map_err(|_| invalid("it contains characters a header cannot carry"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<AllowedOrigins, String> {
        let values: Vec<String> = values.iter().map(|value| (*value).to_owned()).collect();
        AllowedOrigins::parse(&values)
    }

    #[test]
    fn no_values_allow_none() {
        assert_eq!(parse(&[]), Ok(AllowedOrigins::None));
        assert!(AllowedOrigins::None.layer().is_none());
    }

    #[test]
    fn star_allows_any() {
        assert_eq!(parse(&["*"]), Ok(AllowedOrigins::Any));
        let error = parse(&["*", "https://portal.example"]).expect_err("mixed");
        assert!(error.contains("alone"), "{error}");
    }

    #[test]
    fn origins_are_listed() {
        let parsed = parse(&["https://portal.example", "http://127.0.0.1:3000"]);
        let expected = AllowedOrigins::List(vec![
            HeaderValue::from_static("https://portal.example"),
            HeaderValue::from_static("http://127.0.0.1:3000"),
        ]);
        assert_eq!(parsed, Ok(expected));
    }

    #[test]
    fn bad_origins_name_the_value() {
        for (value, why) in [
            ("portal.example", "http:// or https://"),
            ("https://", "host is missing"),
            ("https://portal.example/", "no path"),
            ("https://portal.example/chat", "no path"),
        ] {
            let error = parse(&[value]).expect_err(value);
            assert!(error.contains(&format!("{value:?}")), "{error}");
            assert!(error.contains(why), "{error}");
        }
    }
}
