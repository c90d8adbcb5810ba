# The dashboard: frontend/ built with Vite, served by nginx, which also proxies /api/* (and the
# stats WebSocket) to the services by the contract's path prefixes (nginx/default.conf.template).
#
#   docker build -f deploy/docker/dashboard.Dockerfile -t beacon/dashboard .
#
# Upstreams are set at start by environment (BEACON_INGEST_API=ingest-api:8001, ...); the
# nginx image renders /etc/nginx/templates/*.template with them. Listens on 8080 as non-root.
ARG NODE_IMAGE=node:20-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npx vite build

FROM ${NGINX_IMAGE}
ENV BEACON_DASHBOARD_LISTEN=8080 \
    BEACON_INGEST_API=ingest-api:8001 \
    BEACON_SEGMENTS_API=segments-api:8002 \
    BEACON_CAMPAIGNS_API=campaigns-api:8003 \
    BEACON_DELIVERY_API=delivery-api:8004 \
    BEACON_STATS_API=stats-api:8005 \
    NGINX_ENVSUBST_FILTER=^BEACON_
COPY deploy/docker/nginx/default.conf.template /etc/nginx/templates/default.conf.template
COPY --from=build /src/dist /usr/share/nginx/html
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
