"""The one place campaigns is wired together, for each way it runs.

``api``: create, list, read; sign-in and API keys. ``worker``: the progress consumer and the
scheduler.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from services.campaigns import api, auth_api, consumers, users_api
from services.campaigns.scheduler import scheduler
from services.campaigns.settings import SERVICE, CampaignsSettings
from services.campaigns.signin import Keys, Sessions
from services.campaigns.store.tables import inbox, outbox
from services.campaigns.users import Users
from shared.auth import apikeys
from shared.auth.principal import csv
from shared.auth.signing import ConfigurationError, is_production, load_signing_keys
from shared.auth.tokens import TokenService
from shared.runtime import Runtime


def build_app(mode: str, settings: CampaignsSettings | None = None) -> FastAPI:
    settings = settings or CampaignsSettings()
    runtime = Runtime(SERVICE, settings, outbox_table=outbox, inbox_table=inbox)
    runtime.document(consumers.PROGRESS, consumers.KEY_USAGE)
    assert runtime.relay is not None
    router = public = None
    if mode in ("worker", "all"):
        runtime.add_consumer(consumers.PROGRESS, consumers.HANDLERS)
        runtime.add_consumer(consumers.KEY_USAGE, consumers.KEY_USAGE_HANDLERS)
        runtime.add_background(
            scheduler(runtime.engine, runtime.relay.notify, settings.scheduler_poll_s)
        )
    if mode in ("api", "all"):
        check_production(settings)
        for service in apikeys.COPY_SERVICES:  # no key event is published before its queue
            runtime.declare_only(apikeys.copy_queue(service))
        tokens = TokenService(
            load_signing_keys(settings),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )
        sessions = Sessions(runtime.engine, tokens, settings)
        public, closed = auth_api.build_routers(
            settings, sessions, Keys(runtime.engine, runtime.relay.notify, settings)
        )
        router = APIRouter()
        router.include_router(api.build_router(settings, runtime.engine, runtime.relay.notify))
        router.include_router(closed)
        users = Users(runtime.engine, runtime.relay.notify, settings)
        router.include_router(users_api.build_router(users))
    return runtime.http_app(router, title=f"Beacon campaigns ({mode})", public=public)


def check_production(settings: CampaignsSettings) -> None:
    """Production signs people in with Google only, and only those on an allow-list; with a
    domain allow-list, the admins are named (else whoever signs in first becomes admin)."""
    settings.require_env()
    if not is_production(settings):
        return
    if not settings.auth_google_client_id:
        raise ConfigurationError(
            "BEACON_ENV=production needs BEACON_AUTH_GOOGLE_CLIENT_ID (dev sign-in is never on "
            "in production)"
        )
    if not csv(settings.auth_allowed_domains) and not csv(settings.auth_allowed_emails):
        raise ConfigurationError(
            "BEACON_ENV=production needs BEACON_AUTH_ALLOWED_DOMAINS or BEACON_AUTH_ALLOWED_EMAILS"
        )
    if csv(settings.auth_allowed_domains) and not csv(settings.auth_admin_emails):
        raise ConfigurationError(
            "BEACON_ENV=production with BEACON_AUTH_ALLOWED_DOMAINS needs "
            "BEACON_AUTH_ADMIN_EMAILS: else whoever of the domain signs in first is admin"
        )
