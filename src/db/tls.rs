//! TLS to PostgreSQL, as `sslmode` and `sslrootcert` in `DATABASE_URL` ask
//! (libpq's names and meanings), with rustls (the ring provider).
//!
//! tokio-postgres knows neither `verify-ca`, `verify-full` nor `sslrootcert`,
//! so both are read here and taken out of the URL it is given. A mode that
//! asks for TLS never falls back to plaintext: a server that refuses TLS
//! fails the connection.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::{ConnectionError, ConnectionResult};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use percent_encoding::percent_decode_str;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// `sslmode`, by libpq's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// `disable`: plaintext.
    Disable,
    /// `allow`: plaintext here (libpq would try TLS only if plaintext is refused).
    Allow,
    /// `prefer`, and no `sslmode` at all: plaintext here (libpq would try TLS first).
    Prefer,
    /// `require`: TLS without checking the certificate (checking its chain when `sslrootcert` is given, as libpq does).
    Require,
    /// `verify-ca`: TLS, the certificate chains to a trusted root.
    VerifyCa,
    /// `verify-full`: `verify-ca`, and the certificate names the host.
    VerifyFull,
}

/// What a connection does about TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plaintext.
    Off,
    /// TLS, any certificate accepted (it still encrypts; it does not authenticate the server).
    Unverified,
    /// TLS, the certificate chains to a trusted root; its name is not checked.
    VerifyCa,
    /// TLS, the certificate chains to a trusted root and names the host.
    VerifyFull,
}

/// A PostgreSQL URL split into what tokio-postgres reads and the TLS settings it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The URL without `sslmode` and `sslrootcert`.
    pub url: String,
    /// `sslmode` (absent: `prefer`).
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file of trusted roots (absent: the Mozilla roots of `webpki-roots`).
    pub root_cert: Option<PathBuf>,
}

impl PgUrl {
    /// Read `sslmode` and `sslrootcert` from a `postgres://` URL's query.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut mode, mut root_cert) = (None, None);
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "sslmode" => &mut mode,
                "sslrootcert" => &mut root_cert,
                _ => {
                    kept.push(pair);
                    continue;
                }
            };
            let value = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| format!("{key} is not UTF-8"))?;
            if slot.replace(value.into_owned()).is_some() {
                return Err(format!("{key} is given twice"));
            }
        }
        let mode = match mode.as_deref() {
            None | Some("prefer") => SslMode::Prefer,
            Some("disable") => SslMode::Disable,
            Some("allow") => SslMode::Allow,
            Some("require") => SslMode::Require,
            Some("verify-ca") => SslMode::VerifyCa,
            Some("verify-full") => SslMode::VerifyFull,
            Some(other) => {
                return Err(format!(
                    "sslmode {other:?}: use disable, prefer, require, verify-ca or verify-full"
                ));
            }
        };
        if root_cert.as_deref() == Some("") {
            return Err("sslrootcert is empty".to_owned());
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(PgUrl {
            url,
            mode,
            root_cert: root_cert.map(PathBuf::from),
        })
    }

    /// What the connections do about TLS.
    pub fn tls(&self) -> Tls {
        match self.mode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => Tls::Off,
            SslMode::Require if self.root_cert.is_some() => Tls::VerifyCa,
            SslMode::Require => Tls::Unverified,
            SslMode::VerifyCa => Tls::VerifyCa,
            SslMode::VerifyFull => Tls::VerifyFull,
        }
    }

    /// The rustls connector the connections use (`None`: plaintext). Reads `sslrootcert` now, so a missing or empty file stops the start.
    pub fn connector(&self) -> Result<Option<MakeRustlsConnect>, String> {
        let tls = self.tls();
        if tls == Tls::Off {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous();
        let verifier: Arc<dyn ServerCertVerifier> = match tls {
            Tls::Off | Tls::Unverified => Arc::new(AnyCertificate(provider)),
            Tls::VerifyCa | Tls::VerifyFull => {
                let roots = match &self.root_cert {
                    Some(path) => roots_from(path)?,
                    None => webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect(),
                };
                let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| e.to_string())?;
                if tls == Tls::VerifyCa {
                    Arc::new(ChainOnly(webpki))
                } else {
                    webpki
                }
            }
        };
        let config = builder
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Some(MakeRustlsConnect::new(config)))
    }
}

