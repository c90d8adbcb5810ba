#!/usr/bin/env bash
# Build the container images of Beacon's integration tests from Debian packages, without any
# container registry:
#
#   beacon-test/base:<hash>      debootstrap --variant=minbase, imported with `docker import`
#   beacon-test/mariadb:<hash>   deploy/images/mariadb/Dockerfile on top of the base
#   beacon-test/rabbitmq:<hash>  deploy/images/rabbitmq/Dockerfile on top of the base
#
# Each tag is a hash of the image's inputs (its folder under deploy/images/, and the base's tag),
# so an image is built only when its inputs change; otherwise this script takes a second.
# The Debian mirror is the one apt uses on this machine (/etc/apt/sources.list{,.d/*}), or
# BEACON_DEBIAN_MIRROR.
#
# Usage: deploy/scripts/build-images.sh [--print] [--force] [--prune]
#   --print   only print the tags (no engine needed, nothing built)
#   --force   rebuild even when the tags exist
#   --prune   afterwards, remove the other beacon-test/* images (older inputs) and dangling layers
# Output (stdout, one per line): base=<tag>, mariadb=<tag>, rabbitmq=<tag>; logs go to stderr.
#
# Engine: $DOCKER_HOST if set, else the private engine of deploy/scripts/dockerd.sh (started if
# needed and left running). Needs root, debootstrap (apt-get install -y debootstrap) and the
# network to reach the Debian mirror (image builds use --network host).
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SCRIPTS/../.." && pwd -P)"
IMAGES="$REPO/deploy/images"
PREFIX="${BEACON_IMAGE_PREFIX:-beacon-test}"
LOCK_FILE="${BEACON_BUILD_LOCK:-/tmp/beacon-build-images.lock}"

PRINT_ONLY=0
FORCE=0
PRUNE=0
for arg in "$@"; do
    case "$arg" in
        --print) PRINT_ONLY=1 ;;
        --force) FORCE=1 ;;
        --prune) PRUNE=1 ;;
        *) echo "usage: $0 [--print] [--force] [--prune]" >&2; exit 2 ;;
    esac
done

