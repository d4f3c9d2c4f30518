#!/usr/bin/env bash
# Builds the dsmbox arm64 root filesystem (Debian 12 "bookworm", minbase + systemd) as a
# .tar.zst with mmdebstrap under qemu-user/binfmt, and caches it.
#
#   board/image/build-rootfs.sh [OUT.tar.zst]
#
# Prints the path of the tarball on stdout. The cache key is a hash of this script, so any
# change to the package list or the hooks below rebuilds; DSMBOX_ROOTFS_REBUILD=1 forces a
# rebuild (e.g. to pick up Debian security updates). Cold: about 7 min on 2 cores.
#
# The rootfs is generic: no dsmbox binary, no overlay. assemble-image.sh adds those, so editing
# a unit file or a conf never invalidates this 7-minute cache.
#
# Why the hooks (docs/image.md, "rootfs"): with Debian's defaults, mkinitramfs runs twice under
# emulation with MODULES=most, which took 48 of 58 minutes. We divert update-initramfs while
# packages install, list the modules the boards need (MODULES=list), and build the initramfs
# once at the end. That last run also fires raspi-firmware's hooks, which fill /boot/firmware
# (kernel, initrd, DTBs, config.txt) for the FAT partition.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need_root
need_cmds mmdebstrap zstd sha256sum
ensure_binfmt

KEY=$(sha256sum "$0" | cut -c1-16)
CACHED=$CACHE/rootfs-$KEY.tar.zst
OUT=${1:-$CACHED}

if [ -s "$CACHED" ] && [ "${DSMBOX_ROOTFS_REBUILD:-0}" != 1 ]; then
    log "rootfs: cached $CACHED"
else
    mkdir -p "$CACHE"
    TMP_OUT=$CACHE/.rootfs-$KEY.$$.tar.zst
    trap 'rm -f "$TMP_OUT"' EXIT
    log "rootfs: building $CACHED with mmdebstrap (cold: ~7 min; log $CACHE/rootfs-$KEY.log)"
    start=$(date +%s)
    # Modules the initramfs must carry to find the root filesystem:
    #   Pi 3/4 SD card: sdhci-iproc (Arasan/emmc2), bcm2835 (sdhost), gpio-regulator, and
    #     reset-raspberrypi (Pi 4's VL805 USB firmware); USB boot: xhci-pci (Pi 4),
    #     dwc2 (Pi 3), usb-storage, uas, sd_mod;
    #   QEMU virt: virtio_pci, virtio_mmio, virtio_blk; everywhere: ext4, crc32c_generic.
    # mmc_block, mmc_core and pcie-brcmstb are built into Debian's kernel.
    timeout -k 10 3600 mmdebstrap --arch=arm64 --variant=minbase --components=main,non-free-firmware \
        --include=systemd-sysv,udev,kmod,linux-image-arm64,raspi-firmware,firmware-brcm80211,systemd-timesyncd,systemd-resolved,alsa-utils,dosfstools,e2fsprogs \
        --aptopt='Acquire::Languages "none"' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --essential-hook='set -e
            mkdir -p "$1/etc/default" "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
            printf "dtparam=audio=on\ninclude usercfg.txt\n" > "$1/etc/default/raspi-firmware-custom"
            echo MODULES=list > "$1/etc/initramfs-tools/conf.d/dsmbox.conf"
            printf "%s\n" sdhci-iproc bcm2835 gpio-regulator reset-raspberrypi xhci-pci dwc2 \
                usb-storage uas sd_mod virtio_pci virtio_mmio virtio_blk ext4 crc32c_generic \
                > "$1/usr/share/initramfs-tools/modules.d/dsmbox"
            chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs
            printf "#!/bin/sh\necho update-initramfs: deferred by the dsmbox image build\n" > "$1/usr/sbin/update-initramfs"
            chmod 755 "$1/usr/sbin/update-initramfs"' \
        --customize-hook='set -e
            rm "$1/usr/sbin/update-initramfs"
            chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
            printf "ROOTPART=LABEL=DSMROOT\nCONSOLES=\"tty0 ttyS1,115200\"\nCMA=0\n" >> "$1/etc/default/raspi-firmware"
            chroot "$1" update-initramfs -c -k all' \
        "$SUITE" "$TMP_OUT" \
        "deb $DEBIAN_MIRROR $SUITE main non-free-firmware" \
        "deb $DEBIAN_MIRROR $SUITE-updates main non-free-firmware" \
        "deb $DEBIAN_SECURITY $SUITE-security main non-free-firmware" \
        >"$CACHE/rootfs-$KEY.log" 2>&1 || {
        tail -n 30 "$CACHE/rootfs-$KEY.log" >&2
        die "mmdebstrap failed (full log: $CACHE/rootfs-$KEY.log)"
    }
    mv "$TMP_OUT" "$CACHED"
    trap - EXIT
    log "rootfs: built in $(($(date +%s) - start)) s, $(du -m "$CACHED" | cut -f1) MiB compressed"
    # Older rootfs builds are dead weight (160+ MiB each); keep only the current one.
    find "$CACHE" -maxdepth 1 -name 'rootfs-*.tar.zst' ! -name "rootfs-$KEY.tar.zst" -delete
fi

if [ "$OUT" != "$CACHED" ]; then
    cp --reflink=auto "$CACHED" "$OUT"
fi
printf '%s\n' "$OUT"
