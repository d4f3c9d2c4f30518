"""Calls every method of dsmbox's XML-RPC port (docs/management.md) the way an operator's
Python session does, and checks values *and* types against SEMS's shapes (spec section 8).

    python3 all_methods.py PORT

The server runs with firmware::management::testing::FakeHost set up by
firmware/tests/management_python.rs; the expected values below follow that setup.
Prints one line per failed check and exits 1 if any failed.
"""
import datetime
import sys
import time
import xmlrpc.client
from xmlrpc.client import Binary, DateTime, Fault, ServerProxy

URL = "http://127.0.0.1:%s" % sys.argv[1]
s = ServerProxy(URL)
failures = []
checks = 0

CALLER = "6ABC60BB-4C72F4BF0005C7FD-B6A45B70"
CALLEE1 = "19D97994-4C72F4BF0006A862-B65D5B70"
CALLEE2 = "3EC2A856-4C72F4BF00062B82-B65D5B70"
GONE = "0FA6BCB2-4C72F33D0004E577-B6843B70"
QC_CONF = "/usr/local/etc/sems/dsm/quizconnect.conf"
BROKEN_CONF = "/etc/dsmbox/dsm/broken.conf"
BROKEN_MSG = "/etc/dsmbox/dsm/broken.dsm:12:5: unknown action 'myslq.connect'"


def check(what, got, want):
    global checks
    checks += 1
    # bool is an int in Python: compare types too, so 1 never passes for True.
    if got != want or type(got) is not type(want):
        failures.append("%s: got %r (%s), want %r (%s)"
                        % (what, got, type(got).__name__, want, type(want).__name__))


def fault(what, fn, *args):
    global checks
    checks += 1
    try:
        r = fn(*args)
    except Fault as f:
        return f.faultCode
    failures.append("%s: no fault, returned %r" % (what, r))
    return None


# --- built-ins --------------------------------------------------------------------------
check("calls", s.calls(), 3)
check("get_sessioncount", s.get_sessioncount(), 17)
check("get_callsavg", s.get_callsavg(), 2)
check("get_callsmax", s.get_callsmax(), 5)
check("get_cpsavg", s.get_cpsavg(), 1)
check("get_cpsmax", s.get_cpsmax(), 4)
check("get_cpslimit", s.get_cpslimit(), "10 7")
check("set_cpslimit", s.set_cpslimit(20), "200 OK")
check("get_cpslimit after set", s.get_cpslimit(), "20 7")
check("get_loglevel", s.get_loglevel(), 2)
check("set_loglevel", s.set_loglevel(3), "200 OK")
check("get_loglevel after set", s.get_loglevel(), 3)
check("get_shutdownmode", s.get_shutdownmode(), False)
check("set_shutdownmode", s.set_shutdownmode(True), "200 OK")
check("get_shutdownmode after set", s.get_shutdownmode(), True)
check("set_shutdownmode off", s.set_shutdownmode(False), "200 OK")

# --- dsm, as in the tutorial and Readme.dsm ------------------------------------------------
check("loadConfig (tutorial)", s.loadConfig(QC_CONF, "quizconnect"), [200, "OK"])
check("loadConfig broken", s.loadConfig(BROKEN_CONF, "broken.conf"), [500, BROKEN_MSG])
check("hasDSM main", s.hasDSM("inbound_call"), ["1"])
check("hasDSM missing", s.hasDSM("nope"), ["0"])
check("hasDSM in app", s.hasDSM("quizconnect_callee", "quizconnect_caller"), ["1"])
check("listDSMs", s.listDSMs(), ["inbound_call"])
check("listDSMs app", s.listDSMs("quizconnect_caller"),
      ["quizconnect_callee", "quizconnect_caller"])
check("reloadDSMs", s.reloadDSMs(), [200, "DSMs reloaded"])
check("listDSMs after reload", s.listDSMs(), ["inbound_call", "outbound_call"])
check("loadDSM", s.loadDSM("voicemail"),
      [200, "loaded voicemail from /etc/dsmbox/dsm/voicemail.dsm"])
check("loadDSM again", s.loadDSM("voicemail"),
      [400, "DSM named 'voicemail' already loaded (use reloadDSMs to reload all)"])
