#!/usr/bin/env bash
# Boots a --test image (assemble-image.sh --test) in qemu-system-aarch64 and checks the
# BOOT-SMOKETEST line that the image's boot-smoketest.service prints on the serial console.
#
#   board/image/qemu-boot-test.sh IMG TIMEOUT virt|raspi3b [--powercut]
#
# TIMEOUT: seconds per boot until the line must appear (virt ~1 min, raspi3b ~2 min on TCG).
# --powercut: boot twice. The first boot is killed (SIGKILL to QEMU, the data partition still
# mounted) right after its line; the second must find what the first wrote to /var/lib/dsmbox
# (a boot counter and the SQLite callee table), with e2fsck having replayed the journal.
#
# IMG is never written: each run boots a sparse copy of it. QEMU does not run the Pi's
# GPU firmware, so the kernel, initrd, DTB and cmdline.txt are taken from the FAT partition
# (config.txt names them) and passed with -kernel/-initrd/-dtb/-append. Serial logs go to
# $DSMBOX_TEST_LOGS/image (default target/test-logs/image). Prints "N passed, N failed".
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: $0 IMG TIMEOUT virt|raspi3b [--powercut]"
IMG=$(realpath "$1") LIMIT=$2 MACHINE=$3 MODE=${4:-}
case $MACHINE in virt | raspi3b) ;; *) die "machine must be virt or raspi3b" ;; esac
[ -z "$MODE" ] || [ "$MODE" = --powercut ] || die "unknown option $MODE"
need_cmds qemu-system-aarch64 mtype mcopy
LOGS=${DSMBOX_TEST_LOGS:-$REPO_ROOT/target/test-logs}/image
mkdir -p "$LOGS"

