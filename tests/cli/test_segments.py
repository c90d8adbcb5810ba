"""``beacon segments preview`` and ``export`` on the real suite: the export has exactly the
preview's size; the members route pages with cursors and answers 404/422 plainly."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest

from tests.cli.support import (
    auth_env,
    auth_headers,
    cli,
    write_customers,
    write_orders,
)
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

RULES = {
    "combinator": "and",
    "rules": [
        {"field": "total_spend", "operator": ">", "value": 4000},
        {
            "combinator": "or",
            "rules": [
                {"field": "visits", "operator": "<=", "value": 3},
                {"field": "city", "operator": "=", "value": "Pune"},
            ],
        },
    ],
}


async def test_export_has_the_preview_size(stack: Stack, tmp_path: Path) -> None:
    ingest = stack.start("ingest", "all")
    # Export pages of 97: the route's paging is crossed many times (neither skip nor repeat).
    segments = stack.start("segments", "all", BEACON_SEGMENTS_EXPORT_PAGE="97")
    env = {**auth_env(stack), "BEACON_INGEST_URL": ingest.url, "BEACON_SEGMENTS_URL": segments.url}
    write_customers(tmp_path / "c.csv", 3000, bad_every=10**9)
    write_orders(tmp_path / "o.csv", 12000, 3000, bad_every=10**9)
    for kind, file in (("customers", "c.csv"), ("orders", "o.csv")):
        done = cli("import", kind, str(tmp_path / file), env=env)
        assert done.returncode == 0, done.stderr
    await eventually(
        lambda: stack.scalar("segments", "SELECT SUM(visits) FROM profiles WHERE known = 1"),
        lambda n: n == 12000,
        timeout=120,
        what="profiles projected",
    )

    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": RULES}))
    preview = cli("segments", "preview", str(rules), env=env)
    assert preview.returncode == 0, preview.stderr
    size = int(preview.stdout.split("size ")[1].split()[0].replace(",", ""))
    assert 0 < size < 3000

    async with httpx.AsyncClient(base_url=segments.url, headers=auth_headers(stack)) as http:
        saved = (await http.post("/api/v1/segments", json={"name": "big", "rules": RULES})).json()
        out = tmp_path / "members.csv"
        export = cli(
            "segments", "export", saved["id"], "--out", str(out), "--page-size", "97", env=env
        )
        assert export.returncode == 0, export.stderr
        with out.open() as handle:
            members = list(csv.DictReader(handle))
        assert len(members) == size
        assert len({m["customer_id"] for m in members}) == size  # pages neither skip nor repeat
        assert all(float(m["total_spend"]) > 4000 for m in members)

        assert (await http.get("/api/v1/segments/999999/members")).status_code == 404
        assert (await http.get("/api/v1/segments/x/members")).status_code == 404
        bad = await http.get(f"/api/v1/segments/{saved['id']}/members", params={"cursor": "%%%"})
        assert bad.status_code == 422

        # The same members from the dashboard's export route.
        http_export = await http.get(f"/api/v1/segments/{saved['id']}/export")
        assert http_export.status_code == 200
        assert http_export.headers["content-type"].startswith("text/csv")
        assert "attachment" in http_export.headers["content-disposition"]
        rows = list(csv.DictReader(http_export.text.splitlines()))
        assert len(rows) == size > 97 * 2
        assert sorted(r["customer_id"] for r in rows) == sorted(m["customer_id"] for m in members)
        assert list(rows[0]) == list(members[0])
        assert (await http.get("/api/v1/segments/999999/export")).status_code == 404

    nowhere = tmp_path / "missing.csv"
    missing = cli("segments", "export", "999999", "--out", str(nowhere), env=env)
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert not nowhere.exists() and not nowhere.with_name("missing.csv.part").exists()
