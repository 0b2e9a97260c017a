//! `agora healthcheck`: asks the server on this machine for `/health/live`
//! and exits 0 only when it answers 200, for a container's `HEALTHCHECK`
//! (the runtime image carries no curl or wget).
//!
//! One HTTP/1.1 request over the standard library's `TcpStream`, with a
//! timeout on every step: no runtime, no client crate, nothing logged.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// The longest connecting, sending or reading may each take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The most of the answer read: the status line is all that counts.
const MAX_HEAD: usize = 1024;

/// Check the server listening on `host:port` (the server's `HOST` and `PORT`) and say what went wrong on stderr; the exit code is the verdict.
pub fn run(host: IpAddr, port: u16) -> ExitCode {
    match check(target(host, port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("agora: healthcheck: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Where to connect: the listening address, or loopback when the server listens on every address (`0.0.0.0`, `::`), as it does in a container.
fn target(host: IpAddr, port: u16) -> SocketAddr {
    let host = match host {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    SocketAddr::new(host, port)
}

/// `GET /health/live` on `addr`; `Ok` when the status is 200.
fn check(addr: SocketAddr) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| format!("{addr}: {e}"))?;
    let request = format!("GET /health/live HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send to {addr}: {e}"))?;
    let head = read_head(&mut stream).map_err(|e| format!("no answer from {addr}: {e}"))?;
    let status_line = head.lines().next().unwrap_or_default();
    match status_line.split(' ').nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("{addr} answered {status_line:?}, not 200")),
    }
}

/// The answer up to the end of its status line (or `MAX_HEAD` bytes, or the end of the stream).
fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while head.len() < MAX_HEAD && !head.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf)? {
            0 => break,
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_address_is_checked_on_loopback() {
        let any4 = target(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8080);
        assert_eq!(any4, SocketAddr::from(([127, 0, 0, 1], 8080)));
        let any6 = target(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 8080);
        assert_eq!(any6, SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 8080));
        let given = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));
        assert_eq!(target(given, 9000), SocketAddr::new(given, 9000));
    }
}
