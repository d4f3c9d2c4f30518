#!/bin/sh
# CI entry point for the in-band DTMF detector (docs/dtmf-detector.md):
#   builds spandsp's reference harness and our `dtmf_detect` example (release),
#   generates the corpus and a held-out set, scores both, and exits non-zero if our
#   detector misses a target (check_targets.py).
#
# usage: score-ours.sh [--no-speech] [--voiced]
#   --no-speech  skip the espeak-ng talk-off/talk-down material (no espeak-ng/sox needed);
#                everything else, vowels included, is still scored.
#   --voiced     also generate the voiced-speech stress set (gen_voiced.py, ~20 s) and score
#                both detectors on it, for information (it has no targets of its own).
# Needs: cargo, python3, make, cc, libspandsp-dev; espeak-ng and sox for speech.
# DTMF_WORK=DIR keeps the corpora and results there (default: a temp dir, removed).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)
SPEECH=
VOICED=
for arg in "$@"; do
    case $arg in
        --no-speech) SPEECH=--no-speech ;;
        --voiced) VOICED=1 ;;
        *) echo "usage: score-ours.sh [--no-speech] [--voiced]" >&2; exit 2 ;;
    esac
done
if [ -n "${DTMF_WORK:-}" ]; then
    WORK=$DTMF_WORK; mkdir -p "$WORK"
else
    WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi

make -s -C "$HERE" dtmf_ref_detect
(cd "$ROOT" && cargo build --quiet --release -p media --example dtmf_detect)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/dtmf_detect
REF=$HERE/dtmf_ref_detect

rm -rf "$WORK/corpus" "$WORK/heldout"
python3 "$HERE/gen_dtmf_corpus.py" $SPEECH "$WORK/corpus" 2>/dev/null
python3 "$HERE/gen_heldout.py" $SPEECH --seed "${DTMF_HELDOUT_SEED:-1}" "$WORK/heldout" 2>/dev/null

echo "== corpus"
python3 "$HERE/score.py" "$BIN" "$WORK/corpus" --json "$WORK/ours.json" \
    --baseline "$HERE/baseline-spandsp-0.0.6.json"
echo "== held-out (seed ${DTMF_HELDOUT_SEED:-1})"
python3 "$HERE/score.py" "$REF" "$WORK/heldout" --json "$WORK/heldout-spandsp.json" >/dev/null
python3 "$HERE/score.py" "$BIN" "$WORK/heldout" --json "$WORK/heldout-ours.json" \
    --baseline "$WORK/heldout-spandsp.json"

if [ -n "$VOICED" ]; then
    rm -rf "$WORK/voiced"
    python3 "$HERE/gen_voiced.py" "$WORK/voiced" 2>/dev/null
    echo "== voiced stress (information only)"
    python3 "$HERE/score.py" "$REF" "$WORK/voiced" --json "$WORK/voiced-spandsp.json" >/dev/null
    python3 "$HERE/score.py" "$BIN" "$WORK/voiced" --baseline "$WORK/voiced-spandsp.json" | grep -v '^ '
fi

status=0
echo "== targets, corpus"
python3 "$HERE/check_targets.py" "$WORK/ours.json" "$HERE/baseline-spandsp-0.0.6.json" || status=1
echo "== targets, held-out"
python3 "$HERE/check_targets.py" "$WORK/heldout-ours.json" "$WORK/heldout-spandsp.json" || status=1
exit $status
