#!/usr/bin/env bash
# Assembles the flashable dsmbox SD-card image from a rootfs tarball and the dsmbox binary.
#
#   board/image/assemble-image.sh ROOTFS_TAR BINARY OUT.img [--test]
#
# ROOTFS_TAR comes from build-rootfs.sh; BINARY is the aarch64 `dsmbox` (the gnu build with
# --features analog; its shared libraries must be in the rootfs, which is checked here).
# --test adds board/image/test-overlay (the boot-smoketest unit and a fake ALSA card for QEMU):
# never ship a --test image.
#
# No loop devices, mounts or emulation (docs/image.md): partitions are written in place with
# sfdisk, mkfs.vfat --offset + mtools, and mkfs.ext4 -E offset= -d. Takes 5-15 s.
#
# Layout (MiB):  0-4 gap | p1 FAT32 DSMBOOT 256 | p2 ext4 DSMROOT 1024 | p3 ext4 DSMDATA 256
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: $0 ROOTFS_TAR BINARY OUT.img [--test]"
ROOTFS_TAR=$1 BINARY=$2 OUT=$3 TEST=${4:-}
[ -z "$TEST" ] || [ "$TEST" = --test ] || die "unknown option $TEST"
need_root
need_cmds sfdisk mkfs.vfat mcopy mdir mkfs.ext4 e2fsck fsck.fat systemd-sysusers systemctl readelf tar zstd
[ -r "$ROOTFS_TAR" ] || die "no rootfs tarball $ROOTFS_TAR"
[ -r "$BINARY" ] || die "no binary $BINARY"
readelf -h "$BINARY" 2>/dev/null | grep -q 'Machine:.*AArch64' || die "$BINARY is not an aarch64 ELF"

OVERLAY=$REPO_ROOT/rootfs-overlay
TEST_OVERLAY=$IMAGE_DIR/test-overlay

# Partition geometry in 512-byte sectors.
MIB=2048
BOOT_START=$((4 * MIB)) BOOT_SIZE=$((256 * MIB))
ROOT_START=$((BOOT_START + BOOT_SIZE)) ROOT_SIZE=$((1024 * MIB))
DATA_START=$((ROOT_START + ROOT_SIZE)) DATA_SIZE=$((256 * MIB))
TOTAL=$((DATA_START + DATA_SIZE))

