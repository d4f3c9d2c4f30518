#!/usr/bin/env bash
# The fast boot test (docs/image.md §5): Debian's arm64 kernel + a busybox initramfs holding
# our dsmbox binary, booted in qemu-system-aarch64 with a small FAT "boot partition" disk.
#
#   board/image/initramfs-smoke.sh BINARY [virt] [raspi3b] [--timeout SECONDS]
#
# With no machine named, boots both (one after the other: they share the downloads, the
# kernel and the initramfs). TIMEOUT is per boot (default 90 s; a boot takes 4-12 s).
#
# BINARY: the aarch64 dsmbox, the same file that goes into the image (the gnu build with
# `analog`; its shared libraries are taken from Debian's arm64 packages). A static musl
# binary works too (then no libraries are added).
#
# In the guest, /init mounts the FAT partition (virtio vda1 on virt, the SD card mmcblk0p1 on
# raspi3b) read-only at /boot/firmware, like the image does, and runs:
#   dsmbox --version
#   dsmbox check --config /boot/firmware/dsmbox --defaults /etc/dsmbox   (what ships, as on the box)
#   dsmbox check --config /boot/firmware/smoke  --defaults /etc/dsmbox   (an installer's edit)
#   dsmbox run   --config /boot/firmware/smoke  --defaults /etc/dsmbox   until it listens, then SIGTERM
# The "installer's edit" is a dsmbox.conf saved by a Windows editor (UTF-8 BOM, CRLF) that
# moves SIP to 127.0.0.1:5062, so the listening line proves the FAT file overrode the defaults.
#
# Downloads (kernel, busybox, libc: about 64 MB from deb.debian.org) are cached under
# $DSMBOX_IMAGE_CACHE. Serial logs go to $DSMBOX_TEST_LOGS/image. Prints "N passed, N failed".
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 BINARY [virt] [raspi3b] [--timeout SECONDS]"
[ -r "$1" ] || die "no binary $1"
BINARY=$(realpath "$1")
shift
MACHINES=() LIMIT=90
while [ $# -gt 0 ]; do
    case $1 in
    virt | raspi3b) MACHINES+=("$1") ;;
    --timeout) LIMIT=${2:?--timeout needs seconds} && shift ;;
    *) die "unknown argument $1 (machines: virt, raspi3b)" ;;
    esac
    shift
