#!/usr/bin/env bash
# make up: install, check the servers, migrate, start every service under honcho,
# wait until ready, load demo data, print the URLs.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .run
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

uv run --frozen python deploy/scripts/check_backends.py

# The management console shows the contract's exchanges and queues.
if command -v rabbitmq-plugins >/dev/null 2>&1 && ! rabbitmq-plugins is_enabled rabbitmq_management -q >/dev/null 2>&1; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null || echo "note: could not enable rabbitmq_management"
fi

# The dashboard is built before anything starts, so a build error is seen at once.
ui_built=true
deploy/scripts/ui.sh build >.run/ui-build.log 2>&1 || { ui_built=false; echo "note: dashboard build failed, see .run/ui-build.log"; }

if [ -f .run/honcho.pid ] && kill -0 "$(cat .run/honcho.pid)" 2>/dev/null; then
  echo "Beacon is already running (pid $(cat .run/honcho.pid)); 'make down' stops it."
else
  for service in $(deploy/scripts/services.sh); do
    uv run --frozen python -m "services.$service" migrate >/dev/null
  done
  # Email campaigns go to the local mail catcher (its page lists what was sent), unless
  # an SMTP server of your own is set.
  export BEACON_SMTP_HOST="${BEACON_SMTP_HOST:-127.0.0.1}"
  if [ "$BEACON_SMTP_HOST" = 127.0.0.1 ]; then
    export BEACON_SMTP_PORT="${BEACON_SMTP_PORT:-${BEACON_MAILCATCHER_SMTP_PORT:-1025}}" BEACON_SMTP_TLS="${BEACON_SMTP_TLS:-none}"
  fi
  export BEACON_SMTP_FROM="${BEACON_SMTP_FROM:-Beacon Demo Shop <offers@demo-shop.example>}"
  export BEACON_SMTP_POSTAL_ADDRESS="${BEACON_SMTP_POSTAL_ADDRESS:-Beacon Demo Shop, 12 MG Road, Pune 411001, India}"
  nohup uv run --frozen honcho -f deploy/Procfile -d . start >.run/beacon.log 2>&1 &
  echo $! >.run/honcho.pid
fi

uv run --frozen python deploy/scripts/wait_ready.py $(deploy/scripts/services.sh --urls)
uv run --frozen python -m bench.datagen load --customers 5000 --orders 50000 --seed 42

echo
if $ui_built; then
  echo "Dashboard: http://127.0.0.1:${BEACON_UI_PORT:-8080}/   (sign in with any email: local mode)"
fi
echo "Beacon is up. Logs: .run/beacon.log   Stop: make down"
for service in $(deploy/scripts/services.sh); do
  port=$(deploy/scripts/services.sh --port "$service")
  printf '  %-10s http://127.0.0.1:%s/docs\n' "$service" "$port"
done
grep -q "^vendor:" deploy/Procfile && printf '  %-10s http://127.0.0.1:8009/docs  (messaging vendor simulator)\n' vendor
grep -q "^mail:" deploy/Procfile && printf '  %-10s http://127.0.0.1:%s/  (mail catcher: every email sent, none delivered)\n' mail "${BEACON_MAILCATCHER_PORT:-8025}"
echo "  rabbitmq   http://127.0.0.1:15672/  (guest/guest): exchanges beacon.*, queues <consumer>.<purpose>"
echo
echo "Every /api/v1 route needs a token (dev sign-in, no Google client id configured):"
echo '  TOKEN=$(make -s token EMAIL=you@example.com)            # marketer, valid 1 h'
echo '  TOKEN=$(make -s token EMAIL=you@example.com ROLE=admin) # admin (keys, reconcile)'
echo '  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8003/api/v1/campaigns'
echo "  In /docs: Authorize, paste the token. Sign-in and keys live on campaigns (:8003)."
