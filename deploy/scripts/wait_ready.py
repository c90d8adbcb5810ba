"""Wait until every given ``/readyz`` answers 200, or fail after a deadline."""

from __future__ import annotations

import sys
import time

import httpx


def main(urls: list[str], timeout: float = 90.0) -> int:
    deadline = time.monotonic() + timeout
    pending = set(urls)
    while pending and time.monotonic() < deadline:
        for url in sorted(pending):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    pending.discard(url)
            except httpx.HTTPError:
                pass
        if pending:
            time.sleep(0.25)
    for url in sorted(pending):
        print(f"not ready after {timeout:.0f}s: {url}/readyz (see .run/beacon.log)")
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
