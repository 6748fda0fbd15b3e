//! `trusted_proxies`: the reverse proxies whose `X-Forwarded-For` Parley believes. Read from a
//! TOML list or, for the environment, one string of entries separated by commas or spaces.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// IP addresses and CIDR ranges; empty (the default) trusts no one, so the client address is
/// always the TCP peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Whether `ip` is one of the proxies. An IPv4 address seen as IPv6 (`::ffff:a.b.c.d`,
    /// from a dual-stack listener) matches its IPv4 entry.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// Entries separated by commas and/or white space: `10.0.0.1, 10.8.0.0/16 fd00::/8`.
    fn from_str(s: &str) -> Result<Self, String> {
        s.split([',', ' ', '\t', '\n'])
            .filter(|e| !e.is_empty())
            .map(parse_entry)
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

/// One address (a host) or one CIDR range; the error names the entry.
fn parse_entry(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    if let Ok(ip) = IpAddr::from_str(entry) {
        return Ok(IpNet::from(ip.to_canonical()));
    }
    IpNet::from_str(entry).map(|net| net.trunc()).map_err(|_| {
        format!(
            "trusted_proxies: {entry:?} is not an IP address or a CIDR range \
             (e.g. 10.0.0.1 or 10.0.0.0/8)"
        )
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrText {
    List(Vec<String>),
    Text(String),
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = match ListOrText::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "trusted_proxies must be a list of IP addresses and CIDR ranges",
            )
        })? {
            ListOrText::List(list) => list
                .iter()
                .map(|e| parse_entry(e))
                .collect::<Result<Vec<_>, _>>()
                .map(TrustedProxies),
            ListOrText::Text(text) => text.parse(),
        };
        entries.map_err(serde::de::Error::custom)
    }
}

impl Serialize for TrustedProxies {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|n| n.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn hosts_and_ranges_match_their_addresses_only() {
        let t: TrustedProxies = "10.0.0.1, 192.168.0.0/16 fd00::/8".parse().unwrap();
        assert!(t.contains(ip("10.0.0.1")));
        assert!(!t.contains(ip("10.0.0.2")));
        assert!(t.contains(ip("192.168.200.7")));
        assert!(!t.contains(ip("192.169.0.1")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("fe80::1")));
        // The IPv4 entry also matches the address as a dual-stack socket reports it.
        assert!(t.contains(ip("::ffff:10.0.0.1")));
        // Host bits in a range are ignored rather than refused.
        let t: TrustedProxies = "10.1.2.3/8".parse().unwrap();
        assert!(t.contains(ip("10.200.0.1")));
    }

    #[test]
    fn a_bad_entry_is_named() {
        for bad in ["10.0.0.300", "10.0.0.0/33", "proxy.local", "10.0.0.1/"] {
            let err = format!("10.0.0.1, {bad}")
                .parse::<TrustedProxies>()
                .unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }
}
