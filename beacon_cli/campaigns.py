"""``beacon campaigns``: history with counters, one campaign, and live counters over the
stats WebSocket (``/api/v1/stats/ws?access_token=...``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
import websockets
from rich.console import Console
from rich.live import Live

from beacon_cli import views
from beacon_cli.client import Beacon, unreachable
from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError

__all__ = ["Beacon", "control", "duplicate", "history", "one", "watch"]


def history(beacon: Beacon, limit: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items = beacon.get("campaigns", "/api/v1/campaigns", limit=limit)["items"]
    stats: dict[str, Any] = {}
    for start in range(0, len(items), 100):  # the stats route takes at most 100 ids
        ids = ",".join(c["id"] for c in items[start : start + 100])
        found = beacon.get("stats", "/api/v1/stats/campaigns", ids=ids)
        stats.update({s["campaign_id"]: s for s in found.get("items", [])})
    return items, stats


def one(beacon: Beacon, campaign_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    campaign = beacon.get("campaigns", f"/api/v1/campaigns/{quote(campaign_id)}")
    response = beacon.request("stats", "GET", f"/api/v1/stats/campaigns/{quote(campaign_id)}")
    stats = response.json() if response.status_code == 200 else None
    return campaign, stats


def control(beacon: Beacon, campaign_id: str, action: str) -> dict[str, Any]:
    """Pause, resume or cancel; the campaign as stored after it (a 409 is a CliError)."""
    return dict(beacon.post("campaigns", f"/api/v1/campaigns/{quote(campaign_id)}/{action}", {}))


def duplicate(beacon: Beacon, campaign_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A new campaign with this one's audience rules and message."""
    path = f"/api/v1/campaigns/{quote(campaign_id)}/duplicate"
    return dict(beacon.post("campaigns", path, {k: v for k, v in body.items() if v is not None}))


def ws_url(settings: CliSettings) -> str:
    base = settings.base_url("stats").replace("http://", "ws://").replace("https://", "wss://")
    token = settings.api_key or settings.token
    return f"{base}/api/v1/stats/ws" + (f"?access_token={quote(token)}" if token else "")


def finished(stats: dict[str, Any] | None) -> bool:
    if not stats or not stats.get("audience_size"):
        return False
    ended = sum(int(stats.get(name, 0)) for name in ("sent", "failed", "cancelled"))
    return ended >= int(stats["audience_size"])


async def watch(
    settings: CliSettings,
    console: Console,
    campaign: dict[str, Any],
    stats: dict[str, Any] | None,
    until_done: bool,
) -> dict[str, Any] | None:
    """Show the counters as the server pushes them; return the last seen."""
    url = ws_url(settings)
    try:
        async with websockets.connect(url, open_timeout=10) as socket:
            await socket.send(
                orjson.dumps({"type": "subscribe", "campaign_ids": [campaign["id"]]}).decode()
            )
            with Live(
                views.campaign_table(campaign, stats), console=console, refresh_per_second=4
            ) as live:
                heard = False  # the server answers a subscribe with the current snapshot
                while not (heard and until_done and finished(stats)):
                    message = orjson.loads(await socket.recv())
                    data = message.get("data") or {}
                    if (
                        message.get("type") == "campaign_stats"
                        and data.get("campaign_id") == campaign["id"]
                    ):
                        stats, heard = data, True
                        live.update(views.campaign_table(campaign, stats))
    except websockets.exceptions.ConnectionClosedError as error:
        if error.rcvd is not None and error.rcvd.code == 1008:
            raise CliError(
                "the stats WebSocket refused the token or key (1008).",
                hint="it may have expired: get a new one.",
            ) from None
        raise CliError(f"the stats WebSocket closed: {error}") from None
    except websockets.exceptions.InvalidStatus as error:
        raise CliError(f"the stats WebSocket answered {error.response.status_code}.") from None
    except (TimeoutError, OSError) as error:
        raise unreachable("stats", settings.base_url("stats"), error) from None
    return stats
