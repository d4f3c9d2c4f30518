//! Digest authentication for requests we send (RFC 3261 §22, RFC 2617, RFC 7616).
//!
//! A 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) is answered by re-sending the request
//! with an Authorization / Proxy-Authorization header. Algorithms: MD5, MD5-sess, SHA-256,
//! SHA-256-sess; when a server offers several challenges we take the strongest (RFC 7616
//! §3.7). qop `auth` is preferred, `auth-int` is supported, and no qop (RFC 2069 style) still
//! works. The nonce count increases each time the same nonce is used again; the cnonce comes
//! from the endpoint's seeded generator.

use md5::Md5;
use nom::{Parser, bytes::complete::take_while1, character::complete::char};
use sha2::{Digest as _, Sha256};

use crate::msg::grammar::{lws, quoted_string, token};

/// Credentials the layer above gives per call (`b_leg_auth_user`/`b_leg_auth_pwd` in DSM's
/// dial-out) or per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Authentication user name (may differ from the From user).
    pub username: String,
    /// Password.
    pub password: String,
    /// Only answer challenges for this realm; `None` answers any realm.
    pub realm: Option<String>,
}

impl Credentials {
    /// Credentials valid for any realm.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
            realm: None,
        }
    }
}

/// A digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// MD5 (RFC 2617).
    Md5,
    /// MD5-sess.
    Md5Sess,
    /// SHA-256 (RFC 7616).
    Sha256,
    /// SHA-256-sess.
    Sha256Sess,
}

impl Algorithm {
    fn parse(s: &str) -> Option<Algorithm> {
        match s.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "MD5-SESS" => Some(Algorithm::Md5Sess),
            "SHA-256" => Some(Algorithm::Sha256),
            "SHA-256-SESS" => Some(Algorithm::Sha256Sess),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn strength(self) -> u8 {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
        }
    }

    fn sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    fn hash(self, data: &str) -> String {
        self.hash_bytes(data.as_bytes())
    }

    fn hash_bytes(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data)),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Quality of protection chosen for a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop {
    /// `auth`.
    Auth,
    /// `auth-int` (the body is hashed too).
    AuthInt,
}

/// A parsed Digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// realm
    pub realm: String,
    /// nonce
    pub nonce: String,
    /// opaque, echoed back
    pub opaque: Option<String>,
    /// algorithm (MD5 when absent)
    pub algorithm: Algorithm,
    /// The qop we will use, if the server offered one we support.
    pub qop: Option<Qop>,
    /// `stale=true`: the nonce expired but our credentials were right (retry, RFC 2617 §3.2.1).
    pub stale: bool,
}

fn auth_value(i: &str) -> nom::IResult<&str, String> {
    if i.starts_with('"') {
        quoted_string(i)
    } else {
        take_while1(|c: char| !matches!(c, ',' | ' ' | '\t'))
            .map(str::to_owned)
            .parse(i)
    }
}

/// Parses `Digest k=v, k="v", …`. Other schemes and unsupported algorithms give `None`.
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    // The scheme is case-insensitive and followed by LWS.
    let t = value.trim_start();
    let mut i = t
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("digest"))
        .map(|_| &t[6..])
        .filter(|rest| rest.starts_with([' ', '\t']))?;
    let mut realm = None;
    let mut nonce = None;
    let mut opaque = None;
    let mut algorithm = Algorithm::Md5;
    let mut qops: Vec<String> = Vec::new();
    let mut stale = false;
    loop {
        let (r, _) = lws(i).ok()?;
        if r.is_empty() {
            break;
        }
        let (r, name) = token(r).ok()?;
        let (r, _) = (lws, char('='), lws).parse(r).ok()?;
        let (r, value) = auth_value(r).ok()?;
        match name.to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value),
            "nonce" => nonce = Some(value),
            "opaque" => opaque = Some(value),
            "algorithm" => algorithm = Algorithm::parse(&value)?,
            "qop" => {
                qops = value
                    .split(',')
                    .map(|q| q.trim().to_ascii_lowercase())
                    .collect()
            }
            "stale" => stale = value.eq_ignore_ascii_case("true"),
            _ => {}
        }
        let (r, _) = lws(r).ok()?;
        i = match r.strip_prefix(',') {
            Some(rest) => rest,
            None if r.is_empty() => r,
            None => return None,
        };
    }
    let qop = if qops.iter().any(|q| q == "auth") {
        Some(Qop::Auth)
    } else if qops.iter().any(|q| q == "auth-int") {
        Some(Qop::AuthInt)
    } else if qops.is_empty() {
        None
    } else {
        return None;
    };
    Some(Challenge {
        realm: realm?,
        nonce: nonce?,
        opaque,
        algorithm,
        qop,
        stale,
    })
}

