#!/usr/bin/env python3
"""Held-out DTMF cases: the same kinds of test as gen_dtmf_corpus.py, with other seeds,
levels, offsets, timings, vowels and speech, so that a detector tuned on the main corpus
can be checked on audio it has not seen. Same file and sidecar format; score.py scores it.

usage: gen_heldout.py OUT_DIR [--seed N] [--no-speech]

Every expectation stays inside the same requirements as the main corpus (must-detect only
where the spec says accept, with a margin from its edges; must-reject only where it says
reject), but the values are drawn at random from those ranges with the given seed.
"""
import argparse
import importlib.util
import os
import random
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gen", os.path.join(HERE, "gen_dtmf_corpus.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def shuffled_keys(rng, n):
    return "".join(rng.choice(gen.KEYS) for _ in range(n))


def h_level(w, rng):
    for i in range(6):
        lvl = rng.uniform(-25, -3)
        d = shuffled_keys(rng, 24)
        t = gen.dtmf_track(d, rng.uniform(45, 80), rng.uniform(45, 80), lvl, lvl, rng)
        w.write("level", "h_level_%d" % i, t, d, "must-detect", "operate range -3..-25 dBm0", {"level_dbm0": lvl})
    for i in range(2):
        lvl = rng.uniform(-70, -56)
        d = shuffled_keys(rng, 16)
        t = gen.dtmf_track(d, 60, 60, lvl, lvl, rng)
        w.write("level", "h_quiet_%d" % i, t, d, "must-reject", "below -55 dBm0 is tone-off", {"level_dbm0": lvl})


def h_freq(w, rng):
    for i in range(8):
        ld, hd = rng.uniform(-1.4, 1.4), rng.uniform(-1.4, 1.4)
        d = shuffled_keys(rng, 24)
        t = gen.dtmf_track(d, 50, 50, -10, -10, rng, ld, hd)
        w.write("freq", "h_freq_ok_%d" % i, t, d, "must-detect", "both tones within +-1.4%",
                {"low_dev": ld, "high_dev": hd})
    for i in range(8):
        bad = rng.choice([-1, 1]) * rng.uniform(3.6, 6.0)
        other = rng.uniform(-1.4, 1.4)
        ld, hd = (bad, other) if i % 2 == 0 else (other, bad)
        d = shuffled_keys(rng, 24)
        t = gen.dtmf_track(d, 50, 50, -10, -10, rng, ld, hd)
        w.write("freq", "h_freq_bad_%d" % i, t, d, "must-reject", "one tone 3.6-6% off",
                {"low_dev": ld, "high_dev": hd})


def h_twist(w, rng):
    for i in range(8):
        kind = "normal" if i % 2 == 0 else "reverse"
        tw = rng.uniform(0, 7.8) if kind == "normal" else rng.uniform(0, 3.8)
        strong = rng.uniform(-16, -4)
        lo, hi = (strong, strong - tw) if kind == "normal" else (strong - tw, strong)
        d = shuffled_keys(rng, 32)
        t = gen.dtmf_track(d, 50, 50, lo, hi, rng)
        w.write("twist", "h_twist_%s_%d" % (kind, i), t, d, "must-detect", "twist within 8/4 dB",
                {"kind": kind, "twist_db": tw, "strong": strong})


def h_duration(w, rng):
    for i in range(6):
        on, off = rng.uniform(40, 48), rng.uniform(40, 60)
        d = shuffled_keys(rng, 24)
        t = gen.dtmf_track(d, on, off, -10, -10, rng)
        w.write("duration", "h_dur_ok_%d" % i, t, d, "must-detect", "tone >= 40 ms, pause >= 40 ms",
                {"on_ms": on, "off_ms": off})
    for i in range(4):
        on = rng.uniform(5, 20)
        d = shuffled_keys(rng, 24)
        t = gen.dtmf_track(d, on, rng.uniform(40, 80), rng.uniform(-20, -4), -8, rng)
        w.write("duration", "h_dur_short_%d" % i, t, d, "must-reject", "tone <= 20 ms", {"on_ms": on})


