"""Command-line tools of campaigns, the sign-in service.

``python -m services.campaigns keys create --scope ingest:write --name shop-backend``
(prints the key once), ``keys list``, ``keys revoke ID``; and ``token --email E [--role R]``,
which prints an access token valid one hour (dev mode only; ``make token`` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

import orjson

from services.campaigns.domain.accounts import SCOPES, bad_scopes
from services.campaigns.settings import SERVICE, CampaignsSettings
from services.campaigns.signin import Keys
from shared.auth.signing import load_signing_keys
from shared.auth.tokens import TokenService, UserClaims
from shared.db import make_engine
from shared.migrations import upgrade

COMMANDS = ("keys", "token")
TOKEN_TTL_S = 3600


def main(argv: list[str], settings: CampaignsSettings) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.campaigns")
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("token", help="print a dev-mode access token (valid 1 h)")
    token.add_argument("--email", required=True)
    token.add_argument("--role", choices=("viewer", "marketer", "admin"), default="marketer")
    token.add_argument("--name", default=None)
    keys = sub.add_parser("keys", help="create, list or revoke API keys")
    action = keys.add_subparsers(dest="action", required=True)
    create = action.add_parser("create")
    create.add_argument("--scope", action="append", required=True, help=f"of {sorted(SCOPES)}")
    create.add_argument("--name", required=True)
    action.add_parser("list")
    revoke = action.add_parser("revoke")
    revoke.add_argument("id")
    args = parser.parse_args(argv)
    if args.command == "token":
        return print_token(settings, args.email, args.role, args.name)
    return asyncio.run(run_keys(settings, args))


def print_token(settings: CampaignsSettings, email: str, role: str, name: str | None) -> int:
    if settings.env not in ("development", "test") or settings.auth_google_client_id:
        print(
            "token: local mode only (BEACON_ENV=development or test, no Google client id)",
            file=sys.stderr,
        )
        return 2
    email = email.strip().lower()
    tokens = TokenService(
        load_signing_keys(settings), issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    user = UserClaims(f"dev:{email}", email, name or email.partition("@")[0], None, role)
    print(tokens.issue(user, TOKEN_TTL_S))
    return 0


async def run_keys(settings: CampaignsSettings, args: argparse.Namespace) -> int:
    schema = settings.schema_name(SERVICE)
    await asyncio.to_thread(
        upgrade, Path(__file__).parent / "migrations", settings.mysql_url, schema
    )
    engine = make_engine(settings.mysql_url, schema, pool_size=1)
    # The running campaigns process's relay publishes the event from the outbox.
    keys = Keys(engine, lambda: None, settings)
    actor = {"sub": f"cli:{getpass.getuser()}", "email": None}
    try:
        if args.action == "create":
            wrong = bad_scopes(args.scope)
            if wrong:
                print(f"unknown scopes {wrong}; use any of {sorted(SCOPES)}", file=sys.stderr)
                return 2
            created = await keys.create(args.name, args.scope, actor)
            print(orjson.dumps(created, option=orjson.OPT_INDENT_2).decode())
            print("Store the key now: it is not shown again.", file=sys.stderr)
        elif args.action == "list":
            for key in await keys.list():
                print(orjson.dumps(key).decode())
        elif not await keys.revoke(args.id, actor):
            print(f"no key {args.id!r}", file=sys.stderr)
            return 1
        return 0
    finally:
        await engine.dispose()
