#!/usr/bin/env bash
# Runs every dsmbox test, installing what the tests need first (Debian 12, root or sudo).
#
#   bash tests/run-all.sh
#
# Stages: install -> fmt -> clippy -> host tests -> release cross-builds (aarch64, armv7)
# -> workspace unit tests for aarch64 under qemu-aarch64. Each stage prints its wall time;
# the summary at the end gives the test counts per platform. .ci/run calls exactly this.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
LOGDIR=${DSMBOX_TEST_LOGS:-$ROOT/target/test-logs}
mkdir -p "$LOGDIR"
START=$(date +%s)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

stage_start=0
stage() {
    local now
    now=$(date +%s)
    if [ "$stage_start" != 0 ]; then
        echo "    (took $((now - stage_start)) s)"
    fi
    stage_start=$now
    echo
    echo "=== $* [$(date -u +%H:%M:%S), +$((now - START)) s]"
}

# ---------------------------------------------------------------------------------------------
stage "install: Debian packages and Rust targets"
APT_HOST=(build-essential pkg-config file python3 python3-venv
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
    libasound2-dev baresip-core libspandsp-dev espeak-ng sox
    mtools dosfstools fdisk cpio kmod)
APT_MULTIARCH=(libasound2-dev:arm64 libasound2-dev:armhf)
APT_BACKPORTS=(qemu-user qemu-system-arm)
missing=()
for p in "${APT_HOST[@]}" "${APT_MULTIARCH[@]}" "${APT_BACKPORTS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # qemu-user 10 from bookworm-backports: the version the QEMU pass was validated with
    # (docs/cross-building.md); bookworm's own 7.2 would do too.
    if [ ! -e /etc/apt/sources.list.d/bookworm-backports.sources ]; then
        printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
            $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
    fi
    $SUDO dpkg --add-architecture arm64
    $SUDO dpkg --add-architecture armhf
    # A mirror mid-sync can fail one foreign index ("File has unexpected size"); the packages
    # we need still resolve from the others, so a failed update is retried, then tolerated.
    $SUDO apt-get update -q || $SUDO apt-get update -q || true
    $SUDO apt-get install -y -q --no-install-recommends "${APT_HOST[@]}"
    $SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports "${APT_BACKPORTS[@]}"
    $SUDO apt-get install -y -q --no-install-recommends "${APT_MULTIARCH[@]}"
fi
rustup component add rustfmt clippy >/dev/null
rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf >/dev/null
# pjsua2 (PJSIP's Python binding) is the second real phone of the end-to-end tests.
if ! target/peers-venv/bin/python -c "import pjsua2" 2>/dev/null; then
    python3 -m venv target/peers-venv
    target/peers-venv/bin/pip install -q pjsua2-python==2.15.1.post1
fi
rustc --version
qemu-aarch64 --version | head -n 1
baresip -h 2>&1 | head -n 1 || true

# ---------------------------------------------------------------------------------------------
stage "fmt"
cargo fmt --all -- --check

# ---------------------------------------------------------------------------------------------
stage "clippy (all targets, all features, warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

# ---------------------------------------------------------------------------------------------
# Sums "test result: ok. N passed; M failed; K ignored" lines of a cargo test log.
count_tests() {
    awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
         END { printf "%d passed, %d failed, %d ignored", p, f, g }' "$1"
}

stage "host tests (x86_64): cargo test --workspace"
cargo test --workspace --all-features --locked 2>&1 | tee "$LOGDIR/host.log"
HOST_COUNT=$(count_tests "$LOGDIR/host.log")

# ---------------------------------------------------------------------------------------------
# The in-band DTMF detector against spandsp on the shared corpus (docs/dtmf-detector.md):
# fails the run if a must-detect/must-reject/talk-off target is missed.
stage "DTMF detector scored beside spandsp on the corpus"
bash firmware/media/tools/dtmf-ref/score-ours.sh 2>&1 | tee "$LOGDIR/dtmf.log"

# ---------------------------------------------------------------------------------------------
stage "release cross-builds: aarch64 (Pi 3/4/5, 64-bit) and armv7 (32-bit Pi OS), with ALSA"
declare -A SIZES
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
    cargo build --release --locked --target "$target" -p firmware --bin dsmbox --features analog
    bin="target/$target/release/dsmbox"
    file "$bin"
    SIZES[$target]=$(stat -c %s "$bin")
done
file target/aarch64-unknown-linux-gnu/release/dsmbox | grep -q "ARM aarch64"
file target/armv7-unknown-linux-gnueabihf/release/dsmbox | grep -q "ARM, EABI5"
qemu-aarch64 target/aarch64-unknown-linux-gnu/release/dsmbox --version
qemu-arm target/armv7-unknown-linux-gnueabihf/release/dsmbox --version

# ---------------------------------------------------------------------------------------------
# The shipped aarch64 binary on Debian's arm64 kernel in qemu-system-aarch64, with the SD
# card's FAT partition as a disk: `virt` and `raspi3b` (docs/image.md). The full image build
# and boot (board/image/build-and-boot.sh, ~15 min cold) is not run on every build.
stage "image smoke test: aarch64 dsmbox on Debian's arm64 kernel in qemu-system-aarch64 (virt, raspi3b)"
bash tests/image-smoke.sh target/aarch64-unknown-linux-gnu/release/dsmbox 2>&1 | tee "$LOGDIR/image-smoke.log"
IMAGE_COUNT=$(sed -n 's/^initramfs-smoke .*: \([0-9]* passed, [0-9]* failed\)$/\1/p' "$LOGDIR/image-smoke.log" | tail -n 1)

# ---------------------------------------------------------------------------------------------
# The QEMU pass runs the workspace's unit and scenario tests (not e2e, which drives real
# phones on the host) on the target's instruction set. Profile `qemu` is release without LTO:
# debug builds run about 25x slower under emulation.
stage "aarch64 tests under qemu-aarch64: cargo test --profile qemu --target aarch64-unknown-linux-gnu"
cargo test --profile qemu --locked --target aarch64-unknown-linux-gnu --workspace --exclude e2e \
    --features board/linux 2>&1 | tee "$LOGDIR/aarch64.log"
AARCH64_COUNT=$(count_tests "$LOGDIR/aarch64.log")

# ---------------------------------------------------------------------------------------------
stage "summary"
echo "host x86_64 tests:            $HOST_COUNT"
echo "aarch64 tests under QEMU:     $AARCH64_COUNT"
echo "image smoke (QEMU virt+raspi3b): $IMAGE_COUNT"
for target in "${!SIZES[@]}"; do
    printf 'stripped dsmbox %-32s %s bytes\n' "$target" "${SIZES[$target]}"
done
echo "total wall time: $(($(date +%s) - START)) s"
