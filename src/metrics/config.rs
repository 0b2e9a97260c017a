//! `METRICS_ADDR` and `METRICS_MAX_OPERATION_NAMES`, read with the rest of
//! the configuration (`crate::config`).

use std::net::SocketAddr;

use crate::config::ConfigError;

/// Default of `METRICS_MAX_OPERATION_NAMES`.
const DEFAULT_MAX_OPERATION_NAMES: usize = 100;
/// The largest `METRICS_MAX_OPERATION_NAMES` accepted: the table of names is allocated at start (at most 512 bytes per name).
const MOST_OPERATION_NAMES: usize = 10_000;

/// The Prometheus metrics listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `METRICS_ADDR` (unset: no metrics): where `GET /metrics` is served, a socket address such as `127.0.0.1:9464`.
    pub addr: Option<SocketAddr>,
    /// `METRICS_MAX_OPERATION_NAMES` (100, at most 10 000): distinct GraphQL operation names given their own series; later names are counted as `(other)`.
    pub max_operation_names: usize,
}

/// Read both variables through `var` (values trimmed, empty as unset).
pub fn read(var: &impl Fn(&str) -> Option<String>) -> Result<MetricsConfig, ConfigError> {
    let invalid = |name, reason: String| ConfigError { name, reason };
    let addr = var("METRICS_ADDR")
        .map(|addr| {
            addr.parse().map_err(|_| {
                invalid(
                    "METRICS_ADDR",
                    format!("{addr:?} is not an address and port like 127.0.0.1:9464"),
                )
            })
        })
        .transpose()?;
    let max_operation_names = match var("METRICS_MAX_OPERATION_NAMES") {
        None => DEFAULT_MAX_OPERATION_NAMES,
        Some(n) => n
            .parse()
            .ok()
            .filter(|n| *n <= MOST_OPERATION_NAMES)
            .ok_or_else(|| {
                invalid(
                    "METRICS_MAX_OPERATION_NAMES",
                    format!("{n:?} is not a whole number from 0 to {MOST_OPERATION_NAMES}"),
                )
            })?,
    };
    Ok(MetricsConfig {
        addr,
        max_operation_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<MetricsConfig, &'static str> {
        read(&|name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
            .map_err(|e| e.name)
    }

    #[test]
    fn off_unless_an_address_is_given() {
        assert_eq!(
            config(&[]),
            Ok(MetricsConfig {
                addr: None,
                max_operation_names: 100
            })
        );
        let on = config(&[
            ("METRICS_ADDR", "127.0.0.1:9464"),
            ("METRICS_MAX_OPERATION_NAMES", "0"),
        ]);
        assert_eq!(
            on,
            Ok(MetricsConfig {
                addr: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
                max_operation_names: 0
            })
        );
        assert!(config(&[("METRICS_ADDR", "[::]:9464")]).is_ok());
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("METRICS_ADDR", "9464"),
            ("METRICS_ADDR", "localhost:9464"),
            ("METRICS_ADDR", "127.0.0.1"),
            ("METRICS_MAX_OPERATION_NAMES", "-1"),
            ("METRICS_MAX_OPERATION_NAMES", "many"),
            ("METRICS_MAX_OPERATION_NAMES", "10001"),
        ] {
            assert_eq!(config(&[(name, value)]), Err(name), "{name}={value}");
        }
    }
}
