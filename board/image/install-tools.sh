#!/usr/bin/env bash
# Installs what the image scripts need from Debian (idempotent: does nothing when all is there).
#
#   board/image/install-tools.sh --smoke   initramfs-smoke.sh / tests/image-smoke.sh
#   board/image/install-tools.sh --full    build-rootfs.sh, assemble-image.sh, qemu-boot-test.sh
#
# qemu comes from bookworm-backports (10.x): bookworm's own qemu-system-arm 7.2 `Breaks:`
# qemu-system-common << 8.0 and would remove the backports qemu-utils CI machines already have.
# --full also mounts binfmt_misc and registers qemu-aarch64 (CI has no systemd as PID 1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE=${1:---smoke}
SMOKE_MAIN=(mtools dosfstools fdisk cpio kmod binutils)
SMOKE_BPO=(qemu-system-arm)
FULL_MAIN=(arch-test zstd e2fsprogs)
FULL_BPO=(qemu-user qemu-user-binfmt mmdebstrap)
case $MODE in
--smoke) MAIN=("${SMOKE_MAIN[@]}") BPO=("${SMOKE_BPO[@]}") ;;
--full) MAIN=("${SMOKE_MAIN[@]}" "${FULL_MAIN[@]}") BPO=("${SMOKE_BPO[@]}" "${FULL_BPO[@]}") ;;
*) die "usage: $0 --smoke|--full" ;;
esac

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing_main=() missing_bpo=()
for p in "${MAIN[@]}"; do installed "$p" || missing_main+=("$p"); done
for p in "${BPO[@]}"; do installed "$p" || missing_bpo+=("$p"); done
# A bookworm (7.2) qemu-system-arm is not good enough: raspi3b SD and virt options differ.
if installed qemu-system-arm && ! dpkg-query -W -f='${Version}' qemu-system-arm | grep -q '^1:[1-9][0-9]\.'; then
    missing_bpo+=(qemu-system-arm)
fi

if [ ${#missing_main[@]} -gt 0 ] || [ ${#missing_bpo[@]} -gt 0 ]; then
    need_root
    export DEBIAN_FRONTEND=noninteractive
    if [ ${#missing_bpo[@]} -gt 0 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            >/etc/apt/sources.list.d/bookworm-backports.sources
    fi
    log "apt-get install ${missing_main[*]} ${missing_bpo[*]:+(backports: ${missing_bpo[*]})}"
    # A mirror mid-sync can fail one (foreign-architecture) index; retry, then carry on.
    timeout -k 5 300 apt-get update -q >/dev/null || timeout -k 5 300 apt-get update -q >/dev/null || true
    if [ ${#missing_main[@]} -gt 0 ]; then
        timeout -k 5 900 apt-get install -y -q --no-install-recommends "${missing_main[@]}" >/dev/null
    fi
    if [ ${#missing_bpo[@]} -gt 0 ]; then
        timeout -k 5 900 apt-get install -y -q --no-install-recommends -t bookworm-backports "${missing_bpo[@]}" >/dev/null
    fi
fi

if [ "$MODE" = --full ]; then
    need_root
    ensure_binfmt
fi
