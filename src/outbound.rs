//! The one way out to hosts that people (not the admin) choose — webhook receivers, AI base
//! URLs, Mastodon instances — and the checks on what comes back from any host outside.
//!
//! Server-side request forgery: such a URL must be http(s) with a host, and every address
//! that host resolves to must be public (loopback, private, link-local where cloud metadata
//! lives, CGNAT, … are refused). The client then connects to exactly the vetted addresses
//! (`resolve_to_addrs`), so a DNS answer that changes in between cannot move it, with no proxy
//! (a proxy would resolve the name itself) and no redirects (the target would go unchecked).
//! IPv4 in any spelling (`2130706433`, `0x7f.1`, `0177.0.0.1`) is normalised by the URL parser
//! before the check sees it. An admin can allow private addresses per feature (a closed
//! network, a model server on the same machine).
//!
//! Answers are read chunk by chunk up to a byte cap, so a hostile server streaming gigabytes
//! costs us a clear error, not memory.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

const DNS_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest URL we take from outside (a post link, an avatar).
pub const MAX_URL_LEN: usize = 2048;

pub const LOOPBACK: &str = "points at this server itself";
pub const PRIVATE: &str = "points into a private network";
pub const LINK_LOCAL: &str = "is a link-local address (where cloud metadata services live)";
pub const CGNAT: &str = "is in the carrier-grade NAT range";
pub const NOT_UNICAST: &str = "is not a public unicast address";
pub const RESERVED: &str = "is a reserved address";

/// Why `ip` may not be reached, in words that finish "That address …"; `None` for a public
/// unicast address. Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are
/// judged by that address.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some(LOOPBACK)
    } else if ip.is_private() {
        Some(PRIVATE)
    } else if ip.is_link_local() {
        Some(LINK_LOCAL)
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some(CGNAT)
    } else if o[0] == 0 || ip.is_broadcast() || ip.is_multicast() || o[0] >= 240 {
        Some(NOT_UNICAST)
    } else if (o[0], o[1], o[2]) == (192, 0, 0) || (o[0] == 198 && (o[1] & 0xfe) == 18) || ip.is_documentation() {
        // IETF protocol assignments, benchmarking, documentation: never a real server.
        Some(RESERVED)
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if ip.is_loopback() {
        Some(LOOPBACK)
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some(NOT_UNICAST)
    } else if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfec0 {
        // Unique local fc00::/7, and the deprecated site-local fec0::/10.
        Some(PRIVATE)
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Some(LINK_LOCAL)
    } else if s[..6] == [0; 6] {
        // Deprecated IPv4-compatible ::a.b.c.d.
        Some(RESERVED)
    } else if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        // NAT64: the gateway would connect to the embedded IPv4 address.
        v4_reason(embedded(s[6], s[7]))
    } else if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        Some(PRIVATE)
    } else if s[0] == 0x2002 {
        // 6to4 tunnels to the embedded IPv4 address.
        v4_reason(embedded(s[1], s[2]))
    } else if (s[0] == 0x2001 && (s[1] == 0 || s[1] == 0xdb8)) || (s[0] == 0x100 && s[1..4] == [0; 3]) {
        // Teredo (its IPv4 target cannot be checked), documentation, discard.
        Some(RESERVED)
    } else {
        None
    }
}

/// What is wrong with a URL's shape; each caller words it for its own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    NotHttp,
    Credentials,
    NoHost,
}

/// http(s), a host, no user name or password (they would travel to whoever is there).
pub fn check_url(u: &url::Url) -> Result<(), UrlProblem> {
    if !matches!(u.scheme(), "https" | "http") {
        return Err(UrlProblem::NotHttp);
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    if u.host().is_none() {
        return Err(UrlProblem::NoHost);
    }
    Ok(())
}

/// Why a URL may not be reached. `Display` is one sentence a person can act on; callers add
/// what the rule is for ("Webhooks can only go to public addresses.").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Url(UrlProblem),
    /// The name did not resolve (or not in time).
    UnknownHost(String),
    /// One of its addresses is not public; `host` is `None` for an IP literal.
    Blocked {
        host: Option<String>,
        ip: IpAddr,
        reason: &'static str,
    },
    /// The client could not be built (TLS setup); not the person's doing.
    Client(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(UrlProblem::NotHttp) => f.write_str("Use a web address that starts with https:// (or http://)."),
            Self::Url(UrlProblem::Credentials) => f.write_str("Leave the user name and password out of the URL."),
            Self::Url(UrlProblem::NoHost) => f.write_str("The URL needs a host name, like https://example.com."),
            Self::UnknownHost(h) => write!(f, "We could not find the host {h}. Check the URL for typos."),
            Self::Blocked { host: Some(h), ip, reason } => write!(f, "{h} resolves to an address that {reason} ({ip})."),
            Self::Blocked { host: None, ip, reason } => write!(f, "That address {reason} ({ip})."),
            Self::Client(e) => write!(f, "Could not prepare the request: {e}"),
        }
    }
}