check("loadDSMWithPath", s.loadDSMWithPath("pin", "/tmp/dsm/", "/tmp/mods/"),
      [200, "loaded pin from /tmp/dsm/pin.dsm"])
check("loadDSMWithPaths (the name SEMS advertises)",
      s.loadDSMWithPaths("pin", "/tmp/dsm/", "/tmp/mods/")[0], 400)
check("dsm.loadDSMWithPath", s.dsm.loadDSMWithPath("pin2", "/tmp/dsm/", "/tmp/mods/")[0], 200)
check("preloadModules", s.preloadModules(), [200, "modules preloaded"])
check("preloadModule", s.preloadModule("mod_mysql", "/usr/lib/dsmbox/"),
      [200, "module preloaded."])
check("preloadModule bad", s.preloadModule("mod_x", "/p/"),
      [500, "importing module 'mod_x' for preload"])
check("registerApplication", s.registerApplication("voicemail"),
      [200, "registered DSM application"])
check("registerApplication again", s.registerApplication("voicemail"),
      [500, "Error registering DSM application (already registered?)"])
check("registerApplication unknown", s.registerApplication("nope"),
      [400, "unknown application (DSM)"])
check("createSystemDSM", s.createSystemDSM("main", "sys_startup"), [200, "OK"])
check("createSystemDSM unknown", s.createSystemDSM("zz", "x"),
      [500, "Error: Script config 'zz' not found, in [quizco]"])
check("postDSMEvent (Readme example)",
      s.postDSMEvent(CALLER, [["action", "take"], ["roomname", "realworld"]]), [200, "OK"])
check("postDSMEvent unknown", s.postDSMEvent("nope", [["a", "b"]]),
      [404, "Session not found"])
check("dsm.hasDSM", s.dsm.hasDSM("inbound_call"), ["1"])
check("di dsm hasDSM", s.di("dsm", "hasDSM", "inbound_call"), ["1"])
check("di dsm _list has loadDSMWithPath",
      "loadDSMWithPath" in s.di("dsm", "_list"), True)

# --- monitoring ------------------------------------------------------------------------------
check("list", s.list(), [GONE, CALLEE1, CALLEE2, CALLER])
check("listActive", s.listActive(), [CALLEE1, CALLEE2, CALLER])
check("listFinished", s.listFinished(), [GONE])
rec = s.get(CALLER)
check("get shape", (type(rec), len(rec), type(rec[0])), (list, 1, dict))
check("get dsm_state", rec[0]["dsm_state"], "WAIT_CALLEE")
check("get dsm_stategraph", rec[0]["dsm_stategraph"][:2],
      ["quizconnect_caller/START", "> got INVITE in caller leg >"])
check("get from", rec[0]["from"], "'bee' <sip:5@192.168.5.106>")
check("get keys", sorted(rec[0].keys()),
      ["app", "dir", "dsm_diag", "dsm_state", "dsm_stategraph", "from", "ruri", "to"])
check("get unknown", s.get("nope"), [])
check("getSingle", s.getSingle(CALLER, "dir"), ["in"])
check("getSingle missing attr", s.getSingle(CALLER, "nope"), [])
check("getAttribute", s.getAttribute("dsm_state"),
      [[GONE, "END"], [CALLEE1, "ENTER_PIN"], [CALLEE2, "ENTER_PIN"], [CALLER, "WAIT_CALLEE"]])
check("getAttribute missing is 0", s.getAttribute("nope")[0], [GONE, 0])
check("getAttributeActive", s.getAttributeActive("dir"),
      [[CALLEE1, "out"], [CALLEE2, "out"], [CALLER, "in"]])
check("getAttributeFinished", s.getAttributeFinished("dsm_state"), [[GONE, "END"]])
check("listByFilter", s.listByFilter(["app", "quizconnect_callee"]), [CALLEE1, CALLEE2])
check("listByFilter two", s.listByFilter(["app", "quizconnect_callee"], ["ruri", "sip:anna@192.168.5.106:5080"]), [CALLEE2])
check("listByRegex", s.listByRegex("ruri", "sip:35@.*"), [CALLER])
check("listByRegex BRE +", s.listByRegex("dsm_state", "ENTER_PIN+"), [])
check("monitoring.list", s.monitoring.list(), s.list())
check("di monitoring get", s.di("monitoring", "get", CALLER), rec)