/// The certificates of a PEM file, as trusted roots.
fn roots_from(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| format!("sslrootcert {shown}: {e}"))? {
        let cert = cert.map_err(|e| format!("sslrootcert {shown}: {e}"))?;
        roots.add(cert).map_err(|e| format!("sslrootcert {shown}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("sslrootcert {shown} holds no certificate"));
    }
    Ok(roots)
}

/// Open one connection to `url` (without `sslmode`/`sslrootcert`): through `tls` when given, where a server that refuses TLS is an error.
pub async fn connect(url: &str, tls: Option<&MakeRustlsConnect>) -> ConnectionResult<AsyncPgConnection> {
    let Some(tls) = tls else {
        return AsyncPgConnection::establish(url).await;
    };
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let (client, connection) = config
        .connect(tls.clone())
        .await
        .map_err(|e| ConnectionError::BadConnection(format!("PostgreSQL over TLS: {}", with_causes(&e))))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// An error and its causes on one line (tokio-postgres keeps why a TLS handshake failed in the cause).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let more = e.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        cause = e.source();
    }
    text
}

/// `sslmode=require` without roots: any certificate is accepted, but the handshake signatures are still checked (the session is encrypted).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full check, except that a certificate for another name passes.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the name last, once the chain is valid.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> PgUrl {
        PgUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn without_sslmode_the_url_is_unchanged_and_plain() {
        let u = parse("postgres://app:pw@db.example.com:5432/agora");
        assert_eq!(u.url, "postgres://app:pw@db.example.com:5432/agora");
        assert_eq!((u.mode, u.tls()), (SslMode::Prefer, Tls::Off));
        let u = parse("postgres://db/agora?sslmode=prefer&application_name=agora");
        assert_eq!(u.url, "postgres://db/agora?application_name=agora");
        assert_eq!(u.tls(), Tls::Off);
        for plain in ["disable", "allow"] {
            assert_eq!(parse(&format!("postgres://db/a?sslmode={plain}")).tls(), Tls::Off);
        }
    }

    #[test]
    fn tls_modes_are_taken_out_of_the_url() {
        let u = parse(
            "postgres://db/agora?connect_timeout=5&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem",
        );
        assert_eq!(u.url, "postgres://db/agora?connect_timeout=5");
        assert_eq!(u.root_cert, Some(PathBuf::from("/etc/ca x.pem")));
        assert_eq!(u.tls(), Tls::VerifyFull);
        let u = parse("postgresql://db/agora?sslrootcert=/ca.pem&sslmode=verify-ca");
        assert_eq!(
            (u.url.as_str(), u.tls()),
            ("postgresql://db/agora", Tls::VerifyCa)
        );
        assert_eq!(parse("postgres://db/a?sslmode=verify-full").root_cert, None);
    }

    #[test]
    fn require_checks_the_chain_only_when_given_roots() {
        assert_eq!(parse("postgres://db/a?sslmode=require").tls(), Tls::Unverified);
        let with_roots = parse("postgres://db/a?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(with_roots.tls(), Tls::VerifyCa);
        // Roots alone ask for nothing, as in libpq.
        assert_eq!(parse("postgres://db/a?sslrootcert=/ca.pem").tls(), Tls::Off);
    }

    #[test]
    fn bad_settings_are_refused() {
        for url in [
            "postgres://db/a?sslmode=verify_full",
            "postgres://db/a?sslmode=",
            "postgres://db/a?sslmode=require&sslmode=disable",
            "postgres://db/a?sslrootcert=",
            "postgres://db/a?sslmode=require&sslrootcert=%FF",
        ] {
            assert!(PgUrl::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn roots_are_read_at_start() {
        let missing = parse("postgres://db/a?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
        assert!(missing.connector().is_err());
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
        let url = format!(
            "postgres://db/a?sslmode=verify-ca&sslrootcert={}",
            empty.display()
        );
        assert!(
            parse(&url)
                .connector()
                .is_err_and(|e| e.contains("no certificate"))
        );
        assert!(parse("postgres://db/a").connector().is_ok_and(|c| c.is_none()));
        assert!(
            parse("postgres://db/a?sslmode=require")
                .connector()
                .is_ok_and(|c| c.is_some())
        );
        assert!(
            parse("postgres://db/a?sslmode=verify-full")
                .connector()
                .is_ok_and(|c| c.is_some())
        );
    }
}
