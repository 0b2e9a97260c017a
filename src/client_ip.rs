//! The client's address behind trusted proxies (`TRUSTED_PROXIES`).
//!
//! `X-Forwarded-For` is read only when the TCP peer is a trusted proxy. The
//! list is then walked from the right (each proxy appends the address it
//! received from), skipping trusted proxies; the first untrusted address is
//! the client (as Rails' `RemoteIp` and nginx's `real_ip_recursive` do).
//! Entries left of it were written by the client and are never read. A
//! malformed entry reached on the way falls back to the peer.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// An address block: `10.0.0.0/8`, `2001:db8::/32`; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Does the block hold `ip`? An IPv4-mapped IPv6 address counts as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(net.to_bits().into(), ip.to_bits().into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => masked(net.to_bits(), ip.to_bits(), self.prefix, 128),
            _ => false,
        }
    }
}

/// Do `a` and `b` agree on their first `prefix` of `width` bits?
fn masked(a: u128, b: u128, prefix: u8, width: u8) -> bool {
    let shift = u32::from(width - prefix);
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not an address or a block like 10.0.0.0/8");
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let network = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
        };
        if prefix > width {
            return Err(format!("{s:?}: the prefix is longer than the address"));
        }
        Ok(Cidr { network, prefix })
    }
}

/// `TRUSTED_PROXIES`: a comma-separated list of blocks (blank entries ignored).
pub fn parse_list(value: &str) -> Result<Vec<Cidr>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::parse)
        .collect()
}

/// The client's address: `peer`, unless `peer` is a trusted proxy and `X-Forwarded-For` names someone else (see the module documentation).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|block| block.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Several headers read as one list, in order.
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer;
        };
        entries.extend(value.split(',').map(str::trim));
    }
    let mut leftmost = peer;
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.parse::<IpAddr>() else {
            return peer;
        };
        let ip = ip.to_canonical();
        if !is_trusted(ip) {
            return ip;
        }
        leftmost = ip;
    }
    // Every hop is trusted: the first one is as far as the chain goes.
    leftmost
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn cidrs(s: &str) -> Vec<Cidr> {
        parse_list(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        headers
    }

    #[test]
    fn blocks_hold_their_addresses() {
        let list = cidrs(" 10.0.0.0/8, 192.168.1.7 ,,2001:db8::/32, 0.0.0.0/0 ");
        assert_eq!(list.len(), 4);
        let [ten, one, v6, all] = [list[0], list[1], list[2], list[3]];
        assert!(ten.contains(ip("10.255.0.1")) && !ten.contains(ip("11.0.0.1")));
        assert!(one.contains(ip("192.168.1.7")) && !one.contains(ip("192.168.1.8")));
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")) && !ten.contains(ip("::1")));
        assert!(all.contains(ip("203.0.113.9")) && !all.contains(ip("::1")));
        assert!(
            ten.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped addresses are IPv4"
        );
        assert!(cidrs("::/0")[0].contains(ip("2001:db8::1")));
        assert!(cidrs("::1")[0].contains(ip("::1")));
        assert!(cidrs("").is_empty());
    }

    #[test]
    fn bad_blocks_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0/8",
            "localhost",
            "10.0.0.0/8/8",
            "10.0.0.0/+8",
        ] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
        assert!(parse_list("10.0.0.0/8, nope").is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(client_ip(ip("203.0.113.5"), &headers, &[]), ip("203.0.113.5"));
        let trusted = cidrs("10.0.0.0/8");
        assert_eq!(
            client_ip(ip("203.0.113.5"), &headers, &trusted),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn a_trusted_peer_forwards_the_first_untrusted_address_from_the_right() {
        let trusted = cidrs("10.0.0.0/8, 127.0.0.1");
        let peer = ip("10.0.0.2");
        // The client claims 1.1.1.1; the first proxy saw 203.0.113.7.
        let headers = forwarded(&["1.1.1.1, 203.0.113.7, 10.0.0.9"]);
        assert_eq!(client_ip(peer, &headers, &trusted), ip("203.0.113.7"));
        // Several headers are one list.
        let headers = forwarded(&["1.1.1.1", "203.0.113.7", "10.0.0.9"]);
        assert_eq!(client_ip(peer, &headers, &trusted), ip("203.0.113.7"));
        // IPv6 clients, and IPv4-mapped peers.
        let headers = forwarded(&["2001:db8::5"]);
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &headers, &trusted),
            ip("2001:db8::5")
        );
        // Nothing forwarded: the peer.
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        // Every hop trusted: the leftmost.
        let headers = forwarded(&["10.1.1.1, 10.0.0.9"]);
        assert_eq!(client_ip(peer, &headers, &trusted), ip("10.1.1.1"));
        // Entries left of the client are never read.
        let headers = forwarded(&["garbage, 203.0.113.7"]);
        assert_eq!(client_ip(peer, &headers, &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn malformed_entries_fall_back_to_the_peer() {
        let trusted = cidrs("10.0.0.0/8");
        let peer = ip("10.0.0.2");
        for value in [
            "203.0.113.7:4711",
            "unknown",
            "203.0.113.7, ",
            "[2001:db8::1]",
            "203.0.113.7 10.0.0.3",
        ] {
            assert_eq!(client_ip(peer, &forwarded(&[value]), &trusted), peer, "{value}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"203.0.113.\xff").unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(client_ip(peer, &headers, &trusted), peer);
    }
}
