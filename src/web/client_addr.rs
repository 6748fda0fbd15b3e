//! The client's IP address, for throttling and records: the TCP peer, or, when the peer is one
//! of `trusted_proxies`, the address that proxy reports in `X-Forwarded-For`.
//!
//! Each proxy appends the address it got the request from to the header, so only the entries
//! the trusted proxies added can be believed: the header is walked from the right, past the
//! entries that are themselves trusted proxies, and the first other one is the client. Entries
//! further left are whatever the client sent and are never read.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::TrustedProxies;
use crate::state::AppState;

pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address of this request (see the module doc); IPv4 peers on a dual-stack
/// socket come out as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// From a request's parts, for middleware; `None` when the server was started without
    /// connection info (`into_make_service_with_connect_info`).
    pub fn from_parts(parts: &Parts, trusted: &TrustedProxies) -> Option<ClientAddr> {
        let ConnectInfo(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
        Some(ClientAddr(client_ip(peer.ip(), &parts.headers, trusted)))
    }
}

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        ClientAddr::from_parts(parts, &state.config.trusted_proxies).ok_or_else(|| {
            tracing::error!("no peer address: the server must serve with connect info");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server cannot tell where this request came from.",
            )
                .into_response()
        })
    }
}

/// The client's address given the TCP peer and the headers (see the module doc). A header
/// that cannot be read (an entry that is no address) counts as absent: the peer is the client.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    // Several header lines form one list, in order (RFC 9110 §5.3).
    let mut lines = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        match value.to_str() {
            Ok(line) => lines.push(line),
            Err(_) => return peer,
        }
    }
    let mut nearest = peer;
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        let Some(ip) = parse_entry(entry) else {
            return peer;
        };
        if !trusted.contains(ip) {
            return ip;
        }
        nearest = ip;
    }
    // Every hop was a trusted proxy: the one furthest out is the client.
    nearest
}

/// `1.2.3.4`, `2001:db8::1`, and the forms with a port some proxies write (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`, `[2001:db8::1]`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse::<IpAddr>().ok())
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(l).unwrap());
        }
        h
    }

    fn trusted(s: &str) -> TrustedProxies {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted("")),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("198.51.100.1"), &h, &trusted("10.0.0.0/8")),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let t = trusted("10.0.0.0/8, 192.168.1.1");
        // The client forged the two left entries; the proxy chain appended the real one and
        // its own inner hop.
        let h = headers(&["1.1.1.1, 2.2.2.2, 203.0.113.9, 10.1.2.3"]);
        assert_eq!(client_ip(ip("192.168.1.1"), &h, &t), ip("203.0.113.9"));
        // The same list over several header lines.
        let h = headers(&["1.1.1.1, 2.2.2.2", "203.0.113.9", "10.1.2.3"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &t), ip("203.0.113.9"));
        // Garbage to the left of the client's entry is never read.
        let h = headers(&["not an address, 203.0.113.9"]);
        assert_eq!(client_ip(ip("10.0.0.5"), &h, &t), ip("203.0.113.9"));
    }

    #[test]
    fn ports_brackets_ipv6_and_mapped_addresses() {
        let t = trusted("10.0.0.0/8, fd00::/8");
        let peer = ip("::ffff:10.0.0.1");
        assert_eq!(
            client_ip(peer, &headers(&["203.0.113.9:5123"]), &t),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(peer, &headers(&["[2001:db8::7]:443, fd00::1"]), &t),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip(peer, &headers(&["[2001:db8::8]"]), &t),
            ip("2001:db8::8")
        );
        assert_eq!(
            client_ip(peer, &headers(&["::ffff:203.0.113.9"]), &t),
            ip("203.0.113.9")
        );
        // A peer seen as IPv4-mapped IPv6 comes out as IPv4 when it is the client.
        assert_eq!(
            client_ip(ip("::ffff:198.51.100.1"), &headers(&[]), &t),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_missing_or_malformed_header_falls_back_to_the_peer() {
        let t = trusted("10.0.0.0/8");
        let peer = ip("10.0.0.1");
        assert_eq!(client_ip(peer, &headers(&[]), &t), peer);
        for bad in [
            "",
            "unknown",
            "203.0.113.9,",
            "203.0.113.9, ,10.0.0.2",
            "300.1.1.1",
        ] {
            assert_eq!(client_ip(peer, &headers(&[bad]), &t), peer, "{bad:?}");
        }
        let mut h = HeaderMap::new();
        h.append(
            X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.\xff").unwrap(),
        );
        assert_eq!(client_ip(peer, &h, &t), peer, "not text");
    }

    #[test]
    fn when_every_hop_is_trusted_the_outermost_is_the_client() {
        let t = trusted("10.0.0.0/8");
        let h = headers(&["10.9.9.9, 10.0.0.2"]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &t), ip("10.9.9.9"));
    }
}
