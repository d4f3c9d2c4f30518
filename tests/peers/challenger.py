#!/usr/bin/env python3
"""A small SIP registrar and callee that demands digest authentication (RFC 2617/7616), for
dsmbox's end-to-end tests. pjsua2 cannot be told to challenge incoming requests, so this plays
the trunk provider: it answers REGISTER and INVITE with 401/407 and accepts them only with a
correct digest response.

  challenger.py --port P --user U --password PW [--algorithm MD5|SHA-256] [--expires N]

Events, one JSON object per line on stdout:
  {"ev": "ready"}
  {"ev": "challenge", "method": "REGISTER"}
  {"ev": "register", "user": U, "expires": N, "auth_ok": true, "cnonce": ..., "nc": ...}
  {"ev": "invite", "auth_ok": true, "from": ..., "to": ...}
  {"ev": "bye"}, {"ev": "ack"}, {"ev": "bad_auth", "method": M}
"""
import argparse
import hashlib
import json
import os
import re
import socket
import sys


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def parse(data):
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    start = lines[0]
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return start, headers, body


def get(headers, *names):
    for k, v in headers:
        if k.lower() in [n.lower() for n in names]:
            return v
    return None


def get_all(headers, *names):
    return [v for k, v in headers if k.lower() in [n.lower() for n in names]]


def digest_params(value):
    return dict((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                for m in re.finditer(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]+))', value))


def h(alg, s):
    f = hashlib.sha256 if alg.upper() == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--algorithm", default="MD5")
    ap.add_argument("--expires", type=int, default=60)
    ap.add_argument("--realm", default="dsmbox-test")
    args = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.port))
    nonce = os.urandom(8).hex()
    to_tag = os.urandom(4).hex()
    emit(ev="ready")

    def reply(headers, src, code, reason, extra=(), body=""):
        out = ["SIP/2.0 %d %s" % (code, reason)]
        for v in get_all(headers, "Via", "v"):
            out.append("Via: " + v)
        for name in ("From", "Call-ID", "CSeq"):
            out.append("%s: %s" % (name, get(headers, name, name[0].lower() if name != "CSeq" else "CSeq")))
        to = get(headers, "To", "t")
        if code > 100 and ";tag=" not in to:
            to += ";tag=" + to_tag
        out.append("To: " + to)
        out.extend(extra)
        if body:
            out.append("Content-Type: application/sdp")
        out.append("Content-Length: %d" % len(body.encode()))
        sock.sendto(("\r\n".join(out) + "\r\n\r\n" + body).encode(), src)

    def check(method, auth):
        if not auth or not auth.lower().startswith("digest"):
            return None
        p = digest_params(auth[6:])
        alg = p.get("algorithm", "MD5")
        ha1 = h(alg, "%s:%s:%s" % (p.get("username"), args.realm, args.password))
        ha2 = h(alg, "%s:%s" % (method, p.get("uri")))
        if p.get("qop"):
            expect = h(alg, "%s:%s:%s:%s:%s:%s" % (ha1, p.get("nonce"), p.get("nc"), p.get("cnonce"), p.get("qop"), ha2))
        else:
            expect = h(alg, "%s:%s:%s" % (ha1, p.get("nonce"), ha2))
        ok = (p.get("response") == expect and p.get("username") == args.user
              and p.get("nonce") == nonce and alg.upper() == args.algorithm.upper())
        return ok, p

    challenge = 'Digest realm="%s", nonce="%s", qop="auth", algorithm=%s' % (args.realm, nonce, args.algorithm)
    while True:
        data, src = sock.recvfrom(65535)
        try:
            start, headers, body = parse(data)
        except Exception:
            continue
        if start.startswith("SIP/2.0"):
            continue
        method = start.split(" ")[0]
        if method == "REGISTER":
            res = check("REGISTER", get(headers, "Authorization"))
            if res is None:
                emit(ev="challenge", method="REGISTER")
                reply(headers, src, 401, "Unauthorized", ["WWW-Authenticate: " + challenge])
                continue
            ok, p = res
            if not ok:
                emit(ev="bad_auth", method="REGISTER")
                reply(headers, src, 403, "Forbidden")
                continue
            expires = get(headers, "Expires")
            contact = get(headers, "Contact", "m") or ""
            m = re.search(r"expires=(\d+)", contact)
            asked = int(m.group(1)) if m else int(expires) if expires else 3600
            granted = 0 if asked == 0 else min(asked, args.expires)
            emit(ev="register", user=args.user, expires=granted, auth_ok=True, nc=p.get("nc"), cnonce=p.get("cnonce"))
            extra = ["Contact: %s;expires=%d" % (contact.split(";expires")[0], granted)] if granted else []
            reply(headers, src, 200, "OK", extra)
        elif method == "INVITE":
            res = check("INVITE", get(headers, "Proxy-Authorization"))
            if res is None:
                emit(ev="challenge", method="INVITE")
                reply(headers, src, 407, "Proxy Authentication Required", ["Proxy-Authenticate: " + challenge])
                continue
            ok, _ = res
            if not ok:
                emit(ev="bad_auth", method="INVITE")
                reply(headers, src, 403, "Forbidden")
                continue
            emit(ev="invite", auth_ok=True, **{"from": get(headers, "From", "f"), "to": get(headers, "To", "t")})
            sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                   "m=audio 9 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                   "a=sendrecv\r\n")
            reply(headers, src, 200, "OK", ["Contact: <sip:%s@127.0.0.1:%d>" % (args.user, args.port)], sdp)
        elif method == "ACK":
            emit(ev="ack")
        elif method == "BYE":
            emit(ev="bye")
            reply(headers, src, 200, "OK")
        elif method == "CANCEL":
            reply(headers, src, 200, "OK")
        else:
            reply(headers, src, 200, "OK")


if __name__ == "__main__":
    main()
