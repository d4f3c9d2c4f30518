#!/usr/bin/env python3
"""Exit non-zero unless a detector's score.py --json results meet our targets.

usage: check_targets.py RESULTS.json BASELINE.json

Targets (docs/dtmf-detector.md explains them):
  - every must-detect file passes;
  - every must-reject file passes, except in the `vowel` category (synthetic vowels whose
    formants and harmonics sit on a DTMF pair), where each file must do no worse than the
    baseline (spandsp) did on the same file: no more false digits;
  - no false digit at all in the `talkoff` category (speech alone).
The baseline is matched per file (category/file name), so it works on a --no-speech corpus
and on held-out sets scored with both detectors.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        ours = json.load(f)["results"]
    with open(sys.argv[2]) as f:
        base = {r["key"]: r for r in json.load(f)["results"]}
    bad = []
    vowel_fail = 0
    for r in ours:
        if r.get("error"):
            bad.append("%s: detector error %s" % (r["key"], r["error"]))
        elif r["expect"] == "must-detect" and not r["pass"]:
            bad.append("%s: must detect %r, got %r" % (r["key"], r["expected"], r["got"]))
        elif r["category"] == "talkoff" and r["got"]:
            bad.append("%s: talk-off %r" % (r["key"], r["got"]))
        elif r["expect"] == "must-reject" and not r["pass"]:
            b = base.get(r["key"])
            if r["category"] == "vowel" and b is not None and len(r["got"]) <= len(b["got"]):
                vowel_fail += 1
                print("allowed: %s got %r (baseline %r)" % (r["key"], r["got"], b["got"]))
            else:
                bad.append("%s: must reject, got %r (baseline %r)" % (r["key"], r["got"], b["got"] if b else None))
    md = [r for r in ours if r["expect"] == "must-detect"]
    mr = [r for r in ours if r["expect"] == "must-reject"]
    print("targets: must-detect %d/%d, must-reject %d/%d (%d vowel files no worse than the baseline), %d problems"
          % (sum(r["pass"] for r in md), len(md), sum(r["pass"] for r in mr), len(mr), vowel_fail, len(bad)))
    for b in bad:
        print("FAIL " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
