//! Plain HTTP beyond this machine: passwords, session cookies and customers' messages cross
//! the network readable by anyone on it. Decided once at start, logged, and shown to admins.

use std::net::SocketAddr;

/// What the admin pages' banner says.
pub const WARNING: &str = "Parley is served over plain HTTP on a network address: passwords \
     and customers' messages can be read by anyone on the network. Put Parley behind a TLS \
     proxy and set public_url to its https:// address.";

/// Whether browsers reach Parley unencrypted from other machines: the public URL is not https
/// and the listener is not on a loopback address (`0.0.0.0` listens on every network).
pub fn plain_http_on_lan(serves_https: bool, bound: SocketAddr) -> bool {
    !serves_https && !bound.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::plain_http_on_lan;

    fn addr(s: &str) -> std::net::SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn only_plain_http_off_loopback_warns() {
        assert!(plain_http_on_lan(false, addr("0.0.0.0:8080")));
        assert!(plain_http_on_lan(false, addr("192.168.1.20:8080")));
        assert!(plain_http_on_lan(false, addr("[::]:8080")));
        assert!(!plain_http_on_lan(false, addr("127.0.0.1:8080")));
        assert!(!plain_http_on_lan(false, addr("[::1]:8080")));
        assert!(!plain_http_on_lan(true, addr("0.0.0.0:8080")));
        assert!(!plain_http_on_lan(true, addr("127.0.0.1:8080")));
    }
}
