#!/usr/bin/env bash
# The dashboard as `make up` serves it: the built app (frontend/dist) with vite preview,
# which also proxies /api/* and the stats WebSocket to the services by path prefix
# (frontend/vite.config.ts; BEACON_<SERVICE>_PORT and BEACON_UI_PORT override the ports).
#   deploy/scripts/ui.sh build   npm ci when the lock file changed, then vite build
#   deploy/scripts/ui.sh serve   serve the build on :8080 (under honcho)
set -euo pipefail
cd "$(dirname "$0")/../../frontend"

build() {
  if ! command -v node >/dev/null; then
    echo "note: node is not installed; the dashboard is not built (see frontend/README.md)" >&2
    return 1
  fi
  # npm ci only when package-lock.json changed since the last install (it wipes node_modules).
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  npm run --silent build
}

case "${1:-serve}" in
  build) build ;;
  serve)
    if [ ! -f dist/index.html ]; then
      echo "dashboard not built (run make ui); not serving it" >&2
      exec sleep infinity  # stay up: honcho stops every process when one exits
    fi
    exec node node_modules/vite/bin/vite.js preview --strictPort
    ;;
  *) echo "usage: $0 build|serve" >&2; exit 2 ;;
esac
