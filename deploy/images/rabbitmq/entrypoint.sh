#!/usr/bin/env bash
# Start RabbitMQ for tests on 127.0.0.1:$RABBITMQ_NODE_PORT with host networking, next to the
# machine's own RabbitMQ: its own epmd port (ERL_EPMD_PORT), its own distribution port
# (RABBITMQ_DIST_PORT), node name rabbit@localhost, everything bound to 127.0.0.1 only.
# Data (mnesia) stays in the container, so `docker stop` + `docker start` keeps durable queues.
# The default user guest/guest is allowed from loopback, which is where clients are.
set -euo pipefail

: "${RABBITMQ_NODE_PORT:?set RABBITMQ_NODE_PORT to a free TCP port (AMQP)}"
: "${ERL_EPMD_PORT:?set ERL_EPMD_PORT to a free TCP port (epmd)}"
: "${RABBITMQ_DIST_PORT:?set RABBITMQ_DIST_PORT to a free TCP port (Erlang distribution)}"

export RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-rabbit@localhost}"
export RABBITMQ_NODE_IP_ADDRESS="${RABBITMQ_NODE_IP_ADDRESS:-127.0.0.1}"
export ERL_EPMD_ADDRESS="${ERL_EPMD_ADDRESS:-127.0.0.1}"
export ERL_EPMD_PORT RABBITMQ_NODE_PORT RABBITMQ_DIST_PORT
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:-} -kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_LOGS=-
export HOME=/var/lib/rabbitmq

mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq

exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