WORK=$(mktemp -d /tmp/dsmbox-boot.XXXXXX)
cleanup() {
    stop_qemu
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- kernel, initrd, DTB and command line from the FAT partition ------------------------------
FAT="$IMG@@$((4 * 1024 * 1024))"
mtype -i "$FAT" ::/config.txt >"$WORK/config.txt"
KERNEL=$(sed -n 's/^kernel=//p' "$WORK/config.txt" | tr -d '\r' | tail -n 1)
INITRD=$(sed -n 's/^initramfs \([^ ]*\).*/\1/p' "$WORK/config.txt" | tr -d '\r' | tail -n 1)
[ -n "$KERNEL" ] && [ -n "$INITRD" ] || die "config.txt names no kernel= / initramfs"
mcopy -n -i "$FAT" "::/$KERNEL" "$WORK/vmlinuz"
mcopy -n -i "$FAT" "::/$INITRD" "$WORK/initrd.img"
CMDLINE=$(mtype -i "$FAT" ::/cmdline.txt | tr -d '\r\n')
# The shipped command line ends with console=tty0 so that the screen (HDMI) is /dev/console,
# where an installer sees systemd's messages and dsmbox-check's verdict. QEMU has no screen
# here: drop it, so the serial port is /dev/console and the log shows everything.
CMDLINE=${CMDLINE//console=tty0/}
# The guest writes to a sparse raw copy (IMG stays as built). Not a qcow2 overlay: on raspi3b
# a power cut (SIGKILL) then lost everything the first boot had written and synced to the data
# partition (measured: data_boots=1, fsck "clean"). qcow2 keeps new cluster mappings in QEMU's
# memory until the guest flushes, and the guest's SD card driver sends no flushes.
cp --sparse=always --reflink=auto "$IMG" "$WORK/disk.img"
if [ "$MACHINE" = raspi3b ]; then
    mcopy -n -i "$FAT" ::/bcm2837-rpi-3-b.dtb "$WORK/board.dtb"
    # The SD card model needs a power-of-two size.
    truncate -s 2G "$WORK/disk.img"
else
    # virt has a PL011 (ttyAMA0) where the Pi's mini UART console is ttyS1.
    CMDLINE=${CMDLINE//console=ttyS1,115200/console=ttyAMA0}
fi

# Boots once; sets LINE (the BOOT-SMOKETEST line or "") and SECS (seconds to it).
boot() {
    local serial=$1 extra=$2 started
    local append="$CMDLINE panic=-1 $extra"
    local qemu=(qemu-system-aarch64 -display none -monitor none -no-reboot -nic none
        -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img" -append "$append")
    if [ "$MACHINE" = virt ]; then
        qemu+=(-M virt -cpu cortex-a72 -smp 2 -m 1024
            -drive "file=$WORK/disk.img,format=raw,if=virtio" -serial "file:$serial")
    else
        # raspi3b has 4 vCPUs; on 2 busy host cores multi-threaded TCG is 2-3x slower.
        qemu+=(-M raspi3b -accel tcg,thread=single -dtb "$WORK/board.dtb"
            -drive "file=$WORK/disk.img,format=raw,if=sd" -serial null -serial "file:$serial")
    fi
    : >"$serial"
    QEMU_STDERR=${serial%.log}.qemu-stderr
    : >"$QEMU_STDERR"
    started=$(date +%s)
    start_qemu $((LIMIT + 60)) "${qemu[@]}"
    # Not anchored: on the console the line may follow a getty prompt ("dsmbox login: ").
    if wait_for_line "$serial" 'BOOT-SMOKETEST: failed=' "$LIMIT"; then
        LINE=$(grep -ao 'BOOT-SMOKETEST: failed=.*' "$serial" | tail -n 1 | tr -d '\r')
    else
        LINE=""
    fi
    SECS=$(($(date +%s) - started))
}

PASS=0 FAIL=0
check() { # check NAME ACTUAL EXPECTED-REGEX
    if [[ $2 =~ ^($3)$ ]]; then
        PASS=$((PASS + 1))
        printf '  ok    %-14s %s\n' "$1" "$2"
    else
        FAIL=$((FAIL + 1))
        printf '  FAIL  %-14s %s (expected %s)\n' "$1" "$2" "$3"
    fi
}
declare -A V
parse() {
    V=()
    local kv
    for kv in ${LINE#BOOT-SMOKETEST: }; do V[${kv%%=*}]=${kv#*=}; done
}

# Checks one boot's line; $1 is the number of boots this data partition has seen.
check_boot() {
    local n=$1 tag=$2
    parse
    check "$tag:failed" "${V[failed]:-?}" '\[-\]'
    check "$tag:dsmbox" "${V[dsmbox]:-?}" active
    check "$tag:restarts" "${V[restarts]:-?}" 0
    check "$tag:user" "${V[user]:-?}" dsmbox
    # Supplementary groups: SupplementaryGroups= plus the user's own group (initgroups).
    check "$tag:groups" "${V[groups]:-?}" 'audio\+dsmbox\+gpio'
    check "$tag:capamb" "${V[capamb]:-?}" 0000000000000400
    check "$tag:listen" "${V[listen]:-?}" '0\.0\.0\.0:5060'
    check "$tag:udp_owner" "${V[udp_owner]:-?}" dsmbox
    check "$tag:check" "${V[check]:-?}" ok
    check "$tag:boot_check" "${V[boot_check]:-?}" active
    check "$tag:root" "${V[root]:-?}" ext4:ro
    check "$tag:var" "${V[var]:-?}" tmpfs
    check "$tag:boot" "${V[boot]:-?}" vfat:ro
    check "$tag:data" "${V[data]:-?}" ext4:rw
    if [ "$n" = 1 ]; then
        check "$tag:fsck_data" "${V[fsck_data]:-?}" success:clean
    else
        check "$tag:fsck_data" "${V[fsck_data]:-?}" success:recovered
        check "$tag:db_before" "${V[db_before]:-?}" '[1-9][0-9]*'
    fi
    check "$tag:data_boots" "${V[data_boots]:-?}" "$n"
    check "$tag:db_after" "${V[db_after]:-?}" '[1-9][0-9]*'
    check "$tag:gpiochip0" "${V[gpiochip0]:-?}" root:gpio:660
    check "$tag:snd" "${V[snd]:-?}" root:audio:660
    check "$tag:sandbox" "${V[sandbox]:-?}" 'gpio_open=ok,snd_open=ok,other_dev=denied,data_write=ok,etc_write=denied'
    # The control for other_dev: the same 0666 node opens outside dsmbox's cgroup.
    check "$tag:blk_open_outside" "${V[blk_open_outside]:-?}" ok
    printf '  info  %-14s %s\n' "$tag:sip_reply" "${V[sip_reply]:-?}"
}

run_boot() { # run_boot N TAG KERNEL-EXTRA
    local n=$1 tag=$2 extra=$3 serial="$LOGS/serial-$MACHINE-$2.log"
    log "$MACHINE $tag: booting $(basename "$IMG") (limit $LIMIT s, serial log $serial)"
    boot "$serial" "$extra"
    if [ -z "$LINE" ]; then
        FAIL=$((FAIL + 1))
        printf '  FAIL  %-14s no BOOT-SMOKETEST line after %s s; last serial lines:\n' "$tag:boot" "$SECS"
        tail -n 25 "$serial" | sed 's/^/        /'
        sed 's/^/  qemu: /' "$QEMU_STDERR"
        return 1
    fi
    PASS=$((PASS + 1))
    printf '  ok    %-14s BOOT-SMOKETEST line after %s s\n' "$tag:boot" "$SECS"
    printf '%s\n' "$LINE"
    check_boot "$n" "$tag"
}

if [ "$MODE" = --powercut ]; then
    if run_boot 1 boot1 dsmbox.smoketest=powercut; then
        log "$MACHINE boot1: cutting the power"
        cut_power_qemu
        run_boot 2 boot2 "" || true
    fi
else
    run_boot 1 boot1 "" || true
fi
# A clean boot powers itself off (virt); raspi3b only halts, so give it a moment, then stop it.
wait_qemu_exit 20 || true
stop_qemu
echo "qemu-boot-test $MACHINE: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
