#!/usr/bin/python3
# The quizconnect tutorial's script, ported to Python 3 only where Python 2 syntax forces it
# (print, the xmlrpclib module name).
import sys
from xmlrpc.client import *

if len(sys.argv) != 2:
 print("usage: %s <call_id>" % sys.argv[0])
 sys.exit(1)

s = ServerProxy("http://127.0.0.1:8090")
print("calls: %d" % s.calls())
calls_states = s.get(sys.argv[1])
if len(calls_states)==0:
 print("call not found")
 sys.exit(1)
print("attrib val")
for state in calls_states[0].items():
 print(str(state[0]).ljust(20) + str(state[1]))
