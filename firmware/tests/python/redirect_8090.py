# Runs one of the seed's scripts unchanged against a test server: the scripts hard-code
# http://127.0.0.1:8090, and tests must not take a fixed port on a shared machine, so this
# wrapper points ServerProxy at $DSMBOX_XMLRPC_PORT before running the script.
#   python3 redirect_8090.py SCRIPT [ARGS...]
import os
import runpy
import sys
import xmlrpc.client

port = os.environ["DSMBOX_XMLRPC_PORT"]
_init = xmlrpc.client.ServerProxy.__init__


def _redirected(self, uri, *args, **kwargs):
    for host in ("127.0.0.1:8090", "localhost:8090"):
        uri = uri.replace(host, "127.0.0.1:" + port)
    _init(self, uri, *args, **kwargs)


xmlrpc.client.ServerProxy.__init__ = _redirected
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
