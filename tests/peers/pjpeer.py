#!/usr/bin/env python3
"""A SIP phone for dsmbox's end-to-end tests, built on pjsua2 (PJSIP's Python binding).

It is driven over stdin/stdout with one JSON object per line, so a Rust test can start it,
send commands and wait for events:

  commands (stdin):
    {"cmd": "call", "uri": "sip:35@127.0.0.1:5060"}        place a call (becomes call N)
    {"cmd": "answer", "code": 200}                          answer the newest incoming call
    {"cmd": "hangup"} / {"cmd": "hangup", "call": N}        CANCEL before answer, BYE after
    {"cmd": "dtmf", "digits": "12#", "method": "rfc2833"}   or "info" (SIP INFO), "inband"
    {"cmd": "play", "file": "x.wav"}                        play a WAV into the newest call
    {"cmd": "quit"}
  events (stdout):
    {"ev": "ready"}, {"ev": "incoming", "call": N, "from": ..., "to": ...},
    {"ev": "state", "call": N, "state": "EARLY|CONNECTING|CONFIRMED|...", "code": C},
    {"ev": "media", "call": N}, {"ev": "dtmf", "call": N, "digit": "1", "method": M},
    {"ev": "disconnected", "call": N, "code": C, "reason": R}, {"ev": "error", "msg": ...}

Options: --port P (SIP UDP), --rtp-port R, --auto-answer CODE (0: wait for "answer"),
--answer-delay S, --record PATTERN ("{n}" becomes the call number: what this phone heard),
--play FILE (played into every call once its media is up), --early-media (answer 183 first).
"""
import argparse
import json
import os
import select
import sys
import time

import pjsua2 as pj

OUT = sys.stdout


def emit(**kw):
    OUT.write(json.dumps(kw) + "\n")
    OUT.flush()


class Phone:
    def __init__(self, args):
        self.args = args
        self.calls = []          # index = call number
        self.keep = []           # players/recorders must stay referenced
        self.pending_answers = []  # (time, call, code)

    def add_call(self, call):
        self.calls.append(call)
        return len(self.calls) - 1


class Call(pj.Call):
    def __init__(self, phone, acc, call_id=pj.PJSUA_INVALID_ID):
        pj.Call.__init__(self, acc, call_id)
        self.phone = phone
        self.n = phone.add_call(self)
        self.media_done = False

    def onCallState(self, prm):
        ci = self.getInfo()
        emit(ev="state", call=self.n, state=ci.stateText, code=ci.lastStatusCode)
        if ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            emit(ev="disconnected", call=self.n, code=ci.lastStatusCode, reason=ci.lastReason)

    def onCallMediaState(self, prm):
        if self.media_done:
            ci = self.getInfo()
            for mi in ci.media:
                if mi.type == pj.PJMEDIA_TYPE_AUDIO:
                    emit(ev="media_update", call=self.n, status=int(mi.status))
            return  # a re-INVITE fires this again
        ci = self.getInfo()
        for i, mi in enumerate(ci.media):
            if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.media_done = True
                am = self.getAudioMedia(i)
                if self.phone.args.record:
                    rec = pj.AudioMediaRecorder()
                    rec.createRecorder(self.phone.args.record.replace("{n}", str(self.n)))
                    am.startTransmit(rec)
                    self.phone.keep.append(rec)
                if self.phone.args.play:
                    play_into(self, self.phone.args.play)
                emit(ev="media", call=self.n)

    def onDtmfDigit(self, prm):
        emit(ev="dtmf", call=self.n, digit=prm.digit, method=int(prm.method))


def play_into(call, path):
    am = call.getAudioMedia(-1)
    pl = pj.AudioMediaPlayer()
    pl.createPlayer(path, pj.PJMEDIA_FILE_NO_LOOP)
    pl.startTransmit(am)
    call.phone.keep.append(pl)