impl std::error::Error for Refused {}

/// The addresses `u` resolves to, each checked unless `allow_private`. Any non-public one
/// refuses the whole URL: a name with one private address among public ones still reaches
/// inside.
pub async fn vet(u: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, Refused> {
    check_url(u).map_err(Refused::Url)?;
    let port = u.port_or_known_default().unwrap_or(443);
    let (name, addrs) = match u.host() {
        Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(ip.into(), port)]),
        Some(url::Host::Domain(d)) => {
            let not_found = || Refused::UnknownHost(d.to_string());
            let found = tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((d, port))).await.map_err(|_| not_found())?;
            let addrs: Vec<SocketAddr> = found.map_err(|_| not_found())?.collect();
            if addrs.is_empty() {
                return Err(not_found());
            }
            (Some(d.to_string()), addrs)
        }
        None => return Err(Refused::Url(UrlProblem::NoHost)),
    };
    if !allow_private {
        for a in &addrs {
            if let Some(reason) = blocked_reason(a.ip()) {
                return Err(Refused::Blocked { host: name, ip: a.ip(), reason });
            }
        }
    }
    Ok(addrs)
}

/// A client for `u`'s host only, connecting to `addrs` (from `vet`; TLS still checks the
/// name), with no proxy and no redirects.
pub fn pinned_client(u: &url::Url, addrs: &[SocketAddr], timeout: Duration, user_agent: &str) -> Result<reqwest::Client, Refused> {
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(user_agent);
    if let Some(url::Host::Domain(d)) = u.host() {
        b = b.resolve_to_addrs(d, addrs);
    }
    b.build().map_err(|e| Refused::Client(e.to_string()))
}

/// `vet` and `pinned_client` in one: the guarded client for a request to `u`. Build one per
/// request (or per host and moment): the pin is only as fresh as the lookup.
pub async fn client_for(u: &url::Url, allow_private: bool, timeout: Duration, user_agent: &str) -> Result<reqwest::Client, Refused> {
    let addrs = vet(u, allow_private).await?;
    pinned_client(u, &addrs, timeout, user_agent)
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The answer was larger than `limit` bytes; the rest was never read.
    #[error("the answer was larger than {}", mb(*limit))]
    TooLarge { limit: usize },
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

/// "2 MB", "512 KB": limits in messages.
pub fn mb(limit: usize) -> String {
    if limit >= 1 << 20 {
        format!("{} MB", limit >> 20)
    } else {
        format!("{} KB", limit >> 10)
    }
}

/// The whole body, refused as soon as it passes `limit` bytes (a declared length over the
/// limit is refused before reading anything).
pub async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge { limit });
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `read_capped` as text (invalid UTF-8 replaced).
pub async fn text_capped(resp: reqwest::Response, limit: usize) -> Result<String, ReadError> {
    let bytes = read_capped(resp, limit).await?;
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// At most the first `n` bytes of the body (for an error snippet); the rest is never read.
pub async fn read_head(resp: &mut reqwest::Response, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < n {
        match resp.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk),
            _ => break,
        }
    }
    out.truncate(n);
    out
}