log() { printf 'build-images.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Hash of every file under a folder (relative paths and contents), 16 hex digits.
hash_dir() {
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# Hash of a string, 16 hex digits.
hash_str() { printf '%s' "$1" | sha256sum | cut -c1-16; }

BASE_TAG="$PREFIX/base:$(hash_dir "$IMAGES/base")"
MARIADB_TAG="$PREFIX/mariadb:$(hash_str "$BASE_TAG $(hash_dir "$IMAGES/mariadb")")"
RABBITMQ_TAG="$PREFIX/rabbitmq:$(hash_str "$BASE_TAG $(hash_dir "$IMAGES/rabbitmq")")"

print_tags() {
    printf 'base=%s\nmariadb=%s\nrabbitmq=%s\n' "$BASE_TAG" "$MARIADB_TAG" "$RABBITMQ_TAG"
}

if ((PRINT_ONLY)); then
    print_tags
    exit 0
fi

# "URI SUITE" for each Debian source of the given suites that apt uses on this machine,
# read from both the one-line (*.list) and the deb822 (*.sources) formats.
apt_sources() {
    local suites="$1" files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    local f
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] && files+=("$f")
    done
    ((${#files[@]})) || return 0
    awk -v want=" $suites " '
        function flush(   n, i, j, u, s) {
            if (types ~ /(^| )deb( |$)/ && enabled != "no") {
                n = split(uris, u, " "); m = split(stanza_suites, s, " ")
                for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
                    if (index(want, " " s[j] " ")) print u[i], s[j]
            }
            types = ""; uris = ""; stanza_suites = ""; enabled = ""
        }
        FNR == 1 { flush() }
        /^[ \t]*#/ { next }
        FILENAME ~ /\.sources$/ {
            if ($0 ~ /^[ \t]*$/) { flush(); next }
            key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
            if (key == "types") types = $0
            else if (key == "uris") uris = $0
            else if (key == "suites") stanza_suites = $0
            else if (key == "enabled") enabled = tolower($0)
            next
        }
        $1 == "deb" {
            i = 2
            if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if (index(want, " " $(i + 1) " ")) print $i, $(i + 1)
        }
        END { flush() }
    ' "${files[@]}" | awk '!seen[$0]++'
}

build_base() {
    local SUITE VARIANT INCLUDE
    # shellcheck source=/dev/null
    source "$IMAGES/base/debootstrap.conf"
    command -v debootstrap >/dev/null 2>&1 \
        || die "debootstrap is not installed (apt-get install -y debootstrap)"
    [[ "$(id -u)" == 0 ]] || die "debootstrap needs root"

    local sources mirror
    sources="$(apt_sources "$SUITE $SUITE-updates $SUITE-security")"
    mirror="${BEACON_DEBIAN_MIRROR:-$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$sources")}"
    [[ -n "$mirror" ]] || die "no Debian mirror for $SUITE in /etc/apt/sources.list{,.d}; set BEACON_DEBIAN_MIRROR"

    local work
    work="$(mktemp -d /tmp/beacon-base.XXXXXX)"
    WORK_DIRS+=("$work")
    mkdir "$work/rootfs"

    if [[ -n "${BEACON_DEBIAN_MIRROR:-}" || -z "$sources" ]]; then
        sources="$mirror $SUITE"
    fi
    awk '{ print "deb " $1 " " $2 " main" }' <<<"$sources" >"$work/sources.list"
    # Carry over apt's Release-file checks: a snapshot mirror needs Check-Valid-Until "false".
    apt-config dump 2>/dev/null | grep -E '^Acquire::Check-(Valid-Until|Date) ' >"$work/apt.conf" || true

    log "debootstrap --variant=$VARIANT $SUITE from $mirror (about 40 s)"
    local include=()
    [[ -n "$INCLUDE" ]] && include=("--include=$INCLUDE")
    debootstrap --variant="$VARIANT" "${include[@]}" "$SUITE" "$work/rootfs" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed"
    }
    "$IMAGES/base/setup-rootfs.sh" "$work/rootfs" "$work/sources.list" "$work/apt.conf"
    rm -f "$work/debootstrap.log"

    log "docker import -> $BASE_TAG"
    tar --numeric-owner --xattrs -C "$work/rootfs" -c . \
        | docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'CMD ["/bin/bash"]' \
            --message "beacon test base: debootstrap --variant=$VARIANT $SUITE" \
            - "$BASE_TAG" >/dev/null
}

build_image() {
    local name="$1" tag="$2"
    log "docker build $IMAGES/$name -> $tag"
    local build_log
    build_log="$(mktemp /tmp/beacon-build-"$name".XXXXXX.log)"
    if ! docker build --network host --pull=false \
        --build-arg "BASE_IMAGE=$BASE_TAG" \
        --label "org.beacon.inputs=$tag" \
        -t "$tag" "$IMAGES/$name" >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2
        die "docker build of $name failed (full log: $build_log)"
    fi
    rm -f "$build_log"
}

WORK_DIRS=()
cleanup() { ((${#WORK_DIRS[@]} == 0)) || rm -rf "${WORK_DIRS[@]}"; }
trap cleanup EXIT

have_image() { ((FORCE == 0)) && docker image inspect "$1" >/dev/null 2>&1; }

if [[ -z "${DOCKER_HOST:-}" ]]; then
    DOCKER_HOST="$("$SCRIPTS/dockerd.sh" start)"
    export DOCKER_HOST
fi
command -v docker >/dev/null 2>&1 || die "no docker client on PATH"

# One build at a time on this machine (two test runs may start together).
exec 9>"$LOCK_FILE"
flock -w 900 9 || die "another build-images.sh holds $LOCK_FILE"

start=$SECONDS
if have_image "$MARIADB_TAG" && have_image "$RABBITMQ_TAG"; then
    log "images up to date ($MARIADB_TAG, $RABBITMQ_TAG)"
else
    if have_image "$BASE_TAG"; then
        log "base image up to date ($BASE_TAG)"
    else
        t=$SECONDS
        build_base
        log "base built in $((SECONDS - t)) s"
    fi
    for pair in "mariadb $MARIADB_TAG" "rabbitmq $RABBITMQ_TAG"; do
        read -r name tag <<<"$pair"
        if ! have_image "$tag"; then
            t=$SECONDS
            build_image "$name" "$tag"
            log "$name built in $((SECONDS - t)) s"
        fi
    done
    log "done in $((SECONDS - start)) s"
fi
if ((PRUNE)); then
    for kind in base mariadb rabbitmq; do
        docker image ls --format '{{.Repository}}:{{.Tag}}' "$PREFIX/$kind"
    done | while read -r image; do
        case "$image" in
            "$BASE_TAG" | "$MARIADB_TAG" | "$RABBITMQ_TAG") ;;
            *)
                if docker image rm "$image" >/dev/null 2>&1; then
                    log "removed $image"
                else
                    log "kept $image (in use)"
                fi
                ;;
        esac
    done
    docker image prune -f >/dev/null
fi
print_tags
