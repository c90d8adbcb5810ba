#!/usr/bin/env bash
# What the nginx image's entrypoint does with /etc/nginx/templates: fill in BEACON_* variables
# (only those, so nginx's own $variables stay), then run nginx in the foreground.
set -euo pipefail
vars="$(env | grep -o '^BEACON_[A-Z0-9_]*' | sed 's/^/$/' | tr '\n' ' ')"
envsubst "$vars" </etc/nginx/templates/default.conf.template >/tmp/default.conf
cat >/tmp/nginx.conf <<CONF
pid /tmp/nginx.pid;
error_log stderr warn;
daemon off;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path /tmp/body;
    proxy_temp_path /tmp/proxy;
    include /tmp/default.conf;
}
CONF
exec nginx -c /tmp/nginx.conf