/// A link that came from outside (a post URL, a profile page, an avatar) if it is safe to
/// store and render as `href`/`src`: http(s) with a host, no whitespace or control
/// characters, at most `MAX_URL_LEN`. Anything else (`javascript:`, `data:`, …) is `None`.
pub fn web_url(raw: Option<&str>) -> Option<String> {
    let s = raw?.trim();
    if s.is_empty() || s.len() > MAX_URL_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let u = url::Url::parse(s).ok()?;
    (matches!(u.scheme(), "https" | "http") && u.host().is_some()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        blocked_reason(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_blocked() {
        for (ip, why) in [
            ("127.0.0.1", LOOPBACK),
            ("127.8.9.10", LOOPBACK),
            ("10.0.0.5", PRIVATE),
            ("172.16.0.1", PRIVATE),
            ("172.31.255.255", PRIVATE),
            ("192.168.1.1", PRIVATE),
            ("169.254.169.254", LINK_LOCAL),
            ("100.64.0.1", CGNAT),
            ("100.127.255.254", CGNAT),
            ("0.0.0.0", NOT_UNICAST),
            ("255.255.255.255", NOT_UNICAST),
            ("224.0.0.1", NOT_UNICAST),
            ("240.0.0.1", NOT_UNICAST),
            ("192.0.2.10", RESERVED),
            ("198.18.0.1", RESERVED),
            ("::1", LOOPBACK),
            ("::", NOT_UNICAST),
            ("fc00::1", PRIVATE),
            ("fd12:3456::1", PRIVATE),
            ("fe80::1", LINK_LOCAL),
            ("febf::1", LINK_LOCAL),
            ("ff02::1", NOT_UNICAST),
            ("::ffff:127.0.0.1", LOOPBACK),
            ("::ffff:10.0.0.5", PRIVATE),
            ("::ffff:169.254.169.254", LINK_LOCAL),
            ("64:ff9b::a00:5", PRIVATE),
            ("2002:7f00:1::", LOOPBACK),
            ("2001:db8::1", RESERVED),
            ("::10.0.0.5", RESERVED),
        ] {
            assert_eq!(reason(ip), Some(why), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in
            ["1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "169.255.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
        {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[tokio::test]
    async fn every_spelling_of_an_internal_address_is_refused() {
        for (raw, ip) in [
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
            ("http://[::1]:8080/", "::1"),
            ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
            ("http://10.1.2.3/", "10.1.2.3"),
            ("http://0.0.0.0/", "0.0.0.0"),
            ("http://2130706433/", "127.0.0.1"),
            ("http://0x7f.0.0.1/", "127.0.0.1"),
            ("http://0x7f000001/", "127.0.0.1"),
            ("http://0177.0.0.1/", "127.0.0.1"),
            ("http://017700000001/", "127.0.0.1"),
            ("https://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"),
            ("http://localhost:9/", "127.0.0.1"),
        ] {
            let u = url::Url::parse(raw).unwrap();
            match vet(&u, false).await {
                Err(Refused::Blocked { ip: got, .. }) => assert_eq!(got.to_string(), ip, "{raw}"),
                other => panic!("{raw} must be refused, got {other:?}"),
            }
        }
        let e = vet(&url::Url::parse("http://localhost:9/").unwrap(), false).await.unwrap_err();
        assert_eq!(e.to_string(), "localhost resolves to an address that points at this server itself (127.0.0.1).");
        // The admin's opt-in lets them through, still pinned to what was resolved.
        let addrs = vet(&url::Url::parse("http://localhost:9/").unwrap(), true).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9), "{addrs:?}");
    }

    #[tokio::test]
    async fn only_web_urls_without_credentials_are_reached() {
        for (raw, problem) in [
            ("ftp://example.com/x", UrlProblem::NotHttp),
            ("file:///etc/passwd", UrlProblem::NotHttp),
            ("gopher://127.0.0.1:6379/_INFO", UrlProblem::NotHttp),
            ("https://user:pw@example.com/", UrlProblem::Credentials),
        ] {
            assert_eq!(vet(&url::Url::parse(raw).unwrap(), true).await.unwrap_err(), Refused::Url(problem), "{raw}");
        }
    }

    #[test]
    fn links_from_outside_keep_only_http_and_https() {
        assert_eq!(web_url(Some(" https://files.example/a.png ")).as_deref(), Some("https://files.example/a.png"));
        assert_eq!(web_url(Some("http://x.example/@ada/1")).as_deref(), Some("http://x.example/@ada/1"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "/relative/path",
            "https://",
            "https://ok.example/\nx",
            "",
        ] {
            assert_eq!(web_url(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(web_url(Some(&format!("https://a.example/{}", "x".repeat(MAX_URL_LEN)))), None, "too long");
        assert_eq!(web_url(None), None);
    }

    /// A server that declares nothing and streams `total` bytes.
    async fn streaming_server(total: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n").await;
                    let chunk = vec![b'a'; 64 * 1024];
                    let mut sent = 0;
                    while sent < total {
                        if s.write_all(&chunk).await.is_err() {
                            return;
                        }
                        sent += chunk.len();
                    }
                });
            }
        });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn a_fifty_megabyte_answer_stops_at_the_cap() {
        let url = url::Url::parse(&streaming_server(50 << 20).await).unwrap();
        let client = client_for(&url, true, Duration::from_secs(10), "test").await.unwrap();
        let resp = client.get(url.clone()).send().await.unwrap();
        let e = read_capped(resp, 2 << 20).await.unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit } if limit == 2 << 20), "{e:?}");
        assert_eq!(e.to_string(), "the answer was larger than 2 MB");
        // Within the cap it reads the whole body.
        let small = url::Url::parse(&streaming_server(128 * 1024).await).unwrap();
        let resp = client_for(&small, true, Duration::from_secs(10), "test").await.unwrap().get(small).send().await.unwrap();
        assert_eq!(read_capped(resp, 2 << 20).await.unwrap().len(), 128 * 1024);
    }
}