class Account(pj.Account):
    def __init__(self, phone):
        pj.Account.__init__(self)
        self.phone = phone

    def onIncomingCall(self, prm):
        c = Call(self.phone, self, prm.callId)
        ci = c.getInfo()
        emit(ev="incoming", call=c.n, **{"from": ci.remoteUri, "to": ci.localUri})
        if self.phone.args.early_media:
            op = pj.CallOpParam()
            op.statusCode = 183
            c.answer(op)
        else:
            op = pj.CallOpParam()
            op.statusCode = 180
            c.answer(op)
        if self.phone.args.auto_answer:
            self.phone.pending_answers.append(
                (time.monotonic() + self.phone.args.answer_delay, c, self.phone.args.auto_answer))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rtp-port", type=int, required=True)
    ap.add_argument("--auto-answer", type=int, default=0)
    ap.add_argument("--answer-delay", type=float, default=0.0)
    ap.add_argument("--record")
    ap.add_argument("--play")
    ap.add_argument("--early-media", action="store_true")
    ap.add_argument("--user", default="peer")
    args = ap.parse_args()

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)
    tc = pj.TransportConfig()
    tc.port = args.port
    tc.boundAddress = "127.0.0.1"
    tc.publicAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
    ep.libStart()
    ep.audDevManager().setNullDev()
    for c in ep.codecEnum2():
        ep.codecSetPriority(c.codecId, 255 if c.codecId.startswith(("PCMU", "PCMA")) else 0)

    phone = Phone(args)
    acfg = pj.AccountConfig()
    acfg.idUri = "sip:%s@127.0.0.1:%d" % (args.user, args.port)
    mt = acfg.mediaConfig.transportConfig
    mt.boundAddress = "127.0.0.1"
    mt.publicAddress = "127.0.0.1"
    mt.port = args.rtp_port
    mt.portRange = 20
    acc = Account(phone)
    acc.create(acfg)
    emit(ev="ready")

    stdin_fd = sys.stdin.fileno()
    buf = b""
    running = True
    while running:
        ep.libHandleEvents(10)
        now = time.monotonic()
        for item in list(phone.pending_answers):
            t, call, code = item
            if now >= t:
                phone.pending_answers.remove(item)
                try:
                    op = pj.CallOpParam()
                    op.statusCode = code
                    call.answer(op)
                except pj.Error as e:
                    emit(ev="error", msg="answer: %s" % e.info())
        r, _, _ = select.select([stdin_fd], [], [], 0)
        if not r:
            continue
        chunk = os.read(stdin_fd, 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                running = handle(ep, acc, phone, json.loads(line))
            except pj.Error as e:
                emit(ev="error", msg=e.info())
            except Exception as e:  # report, keep the phone alive for the test to see
                emit(ev="error", msg=repr(e))
    for c in phone.calls:
        try:
            c.hangup(pj.CallOpParam())
        except pj.Error:
            pass
    for _ in range(20):
        ep.libHandleEvents(10)
    ep.libDestroy()


def pick(phone, cmd):
    n = cmd.get("call", len(phone.calls) - 1)
    return phone.calls[n]


def handle(ep, acc, phone, cmd):
    c = cmd.get("cmd")
    if c == "call":
        call = Call(phone, acc)
        call.makeCall(cmd["uri"], pj.CallOpParam(True))
        emit(ev="calling", call=call.n)
    elif c == "answer":
        op = pj.CallOpParam()
        op.statusCode = cmd.get("code", 200)
        pick(phone, cmd).answer(op)
    elif c == "hangup":
        pick(phone, cmd).hangup(pj.CallOpParam())
    elif c == "dtmf":
        method = cmd.get("method", "rfc2833")
        call = pick(phone, cmd)
        if method == "inband":
            tg = pj.ToneGenerator()
            tg.createToneGenerator(8000, 1)
            v = pj.ToneDigitVector()
            for d in cmd["digits"]:
                t = pj.ToneDigit()
                t.digit = d
                t.on_msec = cmd.get("on_ms", 120)
                t.off_msec = cmd.get("off_ms", 120)
                t.volume = 0
                v.append(t)
            tg.playDigits(v, False)
            tg.startTransmit(call.getAudioMedia(-1))
            phone.keep.append(tg)
        else:
            p = pj.CallSendDtmfParam()
            p.method = pj.PJSUA_DTMF_METHOD_SIP_INFO if method == "info" else pj.PJSUA_DTMF_METHOD_RFC2833
            p.digits = cmd["digits"]
            call.sendDtmf(p)
    elif c == "hold":
        pick(phone, cmd).setHold(pj.CallOpParam(True))
    elif c == "unhold":
        op = pj.CallOpParam(True)
        op.opt.flag = pj.PJSUA_CALL_UNHOLD
        pick(phone, cmd).reinvite(op)
    elif c == "play":
        play_into(pick(phone, cmd), cmd["file"])
    elif c == "quit":
        return False
    else:
        emit(ev="error", msg="unknown command %r" % c)
    return True


if __name__ == "__main__":
    main()