/// The strongest supported challenge among several header values (RFC 7616 §3.7).
pub fn choose_challenge<'a>(values: impl Iterator<Item = &'a str>) -> Option<Challenge> {
    values
        .filter_map(parse_challenge)
        .max_by_key(|c| c.algorithm.strength())
}

/// Inputs for one Authorization value.
#[derive(Debug, Clone)]
pub struct DigestInput<'a> {
    /// The request method.
    pub method: &'a str,
    /// The Request-URI as sent.
    pub uri: &'a str,
    /// The body (for auth-int).
    pub body: &'a [u8],
    /// Nonce count (1 for the first use of a nonce).
    pub nc: u32,
    /// Client nonce.
    pub cnonce: &'a str,
}

/// The `response` digest (RFC 2617 §3.2.2, RFC 7616 §3.4.1).
pub fn response_digest(ch: &Challenge, creds: &Credentials, input: &DigestInput<'_>) -> String {
    let alg = ch.algorithm;
    let mut ha1 = alg.hash(&format!(
        "{}:{}:{}",
        creds.username, ch.realm, creds.password
    ));
    if alg.sess() {
        ha1 = alg.hash(&format!("{ha1}:{}:{}", ch.nonce, input.cnonce));
    }
    let ha2 = match ch.qop {
        Some(Qop::AuthInt) => alg.hash(&format!(
            "{}:{}:{}",
            input.method,
            input.uri,
            alg.hash_bytes(input.body)
        )),
        _ => alg.hash(&format!("{}:{}", input.method, input.uri)),
    };
    match ch.qop {
        Some(q) => alg.hash(&format!(
            "{ha1}:{}:{:08x}:{}:{}:{ha2}",
            ch.nonce,
            input.nc,
            input.cnonce,
            if q == Qop::Auth { "auth" } else { "auth-int" }
        )),
        None => alg.hash(&format!("{ha1}:{}:{ha2}", ch.nonce)),
    }
}

fn quote(s: &str) -> String {
    crate::msg::grammar::quote(s)
}

/// The Authorization / Proxy-Authorization header value.
pub fn authorization(ch: &Challenge, creds: &Credentials, input: &DigestInput<'_>) -> String {
    let response = response_digest(ch, creds, input);
    let mut v = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{response}\", algorithm={}",
        quote(&creds.username),
        quote(&ch.realm),
        quote(&ch.nonce),
        quote(input.uri),
        ch.algorithm.as_str()
    );
    if let Some(q) = ch.qop {
        v.push_str(&format!(
            ", cnonce={}, qop={}, nc={:08x}",
            quote(input.cnonce),
            if q == Qop::Auth { "auth" } else { "auth-int" },
            input.nc
        ));
    }
    if let Some(o) = &ch.opaque {
        v.push_str(&format!(", opaque={}", quote(o)));
    }
    v
}

/// Per-request authentication state: the challenge being answered and its nonce count.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthState {
    /// Challenges answered for the current request.
    pub(crate) attempts: u32,
    /// The last challenge and its header (true for Proxy-Authorization).
    pub(crate) current: Option<(Challenge, bool)>,
    /// Nonce count for `current`.
    pub(crate) nc: u32,
}

impl AuthState {
    /// Takes a 401/407 and decides whether to retry: returns the header name and value to
    /// add, or `None` when we should give up.
    pub(crate) fn answer(
        &mut self,
        response: &crate::msg::Response,
        creds: Option<&Credentials>,
        method: &str,
        uri: &str,
        body: &[u8],
        rng: &mut crate::rng::Rng,
    ) -> Option<(crate::msg::HeaderName, String)> {
        use crate::msg::HeaderName;
        let creds = creds?;
        let proxy = response.status.code() == 407;
        let header = if proxy {
            HeaderName::ProxyAuthenticate
        } else {
            HeaderName::WwwAuthenticate
        };
        let challenge = choose_challenge(response.headers.get_all(&header))?;
        if creds.realm.as_ref().is_some_and(|r| *r != challenge.realm) {
            return None;
        }
        // The same realm challenging again means the credentials are wrong, unless the
        // server only says the nonce was stale. A proxy (407) and then the UAS (401) may
        // each challenge once.
        let same_as_before = self
            .current
            .as_ref()
            .is_some_and(|(c, p)| *p == proxy && c.realm == challenge.realm);
        if (same_as_before && !challenge.stale) || self.attempts >= 4 {
            return None;
        }
        self.attempts += 1;
        self.nc = if self
            .current
            .as_ref()
            .is_some_and(|(c, _)| c.nonce == challenge.nonce)
        {
            self.nc + 1
        } else {
            1
        };
        let cnonce = rng.token(16);
        let value = authorization(
            &challenge,
            creds,
            &DigestInput {
                method,
                uri,
                body,
                nc: self.nc,
                cnonce: &cnonce,
            },
        );
        self.current = Some((challenge, proxy));
        Some((
            if proxy {
                HeaderName::ProxyAuthorization
            } else {
                HeaderName::Authorization
            },
            value,
        ))
    }