done
[ ${#MACHINES[@]} -gt 0 ] || MACHINES=(virt raspi3b)
need_cmds qemu-system-aarch64 dpkg-deb cpio mkfs.vfat mcopy sfdisk readelf modinfo
readelf -h "$BINARY" 2>/dev/null | grep -q 'Machine:.*AArch64' || die "$BINARY is not an aarch64 ELF"
LOGS=${DSMBOX_TEST_LOGS:-$REPO_ROOT/target/test-logs}/image
mkdir -p "$LOGS" "$CACHE"

# Modules each machine needs to mount its FAT partition (dependencies are added below).
# GPIO (pl061 / pinctrl-bcm2835), mmc_block and virtio core are built into Debian's kernel.
declare -A WANT=(
    [virt]="virtio_pci virtio_blk vfat nls_cp437 nls_ascii nls_utf8"
    [raspi3b]="sdhci-iproc bcm2835 vfat nls_cp437 nls_ascii nls_utf8"
)

WORK=$(mktemp -d /tmp/dsmbox-smoke.XXXXXX)
cleanup() {
    stop_qemu
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. Debian packages (cached) --------------------------------------------------------------
arm64_apt_update
mapfile -t DEBS < <(arm64_fetch @kernel busybox-static libc6 libgcc-s1 libasound2)
[ ${#DEBS[@]} = 5 ] || die "downloading the Debian packages failed"
KPKG=$(basename "${DEBS[0]}")
KPKG=${KPKG%%_*}

# --- 2. kernel, DTB and the modules we need, extracted once per kernel version ----------------
KDIR=$CACHE/smoke-kernel/${KPKG#linux-image-}
if [ ! -e "$KDIR/.complete" ]; then
    log "extract kernel and modules from $(basename "${DEBS[0]}")"
    rm -rf "$CACHE/smoke-kernel" # other kernel versions included: superseded
    mkdir -p "$KDIR/modules"
    # One uncompressed copy of the data tarball makes the two extraction passes cheap.
    dpkg-deb --fsys-tarfile "${DEBS[0]}" >"$WORK/kernel.tar"
    tar -tf "$WORK/kernel.tar" >"$WORK/kernel.list"
    tar -xf "$WORK/kernel.tar" -C "$WORK" --wildcards './boot/vmlinuz-*' './lib/modules/*/modules.builtin' \
        './usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb'
    cp "$WORK"/boot/vmlinuz-* "$KDIR/vmlinuz"
    cp "$WORK"/usr/lib/linux-image-*/broadcom/bcm2837-rpi-3-b.dtb "$KDIR/"
    # Names normalised to underscores, as the kernel itself treats them.
    sed -n 's#.*/\([^/]*\)\.ko$#\1#p' "$WORK"/lib/modules/*/modules.builtin | tr - _ >"$KDIR/builtin"
    # Dependency closure, post-order (a module after everything it needs).
    declare -A SEEN=()
    ORDER=()
    visit() {
        local name=${1//-/_} path dep
        [ -z "${SEEN[$name]:-}" ] || return 0
        SEEN[$name]=1
        grep -qx "$name" "$KDIR/builtin" && return 0
        path=$(awk -v n="$name" '{ f = $0; sub(/.*\//, "", f); sub(/\.ko$/, "", f); gsub(/-/, "_", f); if (f == n) { print; exit } }' "$WORK/kernel.list")
        [ -n "$path" ] || die "module $name is not in $KPKG"
        tar -xf "$WORK/kernel.tar" -C "$WORK" "$path"
        for dep in $(modinfo -F depends "$WORK/$path" | tr , ' '); do visit "$dep"; done
        cp "$WORK/$path" "$KDIR/modules/$name.ko"
        ORDER+=("$name")
    }
    for m in ${WANT[virt]}; do visit "$m"; done
    printf '%s\n' "${ORDER[@]}" >"$KDIR/load-virt"
    SEEN=()
    ORDER=()
    for m in ${WANT[raspi3b]}; do visit "$m"; done
    printf '%s\n' "${ORDER[@]}" >"$KDIR/load-raspi3b"
    rm -f "$WORK/kernel.tar"
    touch "$KDIR/.complete"
fi

# --- 3. the initramfs ---------------------------------------------------------------------------
IRD=$WORK/initramfs
mkdir -p "$IRD"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,boot/firmware,var/lib/dsmbox,lib/modules,lib/aarch64-linux-gnu}
dpkg-deb --fsys-tarfile "${DEBS[1]}" | tar -x -C "$WORK" ./bin/busybox
cp "$WORK/bin/busybox" "$IRD/bin/busybox"
install -m 0755 "$BINARY" "$IRD/usr/bin/dsmbox"
# Shared libraries, recursively, from Debian's arm64 packages (nothing for a static binary).
LIBROOT=$WORK/libs
mkdir -p "$LIBROOT"
for deb in "${DEBS[@]:2}"; do dpkg-deb -x "$deb" "$LIBROOT"; done
copy_needed() {
    local lib found dir
    for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -e "$IRD/lib/aarch64-linux-gnu/$lib" ] && continue
        found=""
        for dir in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
            [ -e "$LIBROOT/$dir/$lib" ] && found=$LIBROOT/$dir/$lib && break
        done
        [ -n "$found" ] || die "$(basename "$1") needs $lib, not found in ${DEBS[*]:2}"
        cp -L "$found" "$IRD/lib/aarch64-linux-gnu/$lib"
        copy_needed "$IRD/lib/aarch64-linux-gnu/$lib"
    done
}
copy_needed "$BINARY"
interp=$(readelf -l "$BINARY" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
if [ -n "$interp" ]; then
    mkdir -p "$IRD/$(dirname "$interp")"
    cp -L "$LIBROOT/$interp" "$IRD/$interp"
fi
printf 'root:x:0:0:root:/:/bin/sh\n' >"$IRD/etc/passwd"
printf 'root:x:0:\n' >"$IRD/etc/group"
# The shipped defaults, where the image has them.
cp -R "$REPO_ROOT/rootfs-overlay/etc/dsmbox" "$IRD/etc/dsmbox"
if [ -d "$REPO_ROOT/rootfs-overlay/usr/share/dsmbox" ]; then
    mkdir -p "$IRD/usr/share"
    cp -R "$REPO_ROOT/rootfs-overlay/usr/share/dsmbox" "$IRD/usr/share/dsmbox"
fi

cat >"$IRD/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
say() { echo "SMOKE: $*"; }
say "init uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /lib/modules/load.order); do
    insmod /lib/modules/$m.ko || say "insmod_failed=$m"
done
ip link set lo up
dev=""
for i in $(seq 100); do
    for d in vda1 mmcblk0p1; do [ -b /dev/$d ] && dev=$d; done
    [ -n "$dev" ] && break
    sleep 0.2
done
if [ -n "$dev" ] && mount -t vfat -o ro /dev/$dev /boot/firmware; then
    say "fat=$dev:$(awk '$2 == "/boot/firmware" { split($4, o, ","); print $3 ":" o[1] }' /proc/mounts)"
else
    say "fat=missing"
fi
say "version=$(/usr/bin/dsmbox --version 2>&1 | tr ' ' _)"
oneline() { tr '\n ' '|_' <"$1" | cut -c1-300; }
/usr/bin/dsmbox check --config /boot/firmware/dsmbox --defaults /etc/dsmbox >/tmp/c1 2>&1
say "check_shipped=$? $(oneline /tmp/c1)"
/usr/bin/dsmbox check --config /boot/firmware/smoke --defaults /etc/dsmbox >/tmp/c2 2>&1
say "check_edited=$? $(oneline /tmp/c2)"
/usr/bin/dsmbox run --config /boot/firmware/smoke --defaults /etc/dsmbox >/tmp/run.out 2>/tmp/run.err &
pid=$!
for i in $(seq 100); do
    grep -q 'listening: sip udp' /tmp/run.out && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.2
done
say "listen=$(sed -n 's/.*listening: sip udp //p' /tmp/run.out)"
say "udp_socket=$(netstat -uln | awk '$4 ~ /:5062$/ { print $4 }')"
kill -TERM $pid 2>/dev/null
wait $pid
say "run_exit=$? $(oneline /tmp/run.err)"
say "gpiochips=$(ls /dev/gpiochip* 2>/dev/null | wc -l)"
say "uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "SMOKE-END"
poweroff -f
EOF
chmod 755 "$IRD/init"

# --- 4. the FAT "boot partition" disk ----------------------------------------------------------
# 64 MiB (the SD card model needs a power of two), partition 1 from 4 MiB as on the image.
DISK=$WORK/sd.img
truncate -s 64M "$DISK"
printf 'label: dos\nstart=8192, type=c, bootable\n' | sfdisk -q "$DISK"
mkfs.vfat -F 32 -s 1 -h 8192 -n DSMBOOT --offset=8192 "$DISK" $(((64 - 4) * 1024)) 2>&1 |
    grep -v -e '^mkfs.fat' -e 'block count mismatch' >&2 || true
FAT="$DISK@@$((8192 * 512))"
mmd -i "$FAT" ::/dsmbox ::/smoke
if [ -n "$(ls -A "$REPO_ROOT/rootfs-overlay/boot/firmware/dsmbox" 2>/dev/null)" ]; then
    mcopy -s -i "$FAT" "$REPO_ROOT"/rootfs-overlay/boot/firmware/dsmbox/* ::/dsmbox/
fi
printf '\xef\xbb\xbf# edited on Windows: BOM and CRLF line endings\r\nsip_ip=127.0.0.1\r\nsip_port=5062\r\n' >"$WORK/dsmbox.conf"
mcopy -i "$FAT" "$WORK/dsmbox.conf" ::/smoke/dsmbox.conf

# --- 5. boot each machine -----------------------------------------------------------------------
PASS=0 FAIL=0
# MACHINE and SERIAL below are smoke()'s locals (bash scoping is dynamic).
value() { grep -a "^SMOKE: $1=" "$SERIAL" | tail -n 1 | tr -d '\r' | sed "s/^SMOKE: $1=//"; }
check() { # check NAME EXPECTED-REGEX
    local got
    got=$(value "$1")
    if [[ $got =~ ^($2)$ ]]; then
        PASS=$((PASS + 1))
        printf '  ok    %-7s %-14s %s\n' "$MACHINE" "$1" "$got"
    else
        FAIL=$((FAIL + 1))
        printf '  FAIL  %-7s %-14s %s (expected %s)\n' "$MACHINE" "$1" "${got:-<none>}" "$2"
    fi
}

smoke() {
    local MACHINE=$1 SERIAL=$LOGS/smoke-$1.log started secs m
    QEMU_STDERR=$LOGS/smoke-$1.qemu-stderr
    rm -f "$IRD"/lib/modules/*
    while read -r m; do cp "$KDIR/modules/$m.ko" "$IRD/lib/modules/"; done <"$KDIR/load-$MACHINE"
    cp "$KDIR/load-$MACHINE" "$IRD/lib/modules/load.order"
    (cd "$IRD" && find . | cpio -o -H newc --owner=0:0 --quiet) >"$WORK/initramfs.cpio"

    local qemu=(qemu-system-aarch64 -display none -monitor none -no-reboot -nic none
        -kernel "$KDIR/vmlinuz" -initrd "$WORK/initramfs.cpio")
    if [ "$MACHINE" = virt ]; then
        qemu+=(-M virt -cpu cortex-a72 -smp 2 -m 512 -append "console=ttyAMA0 panic=-1 rdinit=/init"
            -drive "file=$DISK,format=raw,if=virtio" -serial "file:$SERIAL")
    else
        # raspi3b has 4 vCPUs; on 2 busy host cores multi-threaded TCG is up to 10x slower.
        qemu+=(-M raspi3b -accel tcg,thread=single -dtb "$KDIR/bcm2837-rpi-3-b.dtb"
            -append "console=ttyS1,115200 panic=-1 rdinit=/init"
            -drive "file=$DISK,format=raw,if=sd" -serial null -serial "file:$SERIAL")
    fi
    : >"$SERIAL"
    : >"$QEMU_STDERR"
    log "$MACHINE: booting $KPKG + initramfs with $(basename "$BINARY") (serial log $SERIAL)"
    started=$(date +%s)
    start_qemu $((LIMIT + 10)) "${qemu[@]}"
    if wait_for_line "$SERIAL" '^SMOKE-END' "$LIMIT"; then
        secs=$(($(date +%s) - started))
        PASS=$((PASS + 1))
        printf '  ok    %-7s %-14s in %s s\n' "$MACHINE" boot "$secs"
    else
        secs=$(($(date +%s) - started))
        FAIL=$((FAIL + 1))
        printf '  FAIL  %-7s %-14s no SMOKE-END after %s s; last serial lines:\n' "$MACHINE" boot "$secs"
        tail -n 25 "$SERIAL" | sed 's/^/        /'
        sed 's/^/  qemu: /' "$QEMU_STDERR"
    fi
    # busybox `poweroff -f` ends virt, but raspi3b only halts: stop QEMU either way.
    stop_qemu
    if [ "$MACHINE" = virt ]; then check fat 'vda1:vfat:ro'; else check fat 'mmcblk0p1:vfat:ro'; fi
    check version 'dsmbox_[0-9]+\.[0-9]+\.[0-9]+.*'
    check check_shipped '0 .*:_ok.*'
    check check_edited '0 .*:_ok.*'
    check listen '127\.0\.0\.1:5062'
    check udp_socket '127\.0\.0\.1:5062'
    check run_exit '0 .*'
    check gpiochips '[1-9][0-9]*'
    grep -a '^SMOKE: insmod_failed=' "$SERIAL" | sed 's/^/  warn  /' || true
}

for machine in "${MACHINES[@]}"; do smoke "$machine"; done
echo "initramfs-smoke ${MACHINES[*]}: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
