#!/usr/bin/env bash
# The services that exist in this checkout, their ports and readiness URLs.
set -euo pipefail
cd "$(dirname "$0")/../.."
declare -A PORT=([ingest]=8001 [segments]=8002 [campaigns]=8003 [delivery]=8004 [stats]=8005)
declare -A WORKER=([ingest]=8101 [segments]=8102 [campaigns]=8103 [delivery]=8104 [stats]=8105)
present=()
for s in ingest segments campaigns delivery stats; do
  grep -q "^$s-" deploy/Procfile && present+=("$s")
done
case "${1:-}" in
  --port) echo "${PORT[$2]}" ;;
  --urls)
    for s in "${present[@]}"; do
      echo "http://127.0.0.1:${PORT[$s]}"
      grep -q "^$s-worker" deploy/Procfile && echo "http://127.0.0.1:${WORKER[$s]}"
    done
    grep -q "^vendor:" deploy/Procfile && echo "http://127.0.0.1:8009" ;;
  *) echo "${present[@]}" ;;
esac