def h_interrupt(w, rng):
    for i in range(8):
        k = rng.choice(gen.KEYS)
        gap = rng.uniform(1, 10)
        t = gen.dtmf_track(k * 3, rng.uniform(45, 70), gap, -10, -10, rng)
        w.write("interrupt", "h_bridge_%d" % i, t, k * 3, "must-detect", "gap <= 10 ms bridged",
                {"gap_ms": gap}, expected=k)
    for i in range(4):
        k = rng.choice(gen.KEYS)
        gap = rng.uniform(40, 60)
        t = gen.dtmf_track(k * 3, 50, gap, -10, -10, rng)
        w.write("interrupt", "h_split_%d" % i, t, k * 3, "must-detect", "gap >= 40 ms splits", {"gap_ms": gap})


def h_noise(w, rng):
    for i in range(4):
        snr = rng.uniform(15.5, 25)
        d = shuffled_keys(rng, 32)
        lvl = rng.uniform(-20, -6)
        t = gen.dtmf_track(d, 50, 50, lvl, lvl, rng)
        gen.add_white_noise(t, lvl - snr, rng)
        w.write("noise", "h_noise_%d" % i, t, d, "must-detect", "S/N >= 15 dB", {"snr": snr, "level": lvl})


def h_vowel(w, rng):
    # Formants on other DTMF pairs, other pitch ranges; and on the diagonal with other pitch.
    for i in range(8):
        k = rng.choice(gen.KEYS)
        f1, f2 = gen.freqs_of(k)
        f1 *= 1 + rng.uniform(-0.01, 0.01)
        f2 *= 1 + rng.uniform(-0.01, 0.01)
        lo = rng.uniform(80, 200)
        hi = lo + rng.uniform(50, 200)
        base = gen.vowel(8.0, f1, f2, lo, hi, rng)
        t = gen.Track()
        t.x = gen.scale_to(base, rng.uniform(-22, -8))
        w.write("vowel", "h_vowel_%d_%s" % (i, k.replace("*", "star").replace("#", "hash")), t, "", "must-reject",
                "voiced sound with formants at a DTMF pair", {"f1": f1, "f2": f2, "f0": [lo, hi]})


VOICES = [("en-us+m1", "en"), ("en-gb-scotland+f3", "en"), ("nl+m4", "en"), ("pt+f2", "en"), ("pl+m6", "en"),
          ("sv+f1", "en")]
TEXTS = [
    "Good morning, you have reached the help desk. For billing, stay on the line; otherwise say agent.",
    "Seven hundred and seventy, one thousand three hundred and thirty six, nine four one, sixteen thirty three.",
    "Mmmm, hmmm, uh huh, aaaah, ooooh, eeeee. I see. Right. OK, alright, sure thing.",
]


def h_speech(w, rng):
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        sys.exit("espeak-ng and sox are needed (or pass --no-speech)")
    tmp = tempfile.mkdtemp(prefix="dtmfheld")
    try:
        for voice, _ in VOICES:
            pitch = rng.randint(10, 90)
            text = " ".join(rng.sample(TEXTS, 3))
            wav = os.path.join(tmp, "s.wav")
            raw = os.path.join(tmp, "s.raw")
            import subprocess
            subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(rng.randint(130, 190)), "-w", wav,
                            text], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(["sox", "-D", "-V1", wav, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                            "-t", "raw", raw, "sinc", "300-3400"], check=True)
            import array
            a = array.array("h")
            with open(raw, "rb") as f:
                a.frombytes(f.read())
            x = [float(v) for v in a]
            lvl = rng.uniform(-22, -8)
            t = gen.Track()
            t.x = gen.scale_to(x, lvl)
            w.write("talkoff", "h_talkoff_%s" % voice, t, "", "must-reject", "speech alone", {"voice": voice, "pitch": pitch})
            seg = gen.scale_to(x, -20)
            d = shuffled_keys(rng, 12)
            tones = gen.dtmf_track(d, 60, 240, -8, -8, rng, lead_ms=500, tail_ms=0)
            t = gen.Track()
            t.x = list(seg[: len(tones.x) + gen.ms(300)])
            t.add_samples(0, tones.x)
            w.write("talkdown", "h_talkdown_%s" % voice, t, d, "must-detect", "tones 12 dB above the speech",
                    {"voice": voice, "dsr_db": 12})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-speech", action="store_true")
    args = ap.parse_args()
    w = gen.Writer(args.out)
    steps = [h_level, h_freq, h_twist, h_duration, h_interrupt, h_noise, h_vowel]
    if not args.no_speech:
        steps.append(h_speech)
    for i, step in enumerate(steps):
        step(w, random.Random(args.seed * 1000 + i))
    print("wrote %d files to %s" % (w.count, args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
