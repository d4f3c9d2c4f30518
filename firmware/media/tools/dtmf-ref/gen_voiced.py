#!/usr/bin/env python3
"""Voiced-speech stress for a DTMF receiver: synthetic vowels whose harmonics sit on DTMF
pairs (must reject), and DTMF under vowels whose pitch makes their harmonics line up with
the digit's tones (must detect). Same file and sidecar format as gen_dtmf_corpus.py.

usage: gen_voiced.py OUT_DIR [--seed N] [--seconds S]

The vowel model is not the corpus's (a pulse train through resonators). It is additive:
every harmonic h of a gliding fundamental f0(t) gets the amplitude of a source with a
-6 dB/octave slope (glottal -12 dB/oct, lip radiation +6) times the magnitude of a
cascade of second-order formant resonances at F1..F4 with bandwidths B1..B4. Syllables of
150-400 ms glide between two pitches drawn from 80-400 Hz with 0.5-3 % vibrato and a
raised-cosine envelope. Harmonics below 250 Hz are rolled off like a telephone line.

Categories written:
  vowel     `voiced_on_<key>_*`: F1 within +-1.5 % of the row tone, F2 within +-1.5 % of
            the column tone, formant bandwidths 50-160 Hz, level -8..-25 dBm0: must-reject.
  talkdown  `coincident_<key>_*`: 16 digits, 60 ms on / 140 ms off, each tone
            `tone_dbm0`, over a vowel 10 dB below the tones (active level) whose pitch
            is the digit's implied fundamental (row/p with p:q the small-integer ratio
            nearest the pair), so its harmonics fall next to the tones: must-detect.
            The same at +6 dB: dont-care.
"""
import argparse
import importlib.util
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gen", os.path.join(HERE, "gen_dtmf_corpus.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

FS = gen.FS
# Vowel formants (Peterson & Barney, adult male means) for interference.
VOWELS = {"a": (730, 1090, 2440), "i": (270, 2290, 3010), "u": (300, 870, 2240),
          "e": (530, 1840, 2480), "o": (570, 840, 2410), "ae": (660, 1720, 2410),
          "er": (490, 1350, 1690), "uh": (520, 1190, 2390)}


def formant_gain(f, formants):
    """|H(f)| of a cascade of second-order resonances, each with unit gain at DC."""
    g = 1.0
    for fk, bk in formants:
        re = 1.0 - (f / fk) ** 2
        im = f * bk / (fk * fk)
        g /= math.hypot(re, im)
    return g


def voiced(n, f0_of, formants, rng, env=None):
    """Additive vowel: n samples, f0_of(i) the pitch at sample i."""
    out = [0.0] * n
    # Harmonics are added with their amplitude re-evaluated every 40 samples (5 ms).
    nh = int(3600 / 70)
    phase = [rng.uniform(0, 2 * math.pi) for _ in range(nh + 1)]
    ph0 = 0.0
    amps = [0.0] * (nh + 1)
    for i in range(n):
        f0 = f0_of(i)
        if i % 40 == 0:
            for h in range(1, nh + 1):
                f = h * f0
                if f >= 3600:
                    amps[h] = 0.0
                    continue
                hp = (f / 250.0) ** 2 / (1 + (f / 250.0) ** 2)     # line high-pass, 2nd order
                amps[h] = hp * formant_gain(f, formants) * (250.0 / f)
        ph0 += 2 * math.pi * f0 / FS
        s = 0.0
        for h in range(1, nh + 1):
            a = amps[h]
            if a:
                s += a * math.sin(h * ph0 + phase[h])
        out[i] = s * (env(i) if env else 1.0)
    return out


