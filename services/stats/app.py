"""The one place stats is wired together, for each way it runs.

``worker``: the ``stats.counters`` consumer (counters, deltas log, ``stats.changed`` via the
outbox). ``api``: reads, reconcile and the WebSocket hub, fed by this process's own
exclusive ``stats.hub.<instance>`` queue. ``all``: both.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.stats import api, consumers
from services.stats.hub import Hub
from services.stats.settings import SERVICE, StatsSettings
from services.stats.store.tables import inbox, outbox
from services.stats.transport import install_websocket_transport_hooks
from shared.runtime import Runtime


def build_app(mode: str, settings: StatsSettings | None = None) -> FastAPI:
    settings = settings or StatsSettings()
    runtime = Runtime(SERVICE, settings, outbox_table=outbox, inbox_table=inbox)
    runtime.document(consumers.COUNTERS, consumers.HUB)
    assert runtime.relay is not None
    router = sockets = None
    if mode in ("worker", "all"):
        runtime.add_batch_consumer(consumers.COUNTERS, consumers.HANDLERS)
    if mode in ("api", "all"):
        hub = Hub(settings)
        runtime.add_listener(consumers.HUB, hub.apply)
        sockets, router = api.build_router(settings, runtime.engine, hub, runtime.relay.notify)
    app = runtime.http_app(router, title=f"Beacon stats ({mode})", public=sockets)
    if router is not None:
        install_websocket_transport_hooks(app, send_buffer=settings.stats_ws_socket_send_buffer)
    return app
