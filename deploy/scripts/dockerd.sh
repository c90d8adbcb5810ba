#!/usr/bin/env bash
# Run a private Docker engine for Beacon's integration tests.
#
#   deploy/scripts/dockerd.sh start    start it (no-op when already running); prints DOCKER_HOST
#   deploy/scripts/dockerd.sh stop     stop it by its pid and wait until it is gone
#   deploy/scripts/dockerd.sh status   exit 0 and print DOCKER_HOST when it answers, else exit 1
#   deploy/scripts/dockerd.sh host     print the DOCKER_HOST it uses (running or not)
#   deploy/scripts/dockerd.sh run-dir  print the folder of its runtime files
#
# The engine keeps its images in a data root outside the repository, kept between runs, and is
# started so that it leaves the machine's network alone: no docker0 bridge, no iptables or
# ip6tables rules, no change of ip_forward. Containers must therefore use host networking.
# Only stdout carries the DOCKER_HOST value, so `export DOCKER_HOST=$(dockerd.sh start)` works;
# messages go to stderr.
#
# Settings (environment):
#   BEACON_DOCKERD_DATA_ROOT   data root      (default /var/lib/beacon-docker)
#   BEACON_DOCKERD_RUN_DIR     runtime files  (default /run/beacon-docker: exec-root, pid, socket)
#   BEACON_DOCKERD_TIMEOUT     seconds to wait for start/stop (default 60)
set -euo pipefail

DATA_ROOT="${BEACON_DOCKERD_DATA_ROOT:-/var/lib/beacon-docker}"
RUN_DIR="${BEACON_DOCKERD_RUN_DIR:-/run/beacon-docker}"
TIMEOUT="${BEACON_DOCKERD_TIMEOUT:-60}"

EXEC_ROOT="$RUN_DIR/exec"
PID_FILE="$RUN_DIR/dockerd.pid"
SOCKET="$RUN_DIR/docker.sock"
LOCK_FILE="$RUN_DIR/dockerd.lock"
# Written by the Python test backends when they start the engine: the last test process using
# it then stops it. Removed whenever the engine is (re)started or stopped by this script.
TESTS_MARKER="$RUN_DIR/started-by-tests"
LOG_FILE="$DATA_ROOT/dockerd.log"
HOST="unix://$SOCKET"

# Serialise start and stop (two test runs may start the engine at the same moment).
lock() {
    mkdir -p "$RUN_DIR"
    exec 8>"$LOCK_FILE"
    flock -w "$((TIMEOUT * 2))" 8 || die "another dockerd.sh holds $LOCK_FILE"
}

log() { printf 'dockerd.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The pid from the pid file, if that process is alive and is a dockerd.
running_pid() {
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/comm" ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "dockerd" ]] || return 1
    printf '%s\n' "$pid"
}

# True when the engine answers on our socket.
answers() {
    [[ -S "$SOCKET" ]] || return 1
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 3 --unix-socket "$SOCKET" http://localhost/_ping >/dev/null 2>&1
    else
        timeout 5 docker -H "$HOST" version --format '{{.Server.Version}}' >/dev/null 2>&1
    fi
}

check_data_root() {
    local repo
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
    mkdir -p "$DATA_ROOT"
    case "$(cd "$DATA_ROOT" && pwd -P)/" in
        "$repo"/*) die "data root $DATA_ROOT is inside the repository $repo; use a path outside it" ;;
    esac
}

cmd_start() {
    local pid deadline
    if pid="$(running_pid)"; then
        log "dockerd already running (pid $pid); waiting until it answers"
    else
        command -v dockerd >/dev/null 2>&1 \
            || die "no dockerd binary (install it: apt-get install -y docker.io)"
        [[ "$(id -u)" == 0 ]] || die "must run as root to start dockerd"
        check_data_root
        mkdir -p "$RUN_DIR" "$EXEC_ROOT"
        rm -f "$PID_FILE" "$SOCKET" "$TESTS_MARKER"
        log "starting dockerd (data root $DATA_ROOT, socket $SOCKET, log $LOG_FILE)"
        # setsid + nohup: dockerd outlives this shell and is not tied to its terminal or signals.
        setsid nohup dockerd \
            --host "$HOST" \
            --data-root "$DATA_ROOT" \
            --exec-root "$EXEC_ROOT" \
            --pidfile "$PID_FILE" \
            --bridge=none \
            --iptables=false \
            --ip6tables=false \
            --ip-forward=false \
            --ip-masq=false \
            --userland-proxy=false \
            </dev/null >>"$LOG_FILE" 2>&1 8>&- 9>&- &
        pid=$!
    fi
    deadline=$((SECONDS + TIMEOUT))
    until answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$LOG_FILE" >&2 || true
            die "dockerd (pid $pid) exited before answering; log: $LOG_FILE"
        fi
        ((SECONDS < deadline)) || die "dockerd (pid $pid) did not answer within ${TIMEOUT}s; log: $LOG_FILE"
        sleep 0.2
    done
    log "dockerd answers on $HOST (pid $(running_pid || echo "$pid"))"
    printf '%s\n' "$HOST"
}

# Mounts dockerd leaves on or under its roots once stopped (e.g. the nsfs of
# exec/netns/default), deepest first.
unmount_leftovers() {
    local mnt
    while read -r mnt; do
        umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null \
            || log "warning: could not unmount $mnt"
    done < <(awk -v a="$EXEC_ROOT" -v b="$DATA_ROOT" '
        $5 == a || $5 == b || index($5, a "/") == 1 || index($5, b "/") == 1 {
            print length($5), $5
        }' /proc/self/mountinfo | sort -rn | cut -d" " -f2-)
}

cmd_stop() {
    local pid deadline
    if ! pid="$(running_pid)"; then
        log "dockerd is not running"
        rm -f "$PID_FILE" "$SOCKET" "$TESTS_MARKER"
        unmount_leftovers
        return 0
    fi
    log "stopping dockerd (pid $pid)"
    # dockerd stops its containers and its own containerd on SIGTERM.
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "dockerd (pid $pid) still alive after ${TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            deadline=$((SECONDS + 10))
            while kill -0 "$pid" 2>/dev/null; do
                ((SECONDS < deadline)) || die "dockerd (pid $pid) survived SIGKILL"
                sleep 0.2
            done
            break
        fi
        sleep 0.2
    done
    rm -f "$PID_FILE" "$SOCKET" "$TESTS_MARKER"
    unmount_leftovers
    if ip link show docker0 >/dev/null 2>&1; then
        log "warning: a docker0 interface exists (not created by this engine, which runs --bridge=none)"
    fi
    log "dockerd stopped"
}

cmd_status() {
    local pid
    if pid="$(running_pid)" && answers; then
        log "dockerd running (pid $pid)"
        printf '%s\n' "$HOST"
        return 0
    fi
    log "dockerd not running"
    return 1
}

case "${1:-}" in
    start) lock && cmd_start ;;
    stop) lock && cmd_stop ;;
    status) cmd_status ;;
    host) printf '%s\n' "$HOST" ;;
    run-dir) printf '%s\n' "$RUN_DIR" ;;
    *)
        echo "usage: $0 start|stop|status|host|run-dir" >&2
        exit 2
        ;;
esac
