#!/usr/bin/env bash
# make down: stop what make up started (honcho stops its children).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -f .run/honcho.pid ] && kill -0 "$(cat .run/honcho.pid)" 2>/dev/null; then
  pid=$(cat .run/honcho.pid)
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  echo "Beacon stopped."
else
  echo "Beacon is not running."
fi
rm -f .run/honcho.pid