start=$(date +%s)
WORK=$(mktemp -d "$(dirname "$(realpath -m "$OUT")")/.assemble.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/root BOOTFS=$WORK/boot DATAFS=$WORK/data
mkdir -p "$STAGE" "$BOOTFS" "$DATAFS"

log "unpack $ROOTFS_TAR"
tar -C "$STAGE" --numeric-owner --xattrs --xattrs-include='*' -xpf "$ROOTFS_TAR"

log "overlay $OVERLAY${TEST:+ + $TEST_OVERLAY}"
# Owned by root whoever checked the repository out; symlinks (resolv.conf) replace files.
cp -R --no-dereference --preserve=mode,timestamps,links --remove-destination "$OVERLAY"/. "$STAGE"/
install -m 0755 "$BINARY" "$STAGE/usr/bin/dsmbox"
[ -z "$TEST" ] || cp -R --no-dereference --preserve=mode,timestamps,links --remove-destination "$TEST_OVERLAY"/. "$STAGE"/

# Every library the binary needs must be in the image (e.g. libasound.so.2 for `analog`).
for lib in $(readelf -d "$BINARY" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    ls "$STAGE"/usr/lib/aarch64-linux-gnu/"$lib" "$STAGE"/lib/aarch64-linux-gnu/"$lib" >/dev/null 2>&1 ||
        die "$BINARY needs $lib, which the rootfs does not have"
done

# Users and enabled units are made here, on the host (no emulation): the box's root is
# read-only and could not create them at boot.
systemd-sysusers --root="$STAGE" >/dev/null 2>&1
ENABLE=(dsmbox.service dsmbox-check.service systemd-networkd.service systemd-resolved.service systemd-timesyncd.service)
[ -z "$TEST" ] || ENABLE+=(boot-smoketest.service)
systemctl --root="$STAGE" enable "${ENABLE[@]}" >/dev/null 2>&1
# Timers that would download package lists into the RAM-backed /var of a read-only box.
systemctl --root="$STAGE" mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer >/dev/null 2>&1

# The FAT partition gets /boot/firmware (Pi firmware, kernel, initrd, DTBs, config.txt from
# raspi-firmware's hooks; cmdline.txt, usercfg.txt and dsmbox/ from the overlay). The root
# keeps an empty mount point. Kernel and initrd are only needed on the FAT partition.
cp -R --preserve=mode,timestamps "$STAGE"/boot/firmware/. "$BOOTFS"/
find "$STAGE/boot/firmware" -mindepth 1 -delete
rm -f "$STAGE"/boot/vmlinuz-* "$STAGE"/boot/initrd.img-* "$STAGE"/boot/vmlinuz "$STAGE"/boot/initrd.img \
    "$STAGE"/vmlinuz* "$STAGE"/initrd.img*
grep -q '^kernel=' "$BOOTFS/config.txt" || die "no kernel= in config.txt: raspi-firmware hooks did not run"

# The data partition's top directory belongs to the service user (StateDirectory= would fix
# it at start too, but the first boot should not need to).
DSMBOX_UID=$(awk -F: '$1 == "dsmbox" {print $3}' "$STAGE/etc/passwd")
DSMBOX_GID=$(awk -F: '$1 == "dsmbox" {print $4}' "$STAGE/etc/passwd")
[ -n "$DSMBOX_UID" ] || die "systemd-sysusers did not create the dsmbox user"
chown "$DSMBOX_UID:$DSMBOX_GID" "$DATAFS"
chmod 0750 "$DATAFS"

log "partition $OUT ($((TOTAL / MIB)) MiB)"
rm -f "$OUT"
truncate -s $((TOTAL * 512)) "$OUT"
sfdisk -q "$OUT" <<EOF
label: dos
start=$BOOT_START, size=$BOOT_SIZE, type=c, bootable
start=$ROOT_START, size=$ROOT_SIZE, type=83
start=$DATA_START, size=$DATA_SIZE, type=83
EOF

# FAT32 with 1 sector per cluster: at 256 MiB the default 8 gives fewer than 65525 clusters,
# which mtools refuses as FAT32. -h: hidden sectors = partition start, as a partition needs.
mkfs.vfat -F 32 -s 1 -h $BOOT_START -n DSMBOOT --offset=$BOOT_START "$OUT" $((BOOT_SIZE / 2)) 2>&1 |
    grep -v -e '^mkfs.fat' -e 'block count mismatch' >&2 || true
mcopy -s -p -m -i "$OUT@@$((BOOT_START * 512))" "$BOOTFS"/* ::/
mkfs.ext4 -q -F -L DSMROOT -E offset=$((ROOT_START * 512)) -d "$STAGE" "$OUT" $((ROOT_SIZE / 2))k
# -m 1: root's reserved blocks are of no use on a partition only dsmbox writes to.
mkfs.ext4 -q -F -L DSMDATA -m 1 -E offset=$((DATA_START * 512)) -d "$DATAFS" "$OUT" $((DATA_SIZE / 2))k

log "verify"
e2fsck -fn "$OUT?offset=$((ROOT_START * 512))" >"$WORK/fsck" 2>&1 || { cat "$WORK/fsck" >&2; die "DSMROOT does not pass e2fsck"; }
e2fsck -fn "$OUT?offset=$((DATA_START * 512))" >"$WORK/fsck" 2>&1 || { cat "$WORK/fsck" >&2; die "DSMDATA does not pass e2fsck"; }
dd if="$OUT" of="$WORK/boot.fat" bs=1M skip=4 count=256 conv=sparse status=none
fsck.fat -n "$WORK/boot.fat" >/dev/null || die "DSMBOOT does not pass fsck.fat"
mdir -i "$OUT@@$((BOOT_START * 512))" -b ::/dsmbox >/dev/null || die "no dsmbox/ folder on DSMBOOT"

used=$(du -m "$STAGE" -s | cut -f1)
log "assembled $OUT in $(($(date +%s) - start)) s: root $used MiB used of 1024, $(du -m "$OUT" | cut -f1) MiB allocated"
