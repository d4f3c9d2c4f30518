//! Robustness of the management port's parsers: bad input never panics, loops or grows
//! without bound. Property tests (proptest) plus a seeded mutation loop over real requests
//! as Python's xmlrpc.client sends them, run through the HTTP head parser, the XML-RPC
//! decoder and the method table.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use firmware::management::http::parse_head;
use firmware::management::testing::{quizconnect_host, seed_quizconnect};
use firmware::management::xmlrpc::{
    encode_method_call, encode_response, parse_method_call, parse_method_response,
};
use firmware::management::{Api, DateTime, Monitor, MonitoringConfig, Value};
use proptest::prelude::*;

/// Requests as Python 3.11's xmlrpc.client writes them (captured shapes), plus edge forms.
fn seeds() -> Vec<String> {
    let py = |name: &str, params: &[Value]| {
        let body = encode_method_call(name, params);
        format!(
            "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1:8090\r\nAccept-Encoding: gzip\r\nContent-Type: text/xml\r\nUser-Agent: Python-xmlrpc/3.11\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let mut s = BTreeMap::new();
    s.insert(
        "k".to_string(),
        Value::array([Value::Int(1), Value::from("a<&>")]),
    );
    vec![
        py("calls", &[]),
        py("getAttributeActive", &["dsm_state".into()]),
        py(
            "postDSMEvent",
            &[
                "6ABC60BB".into(),
                Value::array([Value::array(["action".into(), "take".into()])]),
            ],
        ),
        py("loadConfig", &["/usr/local/etc/sems/dsm/quizconnect.conf".into(), "quizconnect".into()]),
        py(
            "set",
            &[
                "id".into(),
                "v".into(),
                Value::Struct(s),
                "b".into(),
                Value::Base64(vec![0, 1, 255]),
                "d".into(),
                Value::DateTime(DateTime::parse("20261128T02:30:45").unwrap()),
                "f".into(),
                Value::Double(-0.5),
                "t".into(),
                Value::Bool(true),
            ],
        ),
        py("di", &["monitoring".into(), "listByRegex".into(), "ruri".into(), "sip:35@.*".into()]),
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>x</methodName>\n<params>\n<param>\n<value><nil/></value></param>\n</params>\n</methodCall>\n".to_string(),
    ]
}

/// xorshift64*: a seeded, reproducible stream for the mutation loop.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"<value>",
    b"</value>",
    b"<array><data>",
    b"</data></array>",
    b"<struct>",
    b"<member>",
    b"<name>",
    b"</name>",
    b"&amp;",
    b"&#x0;",
    b"&#1114112;",
    b"&bogus;",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE a>",
    b"\r\n\r\n",
    b"Content-Length: 99999999999999999999\r\n",
    b"\xff\xfe",
    b"<i8>",
    b"<double>",
    b"<dateTime.iso8601>",
    b"<base64>",
    b"=",
    b"\0",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(2) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if at < v.len() => {
                let end = (at + rng.below(32)).min(v.len());
                v.drain(at..end);
            }
            3 => v.truncate(at),
            4 if at < v.len() => {
                let end = (at + rng.below(64)).min(v.len());
                let chunk: Vec<u8> = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            _ => v.insert(at.min(v.len()), rng.next() as u8),
        }
    }
    v
}

/// Everything a request goes through on the server, minus the socket. Returns whether the
/// input got as far as the method table.
fn exercise(bytes: &[u8], api: &Api, monitor: &Monitor, now: SystemTime) -> bool {
    let body: &[u8] = match parse_head(bytes, 8192) {
        Ok(Some((head, len))) => {
            assert!(len <= bytes.len());
            let want = head.content_length.unwrap_or(0).min(bytes.len() - len);
            &bytes[len..len + want]
        }
        Ok(None) | Err(_) => bytes,
    };
    if let Ok(xml) = std::str::from_utf8(body)
        && let Ok(call) = parse_method_call(xml)
    {
        let mut host = quizconnect_host();
        let result = api.call(&call, &mut host, monitor, now);
        // Whatever comes back must encode and decode again.
        let xml = match &result {
            Ok(v) => encode_response(v),
            Err(f) => firmware::management::xmlrpc::encode_fault(f),
        };
        assert!(parse_method_response(&xml).is_ok(), "{xml}");
        let _ = parse_method_response(&String::from_utf8_lossy(bytes));
        return true;
    }
    let _ = parse_method_response(&String::from_utf8_lossy(bytes));
    false
}

#[test]
fn mutated_python_requests_never_panic() {
    let api = Api::new(true, &["dsm".to_string(), "monitoring".to_string()]);
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let monitor = Monitor::new(MonitoringConfig {
        max_records: 1000,
        ..MonitoringConfig::default()
    });
    seed_quizconnect(&monitor, now);
    let seeds = seeds();
    let mut rng = Rng(0x5EED_0D5B_0C70_0001);
    let iterations = 30_000;
    let mut dispatched = 0;
    for i in 0..iterations {
        let seed = seeds[i % seeds.len()].as_bytes();
        // Half the time mutate only the XML body and keep the head consistent, so that the
        // decoder and the method table see many near-valid calls.
        let input = match seed.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(h) if i % 2 == 0 => {
                let body = mutate(&mut rng, &seed[h + 4..]);
                let mut req = format!(
                    "POST /RPC2 HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                req.extend_from_slice(&body);
                req
            }
            _ => mutate(&mut rng, seed),
        };
        dispatched += usize::from(exercise(&input, &api, &monitor, now));
    }
    eprintln!("{iterations} mutated requests, {dispatched} reached the method table");
    // The mutations must leave many inputs valid enough to reach the deep code paths.
    assert!(dispatched > iterations / 20, "only {dispatched} dispatched");
    assert!(monitor.with(|s| s.len()) <= 1000);
}

fn value_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        any::<String>().prop_map(Value::String),
        any::<f64>()
            .prop_filter("finite", |d| d.is_finite())
            .prop_map(Value::Double),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Base64),
        (0u16..10000, 1u8..13, 1u8..29, 0u8..24, 0u8..60, 0u8..60).prop_map(
            |(year, month, day, hour, minute, second)| Value::DateTime(DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second
            })
        ),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..8).prop_map(Value::Struct),
        ]
    })
}

/// What a value looks like after one trip: characters XML 1.0 cannot carry are U+FFFD.
fn xml_safe(v: &Value) -> Value {
    fn s(x: &str) -> String {
        x.chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => c,
                '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'.. => c,
                _ => '\u{FFFD}',
            })
            .collect()
    }
    match v {
        Value::String(x) => Value::String(s(x)),
        Value::Array(a) => Value::Array(a.iter().map(xml_safe).collect()),
        Value::Struct(m) => Value::Struct(m.iter().map(|(k, v)| (s(k), xml_safe(v))).collect()),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn values_round_trip(v in value_strategy()) {
        let xml = encode_response(&v);
        prop_assert_eq!(parse_method_response(&xml).unwrap(), Ok(xml_safe(&v)));
        let call = parse_method_call(&encode_method_call("m.n", std::slice::from_ref(&v))).unwrap();
        prop_assert_eq!(call.params, vec![xml_safe(&v)]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_head(&bytes, 1024);
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_method_call(&text);
        let _ = parse_method_response(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse_method_call(&text);
        let wrapped = format!("<methodCall><methodName>x</methodName><params><param><value>{text}</value></param></params></methodCall>");
        let _ = parse_method_call(&wrapped);
    }
}