# writing, every value type
check("log", s.log("t1", "a", "x", "n", 5), [0, "OK"])
check("set", s.set("t1", "arr", [1, [2, "three"]], "st", {"k": "v", "n": 1}), [0, "OK"])
check("set types", s.set("t1", "b", True, "d", 2.5, "bin", Binary(b"\x00\xff\x10"),
                         "dt", DateTime("20261128T02:30:45"), "u", "Grüße <&> \"q\" 'x' \r\n 日本"), [0, "OK"])
t1 = s.get("t1")[0]
check("get int", t1["n"], 5)
check("get nested array", t1["arr"], [1, [2, "three"]])
check("get struct", t1["st"], {"k": "v", "n": 1})
check("get bool", t1["b"], True)
check("get double", t1["d"], 2.5)
check("get base64", t1["bin"].data, b"\x00\xff\x10")
check("get dateTime", t1["dt"].value, "20261128T02:30:45")
check("get unicode", t1["u"], "Grüße <&> \"q\" 'x' \r\n 日本")
check("add", s.add("t1", "g", "v1"), [0, "OK"])
check("logAdd", s.logAdd("t1", "g", "v2"), [0, "OK"])
check("logAdd on scalar", s.logAdd("t1", "a", "y"), [0, "OK"])
check("add result", s.getSingle("t1", "g"), [["v1", "v2"]])
check("logAdd scalar result", s.getSingle("t1", "a"), [["x", "y"]])
check("inc", s.inc("t1", "c"), [0, "OK"])
s.inc("t1", "c")
check("dec", s.dec("t1", "c"), [0, "OK"])
check("addCount", s.addCount("t1", "c", 10), [0, "OK"])
check("counter", s.getSingle("t1", "c"), [11])
check("markFinished", s.markFinished("t1"), [0, "OK"])
check("t1 finished", "t1" in s.listFinished(), True)
check("setExpiration", s.setExpiration("t2", int(time.time()) + 3600), [0, "OK"])
check("t2 active until then", "t2" in s.listActive(), True)
check("erase one", s.erase("t2"), [0, "OK"])
check("erase left the rest", len(s.list()), 5)
check("clearFinished", s.clearFinished(), [0, "OK"])
check("after clearFinished", s.list(), [CALLEE1, CALLEE2, CALLER])
s.set("e1", "tag", "x")
s.set("e2", "tag", "x")
check("eraseByFilter", s.eraseByFilter(["tag", "x"]), ["e1", "e2"])
check("clear", s.clear(), [0, "OK"])
check("list after clear", s.list(), [])
check("getAttribute with no records is 0", s.getAttribute("dsm_state"), 0)
check("getAttributeActive with no records", s.getAttributeActive("dsm_state"), [])

# --- faults -----------------------------------------------------------------------------------
check("unknown method", fault("unknown", s.no_such_method), 504)
check("unknown dotted", fault("unknown dotted", s.monitoring.nope), 504)
check("too few args", fault("loadConfig 1 arg", s.loadConfig, "/x.conf"), 300)
check("wrong type", fault("loadConfig int", s.loadConfig, "/x.conf", 5), 300)
check("get no args", fault("get no args", s.get), 300)
check("set_loglevel no args", fault("set_loglevel", s.set_loglevel), 300)
check("set_loglevel string", fault("set_loglevel str", s.set_loglevel, "3"), 300)
check("log odd", fault("log odd", s.log, "id", "k"), 300)
check("di short", fault("di short", s.di, "dsm"), 400)
check("di unknown iface", fault("di iface", s.di, "nope", "x"), 500)
check("di unknown method", fault("di method", s.di, "dsm", "nope"), 504)
check("postDSMEvent bad params", fault("postDSMEvent", s.postDSMEvent, CALLER, "x"), 300)
check("system.listMethods", set(["calls", "di", "loadConfig", "monitoring.get", "getSingle"])
      <= set(s.system.listMethods()), True)

for f in failures:
    print("FAIL " + f)
print("%d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
