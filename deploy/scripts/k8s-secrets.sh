#!/usr/bin/env bash
# Create Beacon's Kubernetes Secrets with fresh random passwords, and print the SQL that creates
# the matching database users (run it once on the managed MySQL, as its admin).
#
#   deploy/scripts/k8s-secrets.sh NAMESPACE [MYSQL_HOST]     (MYSQL_HOST default: mysql)
#   deploy/scripts/k8s-secrets.sh --force NAMESPACE [MYSQL_HOST]
#
# Nothing is written to disk: values go straight to `kubectl apply` and to the SQL on stdout.
# For a first install only: it refuses when Beacon's Secrets already exist, since it would
# replace every one at once (everyone signed out, every API key and the vendor's signature
# broken, every password changed under running pods). Rotate one secret at a time instead
# (docs/operations.md, "Rotating credentials"); --force rebuilds a namespace from scratch.
# To use your own secret manager
# instead (External Secrets, Vault, Sealed Secrets), create the same names and keys:
#   beacon-<service>-db     BEACON_MYSQL_URL   for ingest, segments, campaigns, delivery, stats
#   beacon-migrator-db      BEACON_MYSQL_URL   the migration Job's user
#   beacon-amqp             BEACON_AMQP_URL    Beacon's RabbitMQ user (the services)
#   beacon-keda             host               KEDA's management-API URL, fully qualified:
#                           http://keda:<password>@beacon-rabbitmq.NAMESPACE.svc.cluster.local:15672/%2F
#   beacon-vendor           BEACON_VENDOR_SECRET
#   beacon-auth             BEACON_AUTH_PUBLIC_KEYS, BEACON_AUTH_KEY_PEPPER,
#                           BEACON_UNSUBSCRIBE_SECRET                          (every service)
#   beacon-auth-signing     BEACON_AUTH_SIGNING_KEY   the token signing key (campaigns only)
#   beacon-rabbitmq-users   users.json         RabbitMQ's users, loaded at boot
set -euo pipefail

FORCE=0
if [[ "${1:-}" == "--force" ]]; then
    FORCE=1
    shift
fi
NAMESPACE="${1:?usage: $0 [--force] NAMESPACE [MYSQL_HOST]}"
MYSQL_HOST="${2:-mysql}"
SERVICES=(ingest segments campaigns delivery stats)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

secret() { openssl rand -hex 24; }
apply_secret() {  # name, then --from-literal=... arguments
    local name="$1"
    shift
    kubectl create secret generic "$name" -n "$NAMESPACE" "$@" --dry-run=client -o yaml \
        | kubectl apply -f - >&2
}

if [[ "$FORCE" == 0 ]] && kubectl get secret beacon-auth -n "$NAMESPACE" >/dev/null 2>&1; then
    echo "k8s-secrets.sh: Beacon's Secrets already exist in $NAMESPACE; rerunning would replace" \
        "all of them at once. Rotate one at a time (docs/operations.md, \"Rotating" \
        "credentials\"), or pass --force to rebuild them all." >&2
    exit 2
fi

for user in migrator "${SERVICES[@]}"; do
    password="$(secret)"
    export "BEACON_${user^^}_DB_PASSWORD=$password"
    apply_secret "beacon-$user-db" \
        "--from-literal=BEACON_MYSQL_URL=mysql+asyncmy://beacon_$user:$password@$MYSQL_HOST:3306"
done

amqp_password="$(secret)"
admin_password="$(secret)"
keda_password="$(secret)"
apply_secret beacon-amqp \
    "--from-literal=BEACON_AMQP_URL=amqp://beacon:$amqp_password@beacon-rabbitmq:5672/"
# KEDA's operator runs in its own namespace: a short name would resolve there (kedacore/keda#5442).
apply_secret beacon-keda \
    "--from-literal=host=http://keda:$keda_password@beacon-rabbitmq.$NAMESPACE.svc.cluster.local:15672/%2F"
apply_secret beacon-vendor "--from-literal=BEACON_VENDOR_SECRET=$(secret)"
# Sign-in: a new Ed25519 keypair (re-running this rotates it: everyone signs in again) and the
# API key pepper (rotating it invalidates every API key: docs/security.md, Key rotation).
signing_key="$(openssl genpkey -algorithm ed25519)"
apply_secret beacon-auth-signing "--from-literal=BEACON_AUTH_SIGNING_KEY=$signing_key"
apply_secret beacon-auth \
    "--from-literal=BEACON_AUTH_PUBLIC_KEYS=$(openssl pkey -pubout <<<"$signing_key")" \
    "--from-literal=BEACON_AUTH_KEY_PEPPER=$(openssl rand -hex 32)" \
    "--from-literal=BEACON_UNSUBSCRIBE_SECRET=$(secret)"
users_json="$(cat <<JSON
{
  "users": [
    {"name": "beacon", "password": "$amqp_password", "tags": []},
    {"name": "admin", "password": "$admin_password", "tags": ["administrator"]},
    {"name": "keda", "password": "$keda_password", "tags": ["management"]}
  ],
  "vhosts": [{"name": "/"}],
  "permissions": [
    {"user": "beacon", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
    {"user": "admin", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
    {"user": "keda", "vhost": "/", "configure": "^$", "write": "^$", "read": "^$"}
  ]
}
JSON
)"
apply_secret beacon-rabbitmq-users "--from-literal=users.json=$users_json"
echo "k8s-secrets.sh: secrets applied in $NAMESPACE; RabbitMQ console user: admin (password in" \
    "secret beacon-rabbitmq-users). Run this SQL on the database:" >&2
"$HERE/../mysql/create-users.sh" --print
