#!/usr/bin/env bash
# The whole SD-card pipeline, end to end: binary, rootfs, image, full boots in QEMU.
# Too slow for every CI run (about 10 min cold, 4-5 min with a cached rootfs); run it when the
# image inputs change (package list, hooks, rootfs-overlay, units), nightly, or for a release.
#
#   board/image/build-and-boot.sh [--binary PATH] [--machines "virt raspi3b"] [--release]
#
#   --binary PATH   use this aarch64 dsmbox instead of building it (cargo, gnu, --features analog)
#   --machines M    which boot tests to run (default both; each boots twice, with a power cut)
#   --release       also assemble the shippable image (no test overlay) and compress it to
#                   target/image/dsmbox.img.xz (xz -6: 636 s and 120 MB on 2 busy cores;
#                   DSMBOX_XZ_LEVEL=3: 369 s and 137 MB)
#
# Outputs in target/image/: dsmbox-test.img (with the boot-smoketest unit: never ship it),
# dsmbox.img and dsmbox.img.xz with --release. Serial logs in target/test-logs/image/.
# Prints a timing table and "N passed, N failed"; exits non-zero when a boot test failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BINARY="" MACHINES="virt raspi3b" RELEASE=0
while [ $# -gt 0 ]; do
    case $1 in
    --binary) BINARY=${2:?} && shift ;;
    --machines) MACHINES=${2:?} && shift ;;
    --release) RELEASE=1 ;;
    *) die "unknown argument $1" ;;
    esac
    shift
done
need_root
cd "$REPO_ROOT"
OUTDIR=$REPO_ROOT/target/image
mkdir -p "$OUTDIR"

declare -a TIMES=()
t0=$(date +%s)
step() { # step NAME COMMAND...: runs and times one step
    local name=$1 s rc=0
    shift
    s=$(date +%s)
    log "== $name"
    "$@" || rc=$?
    TIMES+=("$(printf '%-34s %5s s%s' "$name" $(($(date +%s) - s)) "$([ $rc = 0 ] || echo "  (FAILED, exit $rc)")")")
    return $rc
}

step "tools (apt, binfmt)" board/image/install-tools.sh --full
if [ -z "$BINARY" ]; then
    step "cargo build (aarch64 gnu, analog)" timeout -k 5 3600 cargo build --release --locked \
        --target aarch64-unknown-linux-gnu -p firmware --bin dsmbox --features analog
    BINARY=target/aarch64-unknown-linux-gnu/release/dsmbox
fi
step "rootfs (mmdebstrap, cached)" board/image/build-rootfs.sh >"$OUTDIR/.rootfs-path"
ROOTFS=$(tail -n 1 "$OUTDIR/.rootfs-path")
step "assemble test image" board/image/assemble-image.sh "$ROOTFS" "$BINARY" "$OUTDIR/dsmbox-test.img" --test

boot_test() { # boot_test MACHINE TIMEOUT [--powercut]: output also kept for the summary
    timeout -k 5 900 board/image/qemu-boot-test.sh "$OUTDIR/dsmbox-test.img" "$2" "$1" ${3:+"$3"} |
        tee "$OUTDIR/.boot-$1.out"
}
status=0
rm -f "$OUTDIR"/.boot-*.out
for m in $MACHINES; do
    case $m in
    virt) step "boot virt (2 boots, power cut)" boot_test virt 240 --powercut || status=1 ;;
    raspi3b) step "boot raspi3b (2 boots, power cut)" boot_test raspi3b 300 --powercut || status=1 ;;
    *) die "unknown machine $m" ;;
    esac
done

if [ $RELEASE = 1 ]; then
    step "assemble release image" board/image/assemble-image.sh "$ROOTFS" "$BINARY" "$OUTDIR/dsmbox.img"
    step "xz -T0 -${DSMBOX_XZ_LEVEL:-6} dsmbox.img" xz -T0 -"${DSMBOX_XZ_LEVEL:-6}" -f -k "$OUTDIR/dsmbox.img"
    log "release: $OUTDIR/dsmbox.img.xz ($(du -m "$OUTDIR/dsmbox.img.xz" | cut -f1) MiB)"
fi

echo
echo "build-and-boot timings:"
printf '  %s\n' "${TIMES[@]}"
printf '  %-34s %5s s\n' total $(($(date +%s) - t0))
pass=0 fail=0
for f in "$OUTDIR"/.boot-*.out; do
    [ -e "$f" ] || continue
    # A run that died before its summary line counts as one failure.
    p=0 q=1
    read -r p q < <(tail -n 1 "$f" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p') || true
    pass=$((pass + p)) fail=$((fail + q))
done
echo "build-and-boot ($MACHINES): $pass passed, $fail failed"
[ $status = 0 ] && [ $fail = 0 ]
