#!/usr/bin/env bash
# CI's boot test of every build: the dsmbox aarch64 binary on Debian's arm64 kernel, booted
# in qemu-system-aarch64 on `virt` and on `raspi3b` (BCM2837, SD card, real BCM2835 GPIO),
# reading its configuration from a FAT partition (board/image/initramfs-smoke.sh).
#
#   tests/image-smoke.sh [BINARY]
#
# BINARY defaults to target/aarch64-unknown-linux-gnu/release/dsmbox, the binary the image
# ships (run-all.sh builds it in its cross-build stage; built here if missing). Installs its
# Debian packages if needed (root). Downloads are cached in $DSMBOX_IMAGE_CACHE
# (default /var/cache/dsmbox-image). About 20 s warm, under a minute cold.
#
# The full SD-card image build and boot (about 10 min cold) is board/image/build-and-boot.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${1:-target/aarch64-unknown-linux-gnu/release/dsmbox}
start=$(date +%s)
if [ ! -e "$BIN" ]; then
    echo "image-smoke: $BIN missing, building it"
    cargo build --release --locked --target aarch64-unknown-linux-gnu -p firmware --bin dsmbox --features analog
fi
board/image/install-tools.sh --smoke

# Boots virt, then raspi3b; prints a line per check and "N passed, N failed" last.
status=0
timeout -k 5 600 board/image/initramfs-smoke.sh "$BIN" virt raspi3b --timeout 90 || status=$?
echo "image-smoke: $(($(date +%s) - start)) s in all"
exit $status
