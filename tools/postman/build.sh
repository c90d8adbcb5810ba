#!/usr/bin/env bash
# Regenerate the Postman collection and environment into OUT_DIR (default docs/postman):
# the merged OpenAPI of every service, converted by openapi-to-postmanv2, then enriched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/docs/postman}"
[ -d "$here/node_modules" ] || npm ci --prefix "$here" --no-audit --no-fund --silent
spec="$(mktemp)"
trap 'rm -f "$spec"' EXIT
(cd "$root" && uv run --frozen python tools/postman/openapi.py > "$spec")
node "$here/generate.mjs" "$spec" "$out"
