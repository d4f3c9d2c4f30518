#!/usr/bin/env python3
"""Exit non-zero unless a detector's score.py --json results meet our targets.

usage: check_targets.py RESULTS.json [BASELINE.json]

Targets (docs/dtmf-detector.md explains them):
  - every must-detect file passes;
  - every must-reject file passes, the `vowel` category (synthetic vowels whose formants
    and harmonics sit on a DTMF pair) included;
  - no false digit at all in the `talkoff` category (speech alone).
BASELINE (another detector's results on the same files, e.g. spandsp's) is only printed
beside each failure for comparison; it excuses nothing.
"""
import json
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        ours = json.load(f)["results"]
    base = {}
    if len(sys.argv) == 3:
        with open(sys.argv[2]) as f:
            base = {r["key"]: r for r in json.load(f)["results"]}
    bad = []
    for r in ours:
        b = base.get(r["key"])
        also = " (baseline %r)" % b["got"] if b else ""
        if r.get("error"):
            bad.append("%s: detector error %s" % (r["key"], r["error"]))
        elif r["expect"] == "must-detect" and not r["pass"]:
            bad.append("%s: must detect %r, got %r%s" % (r["key"], r["expected"], r["got"], also))
        elif r["category"] == "talkoff" and r["got"]:
            bad.append("%s: talk-off %r" % (r["key"], r["got"]))
        elif r["expect"] == "must-reject" and not r["pass"]:
            bad.append("%s: must reject, got %r%s" % (r["key"], r["got"], also))
    md = [r for r in ours if r["expect"] == "must-detect"]
    mr = [r for r in ours if r["expect"] == "must-reject"]
    print("targets: must-detect %d/%d, must-reject %d/%d, %d problems"
          % (sum(r["pass"] for r in md), len(md), sum(r["pass"] for r in mr), len(mr), len(bad)))
    for b in bad:
        print("FAIL " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
