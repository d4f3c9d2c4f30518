# shellcheck shell=bash
# Shared helpers for the board/image scripts. Sourced, never run.
#
# Everything downloaded comes from deb.debian.org and is kept under $DSMBOX_IMAGE_CACHE
# (default /var/cache/dsmbox-image as root, ~/.cache/dsmbox-image otherwise), so a warm run
# needs no network at all.

IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$IMAGE_DIR/../.." && pwd)
if [ -n "${DSMBOX_IMAGE_CACHE:-}" ]; then
    CACHE=$DSMBOX_IMAGE_CACHE
elif [ "$(id -u)" = 0 ]; then
    CACHE=/var/cache/dsmbox-image
else
    CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/dsmbox-image
fi
DEBIAN_MIRROR=http://deb.debian.org/debian
DEBIAN_SECURITY=http://deb.debian.org/debian-security
SUITE=bookworm

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

need_root() { [ "$(id -u)" = 0 ] || die "$(basename "$0") must run as root (mmdebstrap, binfmt_misc, apt)"; }

need_cmds() {
    local c missing=()
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
    [ ${#missing[@]} = 0 ] || die "missing commands: ${missing[*]} (run board/image/install-tools.sh)"
}

# The kernel must hand arm64 ELF files to qemu-aarch64 (mmdebstrap runs maintainer scripts in
# an arm64 chroot). CI containers have no systemd as PID 1 to do this, so we do it ourselves.
# Flag F (fix binary) means the chroot needs no copy of qemu.
ensure_binfmt() {
    if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
            die "cannot mount binfmt_misc"
    fi
    if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
        [ -e /usr/lib/binfmt.d/qemu-aarch64.conf ] ||
            die "/usr/lib/binfmt.d/qemu-aarch64.conf missing (install qemu-user-binfmt)"
        /lib/systemd/systemd-binfmt /usr/lib/binfmt.d/qemu-aarch64.conf ||
            die "cannot register qemu-aarch64 with binfmt_misc"
    fi
    grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
        die "binfmt_misc entry qemu-aarch64 is disabled"
}

# --- a private arm64 apt, for downloading .debs without touching the host's dpkg ------------
# (no `dpkg --add-architecture`; its own lists, cache and an empty status file).
ARM64_APT_DIR=$CACHE/apt-arm64

arm64_apt() {
    local tool=apt-get
    if [ "$1" = --cache ]; then
        tool=apt-cache
        shift
    fi
    timeout -k 5 600 "$tool" -q \
        -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
        -o Dir::Etc::SourceList="$ARM64_APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
        -o Dir::State="$ARM64_APT_DIR/state" -o Dir::State::status="$ARM64_APT_DIR/state/status" \
        -o Dir::Cache="$ARM64_APT_DIR/cache" -o APT::Sandbox::User=root \
        -o Acquire::Languages=none -o Debug::NoLocking=1 \
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false "$@"
}

# Refreshes the private arm64 package lists when they are older than a day (or
# DSMBOX_IMAGE_REFRESH=1). A warm cache younger than that needs no network.
arm64_apt_update() {
    mkdir -p "$ARM64_APT_DIR/state/lists/partial" "$ARM64_APT_DIR/cache/archives/partial"
    touch "$ARM64_APT_DIR/state/status"
    local kr=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$ARM64_APT_DIR/sources.list" <<EOF
deb [signed-by=$kr] $DEBIAN_MIRROR $SUITE main non-free-firmware
deb [signed-by=$kr] $DEBIAN_MIRROR $SUITE-updates main non-free-firmware
deb [signed-by=$kr] $DEBIAN_SECURITY $SUITE-security main non-free-firmware
EOF
    local stamp=$ARM64_APT_DIR/updated
    if [ "${DSMBOX_IMAGE_REFRESH:-0}" = 1 ] || [ ! -e "$stamp" ] ||
        [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
        log "apt-get update (private arm64 lists, $DEBIAN_MIRROR)"
        if arm64_apt update >&2; then
            touch "$stamp"
        elif [ -e "$stamp" ]; then
            # Offline or a mirror mid-sync: yesterday's lists and .debs still make a valid test.
            log "warning: apt-get update failed; using the cached package lists"
        else
            die "arm64 apt-get update failed"
        fi
    fi
}

# Downloads the current arm64 versions of PACKAGES into $CACHE/debs and prints one .deb path
# per line, in the order given. The word `@kernel` stands for the newest bookworm kernel
# (linux-image-<abi>-arm64, what linux-image-arm64 depends on). The answer is remembered in
# a manifest until the package lists are refreshed, so a warm run does not even run apt.
arm64_fetch() {
    local dest=$CACHE/debs manifest line p v want=() names=() kernel=""
    manifest=$dest/manifest-$(printf '%s ' "$@" | sha256sum | cut -c1-12)
    mkdir -p "$dest"
    if [ -s "$manifest" ] && [ "$manifest" -nt "$ARM64_APT_DIR/updated" ]; then
        local ok=1
        while read -r line; do [ -e "$line" ] || ok=0; done <"$manifest"
        [ $ok = 1 ] && cat "$manifest" && return 0
    fi
    for p in "$@"; do
        if [ "$p" = @kernel ]; then
            kernel=$(arm64_apt --cache -o APT::Cache::AllVersions=0 show linux-image-arm64 2>/dev/null |
                sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*-arm64\).*/\1/p' | head -n 1)
            [ -n "$kernel" ] || die "cannot find the $SUITE arm64 kernel package"
            p=$kernel
        fi
        names+=("$p")
    done
    # One apt-cache call for all versions (each call parses the lists: seconds on a busy host).
    declare -A ver=()
    while read -r p v; do ver[$p]=$v; done < <(arm64_apt --cache -o APT::Cache::AllVersions=0 show "${names[@]}" 2>/dev/null |
        awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }')
    local files=()
    for p in "${names[@]}"; do
        v=${ver[$p]:-}
        [ -n "$v" ] || die "package $p not found in $SUITE arm64"
        files+=("$dest/${p}_${v//:/%3a}_arm64.deb")
        [ -e "${files[-1]}" ] || [ -e "${files[-1]%_arm64.deb}_all.deb" ] || want+=("$p=$v")
    done
    if [ ${#want[@]} -gt 0 ]; then
        log "download ${want[*]} (arm64, $DEBIAN_MIRROR)"
        (cd "$dest" && arm64_apt download "${want[@]}") >&2 || die "download of ${want[*]} failed"
    fi
    : >"$manifest.new"
    for line in "${files[@]}"; do
        [ -e "$line" ] || line=${line%_arm64.deb}_all.deb
        [ -e "$line" ] || die "download produced no $line"
        printf '%s\n' "$line" >>"$manifest.new"
    done
    mv "$manifest.new" "$manifest"
    # Superseded .debs (last week's kernel, 60 MB) are dead weight.
    local f
    for f in "$dest"/*.deb; do
        grep -qxF "$f" "$dest"/manifest-* || rm -f "$f"
    done
    cat "$manifest"
}

# Runs "$@" in the background under `timeout`, so a hung QEMU can never outlive us; the PID
# of the `timeout` process is left in QEMU_PID. Callers stop it with stop_qemu.
# QEMU's own messages (and "terminating on signal 15") go to $QEMU_STDERR when set.
QEMU_PID=""
start_qemu() {
    local limit=$1
    shift
    timeout -k 5 "$limit" "$@" </dev/null 2>>"${QEMU_STDERR:-/dev/stderr}" &
    QEMU_PID=$!
}
stop_qemu() {
    [ -n "$QEMU_PID" ] || return 0
    kill -TERM "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}
# Hard stop: SIGKILL to qemu itself (a power cut for the guest), then reap `timeout`.
cut_power_qemu() {
    [ -n "$QEMU_PID" ] || return 0
    local child
    child=$(pgrep -P "$QEMU_PID" 2>/dev/null || true)
    [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}

# Waits until FILE contains a line matching REGEX, QEMU exits, or SECONDS pass.
# Returns 0 when the line was seen.
wait_for_line() {
    local file=$1 regex=$2 secs=$3 start
    start=$(date +%s)
    while :; do
        if [ -e "$file" ] && grep -aqE "$regex" "$file"; then return 0; fi
        if [ -n "$QEMU_PID" ] && ! kill -0 "$QEMU_PID" 2>/dev/null; then
            # QEMU ended; the line may have landed just before.
            grep -aqE "$regex" "$file" 2>/dev/null
            return
        fi
        [ $(($(date +%s) - start)) -lt "$secs" ] || return 1
        sleep 0.5
    done
}

# Waits up to SECONDS for the QEMU started by start_qemu to exit by itself.
wait_qemu_exit() {
    local secs=$1 start
    start=$(date +%s)
    while [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; do
        [ $(($(date +%s) - start)) -lt "$secs" ] || return 1
        sleep 0.5
    done
}
