"""Basic auth from Python's xmlrpc.client: credentials in the URL work, wrong or missing ones
get HTTP 401.    python3 auth.py PORT USER PASSWORD"""
import sys
from xmlrpc.client import ProtocolError, ServerProxy

port, user, pw = sys.argv[1:4]
ok = ServerProxy("http://%s:%s@127.0.0.1:%s" % (user, pw, port))
assert ok.calls() == 3, "authenticated call"
for url in ("http://127.0.0.1:%s" % port,
            "http://%s:wrong@127.0.0.1:%s" % (user, port),
            "http://nobody:%s@127.0.0.1:%s" % (pw, port)):
    try:
        ServerProxy(url).calls()
    except ProtocolError as e:
        assert e.errcode == 401, (url, e.errcode)
    else:
        raise AssertionError("no 401 for " + url.replace(pw, "***"))
print("auth ok")
