#!/usr/bin/env bash
# Start MariaDB for tests on 127.0.0.1:$MARIADB_PORT (host networking: the port must be free).
# The data directory and the unix socket stay inside the container. At every start an init file
# (idempotent) makes $MARIADB_USER/$MARIADB_PASSWORD a superuser that matches a client on
# 127.0.0.1 (and localhost, ::1, %), and removes anonymous accounts that would shadow it.
# MARIADB_BUFFER_POOL: innodb_buffer_pool_size (default 1G; docs/operations.md, "Big
# campaigns": the 128 MiB default is too small for a 1,000,000-row communications log).
set -euo pipefail

: "${MARIADB_PORT:?set MARIADB_PORT to a free TCP port}"
MARIADB_USER="${MARIADB_USER:-beacon}"
MARIADB_PASSWORD="${MARIADB_PASSWORD:-beacon}"
MARIADB_BIND="${MARIADB_BIND:-127.0.0.1}"

sql_str() { printf "'%s'" "${1//\'/\'\'}"; }
user="$(sql_str "$MARIADB_USER")"
password="$(sql_str "$MARIADB_PASSWORD")"

init=/run/mysqld/beacon-init.sql
{
    # Anonymous accounts (''@host) win over 'user'@'%' for a matching host: drop them all.
    echo "DELETE FROM mysql.global_priv WHERE User = '';"
    echo "FLUSH PRIVILEGES;"
    for host in 127.0.0.1 ::1 localhost %; do
        h="$(sql_str "$host")"
        echo "CREATE USER IF NOT EXISTS $user@$h IDENTIFIED BY $password;"
        echo "ALTER USER $user@$h IDENTIFIED BY $password;"
        echo "GRANT ALL PRIVILEGES ON *.* TO $user@$h WITH GRANT OPTION;"
    done
} >"$init"
chown mysql:mysql "$init"
chmod 0600 "$init"

exec mariadbd \
    --user=mysql \
    --datadir=/var/lib/mysql \
    --socket=/run/mysqld/mysqld.sock \
    --pid-file=/run/mysqld/mysqld.pid \
    --port="$MARIADB_PORT" \
    --bind-address="$MARIADB_BIND" \
    --skip-name-resolve \
    --init-file="$init" \
    --character-set-server=utf8mb4 \
    --innodb-flush-log-at-trx-commit=2 \
    --innodb-doublewrite=0 \
    --skip-log-bin \
    --max-connections=500 \
    --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL:-1G}" \
    "$@"