    /// A new request (not a retry of the challenged one): start over.
    pub(crate) fn new_request(&mut self) {
        *self = AuthState::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mufasa(password: &str) -> Credentials {
        Credentials::new("Mufasa", password)
    }

    #[test]
    fn rfc2617_example() {
        let ch = parse_challenge(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        assert_eq!(ch.qop, Some(Qop::Auth));
        let input = DigestInput {
            method: "GET",
            uri: "/dir/index.html",
            body: b"",
            nc: 1,
            cnonce: "0a4f113b",
        };
        assert_eq!(
            response_digest(&ch, &mufasa("Circle Of Life"), &input),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn rfc7616(alg: &str) -> String {
        let ch = parse_challenge(&format!(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={alg}, nonce="{RFC7616_NONCE}", opaque="FQlDNcpmnsoLyBD1Q73ZPPcJWiIXhGQEgBsXv3BLSLX7Es2aHXEWKtU5mfSwETvnt1iuUQkUM2JwCmSi8J8O7XsnqdOSqMuGkdcUXSLMmCvbS7uRsPtsIJyPQJV9uYbWB2pOAhaYJOaX9X4H2gG7qLgyR10CZ2FH5S9gtQnJfTNRDbxc92SbdVg6NhKmAJlNKDwfgWbZv2uvH6hKfATDI2Hc5dJlBtH1fz4ayu9ZbDYo""#
        ))
        .unwrap();
        response_digest(
            &ch,
            &mufasa("Circle of Life"),
            &DigestInput {
                method: "GET",
                uri: "/dir/index.html",
                body: b"",
                nc: 1,
                cnonce: RFC7616_CNONCE,
            },
        )
    }

    #[test]
    fn rfc7616_md5_example() {
        assert_eq!(rfc7616("MD5"), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn rfc7616_sha256_example() {
        assert_eq!(
            rfc7616("SHA-256"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn strongest_challenge_wins_and_unknown_algorithms_are_skipped() {
        let md5 = r#"Digest realm="r", nonce="n1", algorithm=MD5, qop="auth""#;
        let sha = r#"Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth""#;
        let odd = r#"Digest realm="r", nonce="n3", algorithm=SHA-512-256, qop="auth""#;
        let c = choose_challenge([md5, odd, sha].into_iter()).unwrap();
        assert_eq!(c.algorithm, Algorithm::Sha256);
        assert!(parse_challenge(odd).is_none());
        assert!(parse_challenge(r#"Basic realm="r""#).is_none());
        assert!(parse_challenge("NoOneKnowsThisScheme opaque-data=here").is_none());
    }

    #[test]
    fn challenge_parsing_is_liberal_about_case_and_spacing() {
        let c =
            parse_challenge(r#"digest  realm = "a,b" ,nonce=abc,stale=TRUE,algorithm=md5-sess"#)
                .unwrap();
        assert_eq!(c.realm, "a,b");
        assert_eq!(c.nonce, "abc");
        assert!(c.stale);
        assert_eq!(c.algorithm, Algorithm::Md5Sess);
        assert_eq!(c.qop, None);
        assert!(parse_challenge(r#"Digest realm="r""#).is_none(), "no nonce");
        assert!(parse_challenge(r#"Digest realm="r", nonce="n", qop="auth-conf""#).is_none());
    }

    #[test]
    fn authorization_header_shape() {
        let c =
            parse_challenge(r#"Digest realm="sip.example", nonce="xyz", opaque="o", qop="auth""#)
                .unwrap();
        let v = authorization(
            &c,
            &Credentials::new("alice", "secret"),
            &DigestInput {
                method: "REGISTER",
                uri: "sip:sip.example",
                body: b"",
                nc: 2,
                cnonce: "cn",
            },
        );
        assert!(v.starts_with(r#"Digest username="alice", realm="sip.example", nonce="xyz", uri="sip:sip.example", response=""#));
        assert!(v.ends_with(r#", algorithm=MD5, cnonce="cn", qop=auth, nc=00000002, opaque="o""#));
    }
}
