"""Many light WebSocket clients of the stats API in one asyncio process (for bench/stats.py).

``python -m bench.pipeline_wsclients --urls ws://..,ws://.. --clients 200 --out FILE``
connects the clients round-robin over the URLs, prints ``ready <connected>`` on stdout,
then obeys lines on stdin: ``subscribe <campaign_id>`` sends ``{"type": "subscribe",
"campaign_ids": [id]}`` on every socket; ``wait <total> <seconds>`` waits until every
client's last push shows ``sent + failed >= total`` (answers ``reached <clients>``);
``stop`` closes them all, writes ``FILE`` and exits.

For every ``campaign_stats`` message each client keeps ``(receive time, campaign_id,
sent + failed, revision, sent, failed)``; also how many other messages it got, when and how
its connection ended (a close before ``stop`` is a disconnect), and this process's event
loop lag (a 20 ms ticker's oversleep), which bounds the error the clients add to the
measured delays. The clients run in their own process so that the benchmark's receipt
poster and the clients' timestamps do not queue behind each other.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


@dataclass
class Record:
    url: str
    connected_at: float | None = None
    events: list[tuple[float, str, int, int, int, int]] = field(default_factory=list)
    other: Counter[str] = field(default_factory=Counter)
    closed_at: float | None = None
    close: str | None = None
    error: str | None = None


class Clients:
    def __init__(self, urls: list[str], count: int) -> None:
        self.records = [Record(urls[i % len(urls)]) for i in range(count)]
        self.sockets: dict[int, ClientConnection] = {}
        self.stopping = False
        self.lags: list[float] = []
        self._connected = 0
        self._all = asyncio.Event()
        self._pushed = asyncio.Event()  # set on every push received

    async def run_one(self, i: int, gate: asyncio.Semaphore) -> None:
        rec = self.records[i]
        try:
            async with gate:
                ws = await connect(rec.url, open_timeout=60, max_size=2**22, compression=None)
            rec.connected_at = time.time()
            self.sockets[i] = ws
            self._connected += 1
            if self._connected == len(self.records):
                self._all.set()
            async for raw in ws:
                now = time.time()
                msg = orjson.loads(raw)
                kind = msg.get("type")
                if kind == "campaign_stats":
                    d = msg["data"]
                    sent, failed = int(d["sent"]), int(d["failed"])
                    rec.events.append(
                        (
                            now,
                            str(d["campaign_id"]),
                            sent + failed,
                            int(d["revision"]),
                            sent,
                            failed,
                        )
                    )
                    self._pushed.set()
                else:
                    rec.other[str(kind)] += 1
            rec.close = f"{ws.close_code} {ws.close_reason}"
        except ConnectionClosed as closed:
            rec.close = f"{closed.rcvd.code if closed.rcvd else None} {closed!s}"[:200]
        except Exception as error:  # connect failed, or anything else: report it
            rec.error = repr(error)[:300]
        finally:
            rec.closed_at = time.time()
            if not self.stopping and self._connected < len(self.records):
                self._all.set()  # do not wait forever for a client that will not come

    async def ticker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.02)
            self.lags.append(loop.time() - before - 0.02)

    async def subscribe(self, campaign_id: str) -> None:
        message = orjson.dumps({"type": "subscribe", "campaign_ids": [campaign_id]}).decode()
        await asyncio.gather(
            *(ws.send(message) for ws in self.sockets.values()), return_exceptions=True
        )

    async def wait_for_total(self, total: int, timeout: float) -> int:
        """Until every connected client's last push shows ``sent + failed >= total`` (or
        ``timeout`` s): the judge must see the last push, not stop before it arrives. The
        clients that got there."""
        deadline = time.time() + timeout

        def reached() -> int:
            return sum(1 for r in self.records if r.events and r.events[-1][2] >= total)

        live = len(self.sockets)
        while True:
            self._pushed.clear()  # before the check, so a push in between is not missed
            left = deadline - time.time()
            if reached() >= live or left <= 0:
                break
            try:
                await asyncio.wait_for(self._pushed.wait(), timeout=left)
            except TimeoutError:
                break
        return reached()

    async def stop(self) -> None:
        self.stopping = True
        await asyncio.gather(*(ws.close() for ws in self.sockets.values()), return_exceptions=True)

    def report(self) -> dict[str, Any]:
        lags = sorted(self.lags) or [0.0]
        return {
            "clients": [
                {
                    "url": r.url,
                    "connected_at": r.connected_at,
                    "events": r.events,
                    "other": dict(r.other),
                    "closed_at": r.closed_at,
                    "close": r.close,
                    "error": r.error,
                }
                for r in self.records
            ],
            "loop_lag_ms": {
                "p50": round(lags[len(lags) // 2] * 1e3, 2),
                "p99": round(lags[int(len(lags) * 0.99)] * 1e3, 2),
                "max": round(lags[-1] * 1e3, 2),
            },
        }


async def main_async(args: argparse.Namespace) -> None:
    clients = Clients(args.urls.split(","), args.clients)
    gate = asyncio.Semaphore(20)
    tasks = [asyncio.create_task(clients.run_one(i, gate)) for i in range(args.clients)]
    ticker = asyncio.create_task(clients.ticker())
    try:
        await asyncio.wait_for(clients._all.wait(), timeout=120)
    except TimeoutError:
        pass
    print(f"ready {len(clients.sockets)}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).decode().strip()
        if not line or line == "stop":
            break
        if line.startswith("wait "):
            _, total, timeout = line.split()
            got = await clients.wait_for_total(int(total), float(timeout))
            print(f"reached {got}", flush=True)
        elif line.startswith("subscribe "):
            await clients.subscribe(line.split(" ", 1)[1])
            print("subscribed", flush=True)
    await clients.stop()
    await asyncio.wait(tasks, timeout=10)
    ticker.cancel()
    await asyncio.to_thread(Path(args.out).write_bytes, orjson.dumps(clients.report()))
    print("done", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline_wsclients")
    parser.add_argument("--urls", required=True, help="comma-separated ws:// URLs")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(main_async(args))
    except ImportError:
        asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
