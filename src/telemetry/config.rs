//! The tracing export's variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (unset:
//! off), `OTEL_SERVICE_NAME` and `OTEL_EXPORTER_OTLP_HEADERS`, read through
//! the same lookup as the rest of [`crate::config`].

use crate::config::{ConfigError, Secret};

const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
const HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";

/// Where spans go and what they are sent with.
#[derive(Debug, Clone)]
pub struct OtlpConfig {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (`http://collector:4318`) with `/v1/traces` appended, as the OTLP exporter specification says for the variable common to every signal: where spans are POSTed.
    pub traces_url: String,
    /// `OTEL_SERVICE_NAME` (`agora`): the `service.name` of every span.
    pub service_name: String,
    /// `OTEL_EXPORTER_OTLP_HEADERS` (`api-key=…,x-team=a%20b`): headers sent with every export, values percent-decoded; often a credential.
    pub headers: Vec<(String, Secret)>,
}

impl OtlpConfig {
    /// Read the variables through `var` (trimmed, empty as unset); `None` when no endpoint is set (the other two are then not read).
    pub fn read(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(endpoint) = var(ENDPOINT) else {
            return Ok(None);
        };
        let traces_url = traces_url(&endpoint).map_err(|reason| invalid(ENDPOINT, reason))?;
        let service_name = var(SERVICE_NAME).unwrap_or_else(|| "agora".to_owned());
        let headers = match var(HEADERS) {
            Some(list) => parse_headers(&list).map_err(|reason| invalid(HEADERS, reason))?,
            None => Vec::new(),
        };
        Ok(Some(OtlpConfig {
            traces_url,
            service_name,
            headers,
        }))
    }
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError { name, reason }
}

/// `{endpoint}/v1/traces`, for an `http://` or `https://` URL with a host and no query.
fn traces_url(endpoint: &str) -> Result<String, String> {
    let usage = || format!("{endpoint:?} is not a collector URL like http://localhost:4318");
    let uri: http::Uri = endpoint.parse().map_err(|_| usage())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() || uri.query().is_some() {
        return Err(usage());
    }
    Ok(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
}

/// `name=value` pairs separated by commas, values percent-encoded (the OTLP exporter specification's format). Errors never quote a value.
fn parse_headers(list: &str) -> Result<Vec<(String, Secret)>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(index, entry)| {
            let Some((name, value)) = entry.split_once('=') else {
                return Err(format!("entry {} is not name=value", index + 1));
            };
            let name = name.trim();
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("{name:?} is not a header name"))?;
            let value = percent_encoding::percent_decode_str(value.trim())
                .decode_utf8()
                .ok()
                .filter(|v| http::HeaderValue::from_str(v).is_ok())
                .ok_or_else(|| format!("the value of {name} is not a header value"))?;
            Ok((name.to_owned(), Secret::new(value)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Option<OtlpConfig>, ConfigError> {
        OtlpConfig::read(&|name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn unset_endpoint_is_off_whatever_else_is_set() {
        assert!(
            read(&[(HEADERS, "no pairs here")])
                .map(|c| c.is_none())
                .unwrap_or(false)
        );
    }

    #[test]
    fn the_signal_path_is_appended() {
        for (endpoint, url) in [
            ("http://localhost:4318", "http://localhost:4318/v1/traces"),
            ("https://otel.example.com/", "https://otel.example.com/v1/traces"),
            ("http://10.0.0.1:4318/otlp", "http://10.0.0.1:4318/otlp/v1/traces"),
        ] {
            let config = read(&[(ENDPOINT, endpoint)]).ok().flatten();
            assert_eq!(config.map(|c| c.traces_url).as_deref(), Some(url));
        }
    }

    #[test]
    fn bad_endpoints_are_refused() {
        for endpoint in [
            "localhost:4318",
            "grpc://localhost:4317",
            "http://",
            "http://h/?a=b",
            "not a url",
        ] {
            let err = read(&[(ENDPOINT, endpoint)]).err();
            assert_eq!(err.map(|e| e.name), Some(ENDPOINT), "{endpoint}");
        }
    }

    #[test]
    fn service_name_defaults_to_agora() {
        let config = read(&[(ENDPOINT, "http://localhost:4318")]).ok().flatten();
        assert_eq!(config.map(|c| c.service_name).as_deref(), Some("agora"));
        let config = read(&[(ENDPOINT, "http://localhost:4318"), (SERVICE_NAME, "agora-eu")])
            .ok()
            .flatten();
        assert_eq!(config.map(|c| c.service_name).as_deref(), Some("agora-eu"));
    }

    #[test]
    fn headers_are_pairs_with_decoded_values() {
        let config = read(&[
            (ENDPOINT, "http://localhost:4318"),
            (HEADERS, "api-key=s3cr%3Dt, x-team = a%20b ,"),
        ])
        .ok()
        .flatten();
        let headers: Vec<(String, String)> = config
            .map(|c| c.headers)
            .unwrap_or_default()
            .into_iter()
            .map(|(n, v)| (n, v.expose().to_owned()))
            .collect();
        assert_eq!(
            headers,
            [
                ("api-key".to_owned(), "s3cr=t".to_owned()),
                ("x-team".to_owned(), "a b".to_owned())
            ]
        );
    }

    #[test]
    fn bad_headers_are_refused_without_quoting_values() {
        for (list, reason) in [
            ("Authorization Bearer hunter2", "entry 1 is not name=value"),
            ("a=1,bad name=hunter2", "\"bad name\" is not a header name"),
            ("key=hunter2%0A", "the value of key is not a header value"),
        ] {
            let err = read(&[(ENDPOINT, "http://localhost:4318"), (HEADERS, list)]).err();
            let err = err.map(|e| (e.name, e.reason));
            assert_eq!(err, Some((HEADERS, reason.to_owned())));
        }
    }
}
