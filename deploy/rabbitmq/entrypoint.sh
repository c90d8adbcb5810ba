#!/usr/bin/env bash
# RabbitMQ entrypoint wrapper (Compose): boot-time definitions = the topology from the
# repository (definitions.json, generated from the code) + Beacon's user, made here from the
# environment so that no password is in the repository. Then runs the image's own entrypoint.
#
# With definitions loaded at boot RabbitMQ creates no default user (no guest), so the user here
# is the only one: BEACON_RABBITMQ_USER / BEACON_RABBITMQ_PASSWORD (administrator, vhost "/").
set -euo pipefail

: "${BEACON_RABBITMQ_USER:?set BEACON_RABBITMQ_USER}"
: "${BEACON_RABBITMQ_PASSWORD:?set BEACON_RABBITMQ_PASSWORD}"
DIR="${BEACON_DEFINITIONS_DIR:-/tmp/beacon-definitions}"
SOURCE="${BEACON_TOPOLOGY_FILE:-/etc/beacon/rabbitmq/definitions.json}"

json_str() {
    local s="${1//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "$s"
}

mkdir -p "$DIR"
cp "$SOURCE" "$DIR/20-topology.json"
umask 077
user="$(json_str "$BEACON_RABBITMQ_USER")"
cat >"$DIR/10-users.json" <<JSON
{
  "users": [{"name": $user, "password": $(json_str "$BEACON_RABBITMQ_PASSWORD"), "tags": ["administrator"]}],
  "vhosts": [{"name": "/"}],
  "permissions": [{"user": $user, "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]
}
JSON
if [[ "$(id -u)" == 0 ]] && id rabbitmq >/dev/null 2>&1; then
    chown -R rabbitmq:rabbitmq "$DIR"
fi
exec "$@"