def syllables(seconds, rng, lo=80.0, hi=400.0):
    """A pitch track and envelope: syllables of 150-400 ms gliding between two pitches."""
    n = int(seconds * FS)
    f0 = [0.0] * n
    env = [0.0] * n
    i = 0
    while i < n:
        m = min(n - i, int(rng.uniform(0.15, 0.4) * FS))
        a = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        b = a * math.exp(rng.uniform(-0.25, 0.25))
        vib, vr = rng.uniform(0.005, 0.03), rng.uniform(4, 7)
        for k in range(m):
            t = k / max(1, m - 1)
            f0[i + k] = (a + (b - a) * t) * (1 + vib * math.sin(2 * math.pi * vr * k / FS))
            env[i + k] = math.sin(0.5 * math.pi * min(1.0, 4 * t, 4 * (1 - t))) ** 2
        i += m
    return f0, env


def nearest_ratio(fr, fc, pmax=9):
    """The small-integer ratio p:q nearest fr:fc with fr/p >= 100 Hz."""
    best = None
    for p in range(1, pmax + 1):
        q = round(p * fc / fr)
        if math.gcd(p, q) != 1 or fr / p < 100:
            continue
        err = abs(q * fr / (p * fc) - 1)
        if best is None or err < best[0]:
            best = (err, p, q)
    return best[1], best[2]


def gen_vowels(w, rng, seconds):
    for key in gen.KEYS:
        fr, fc = gen.freqs_of(key)
        for v in range(2):
            f1 = fr * (1 + rng.uniform(-0.015, 0.015))
            f2 = fc * (1 + rng.uniform(-0.015, 0.015))
            b1, b2 = rng.uniform(50, 130), rng.uniform(60, 160)
            forms = [(f1, b1), (f2, b2), (rng.uniform(2400, 2800), rng.uniform(120, 250)),
                     (3300.0, 250.0)]
            f0, env = syllables(seconds, rng)
            x = voiced(len(f0), lambda i: f0[i], forms, rng, lambda i: env[i])
            lvl = rng.uniform(-25, -8)
            t = gen.Track()
            t.x = gen.scale_to(x, lvl)
            name = "voiced_on_%s_%d" % (key.replace("*", "star").replace("#", "hash"), v)
            w.write("vowel", name, t, "", "must-reject",
                    "voiced sound with F1/F2 on a DTMF pair and a gliding pitch (talk-off stress)",
                    {"formants": forms, "level_dbm0": lvl})


def gen_coincident(w, rng):
    for key in gen.KEYS:
        fr, fc = gen.freqs_of(key)
        p, q = nearest_ratio(fr, fc)
        for vname in rng.sample(sorted(VOWELS), 2):
            forms = [(f, bw) for f, bw in zip(VOWELS[vname], (80.0, 100.0, 150.0))] + [(3300.0, 250.0)]
            for dsr in (10, 6):
                tone = rng.uniform(-20, -6)
                digits = key * 16
                tones = gen.dtmf_track(digits, 60, 140, tone, tone, rng, lead_ms=200, tail_ms=200)
                n = len(tones.x)
                base = fr / p
                # The pitch wanders +-1 % around the implied fundamental, slowly.
                drift = rng.uniform(0, 2 * math.pi)
                x = voiced(n, lambda i: base * (1 + 0.01 * math.sin(2 * math.pi * 0.7 * i / FS + drift)),
                           forms, rng)
                t = gen.Track()
                t.x = gen.scale_to(x, tone - dsr)
                t.add_samples(0, tones.x)
                exp = "must-detect" if dsr >= 10 else "dont-care"
                name = "coincident_%s_%s_dsr%+d" % (key.replace("*", "star").replace("#", "hash"), vname, dsr)
                w.write("talkdown", name, t, digits, exp,
                        "DTMF %d dB over a vowel whose harmonics line up with the tones (%d:%d)" % (dsr, p, q),
                        {"p": p, "q": q, "f0": base, "vowel": vname, "dsr_db": dsr, "tone_dbm0": tone})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each vowel file")
    args = ap.parse_args()
    w = gen.Writer(args.out)
    for i, step in enumerate((lambda w, r: gen_vowels(w, r, args.seconds), gen_coincident)):
        step(w, random.Random(args.seed * 1000 + i))
    print("wrote %d files to %s" % (w.count, args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
