//! SDP parse + answer of a pjsua2-like offer against a naive split of the body into
//! `(type, value)` lines (the least any SDP reader must do).
//! `cargo bench -p media --bench sdp_answer`

#![allow(clippy::unwrap_used)] // a bench binary: inputs are ours, a panic is a bug report

use std::hint::black_box;
use std::time::Instant;

use media::sdp::{LocalMedia, SdpSession, SessionDescription};

fn measure(mut f: impl FnMut()) -> f64 {
    let iters = 5_000;
    for _ in 0..iters {
        f();
    }
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

const OFFER: &str = "v=0\r\no=- 3912345678 3912345678 IN IP4 192.168.1.20\r\ns=pjmedia\r\n\
b=AS:84\r\nt=0 0\r\na=X-nat:0\r\nm=audio 4000 RTP/AVP 96 97 98 99 3 0 8 9 120 121\r\n\
c=IN IP4 192.168.1.20\r\nb=TIAS:64000\r\na=rtcp:4001 IN IP4 192.168.1.20\r\na=sendrecv\r\n\
a=rtpmap:96 speex/16000\r\na=rtpmap:97 speex/8000\r\na=rtpmap:98 speex/32000\r\n\
a=rtpmap:99 iLBC/8000\r\na=fmtp:99 mode=30\r\na=rtpmap:3 GSM/8000\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\na=rtpmap:120 telephone-event/16000\r\n\
a=fmtp:120 0-16\r\na=rtpmap:121 telephone-event/8000\r\na=fmtp:121 0-16\r\n\
a=ssrc:1045563436 cname:5f2a4b0b4a3e4c6d\r\n";

fn main() {
    let naive = measure(|| {
        let lines: Vec<(&str, &str)> = black_box(OFFER)
            .lines()
            .filter_map(|l| l.split_once('='))
            .collect();
        black_box(lines);
    });
    let parse = measure(|| {
        black_box(SessionDescription::parse_str(black_box(OFFER)).unwrap());
    });
    let local = LocalMedia::new("192.0.2.10".parse().unwrap(), 40000);
    let answer = measure(|| {
        let offer = SessionDescription::parse_str(black_box(OFFER)).unwrap();
        let (answer, _) = SdpSession::new(1).answer(&offer, &local).unwrap();
        black_box(answer.to_string());
    });
    println!("reference (split into lines):      {naive:9.1} ns");
    println!(
        "SessionDescription::parse_str:     {parse:9.1} ns  ratio {:.2}",
        parse / naive
    );
    println!(
        "parse + answer + print the answer: {answer:9.1} ns  ratio {:.2}",
        answer / naive
    );
}
