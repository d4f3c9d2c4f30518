#!/usr/bin/python3
# The quizconnect tutorial's script, ported to Python 3 only where Python 2 syntax forces it
# (print, the xmlrpclib module name).
from xmlrpc.client import *
s = ServerProxy("http://127.0.0.1:8090")
print("calls: %d" % s.calls())
calls_states = s.getAttributeActive("dsm_state")
print("call id state")
for state in calls_states:
 print(state[0] + " " + state[1])
