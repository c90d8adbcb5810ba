"""``beacon import`` and ``beacon imports`` end to end against a fake ingest service (the
imports API as the spec describes it, in a thread; no database): exit codes 0 / 3 / 1,
``--max-bad``, the bad-rows report fixed and imported again, the summary, ``--resume``
into the same import, undo and erasure."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.fake_ingest import FakeIngest, serve
from tests.cli.support import cli

SHOPIFY = ["Name", "Email", "Financial Status", "Total", "Created at", "Lineitem name", "Id"]


@pytest.fixture
def fake() -> Iterator[FakeIngest]:
    with serve(FakeIngest()) as running:
        yield running


def env(fake: FakeIngest) -> dict[str, str]:
    return {"BEACON_INGEST_URL": fake.url, "BEACON_URL": ""}


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return path


def sent(fake: FakeIngest) -> list[dict[str, object]]:
    return [item for items in fake.items.values() for item in items]


def test_a_clean_file_exits_0_with_beacon_s_counts(fake: FakeIngest, tmp_path: Path) -> None:
    path = write(
        tmp_path / "customers.csv",
        ["Customer ID", "First Name", "Last Name", "Email", "Phone"],
        [
            ["C-1", "Asha", "Iyer", "asha@example.in", "'+919845012345"],
            ["C-2", "", "", "r@x.in", ""],
        ],
    )
    done = cli("import", "customers", str(path), env=env(fake))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "(import 1)" in done.stdout and "2 sent; 0 bad" in done.stdout
    assert "Beacon: 2 new, 0 updated, 0 unchanged, 0 merged; skipped: none" in done.stdout
    assert fake.imports["1"]["status"] == "done"
    assert (fake.imports["1"]["sent"], fake.imports["1"]["bad"]) == (2, 0)
    assert fake.imports["1"]["source"] == "generic"
    assert sent(fake)[0] == {
        "customer_id": "C-1",
        "email": "asha@example.in",
        "phone": "+919845012345",
        "name": "Asha Iyer",
    }
    assert not (tmp_path / "customers.bad.csv").read_text().splitlines()[1:]


def test_refused_rows_exit_3_and_their_report_imports_once_fixed(
    fake: FakeIngest, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "orders_export_1.csv",
        SHOPIFY,
        [
            ["#1002", "", "paid", "1,299.00", "2024-02-21 07:55:00 +0530", "Kurta", "6790001"],
            ["#1002", "", "", "", "2024-02-21 07:55:00 +0530", "Saree, silk", ""],
            ["#1001", "a@b.in", "paid", "378,00", "2024-02-20 07:55:00 +0530", "Kurta", "6790002"],
            ["#1000", "a@b.in", "paid", "100.00", "2024-02-19 07:55:00 +0530", "Tea", "6790003"],
        ],
    )
    done = cli("import", "orders", str(path), "--from", "shopify", env=env(fake))
    assert done.returncode == 3, done.stderr + done.stdout
    assert "3 records read" in done.stdout and "1 sent; 2 bad" in done.stdout
    assert "customer_email: the order has no Email" in done.stdout
    assert "amount: '378,00' reads two ways: 378.00 or 37800" in done.stdout
    assert "2 of 3 records refused" in done.stderr
    assert (fake.imports["1"]["sent"], fake.imports["1"]["bad"]) == (1, 2)

    report = tmp_path / "orders_export_1.bad.csv"
    rows = list(csv.reader(report.open(newline="")))
    assert rows[0] == [*SHOPIFY, "Beacon Error"]
    assert [r[:-1] for r in rows[1:3]] == [
        ["#1002", "", "paid", "1,299.00", "2024-02-21 07:55:00 +0530", "Kurta", "6790001"],
        ["#1002", "", "", "", "2024-02-21 07:55:00 +0530", "Saree, silk", ""],
    ]
    assert rows[1][-1].startswith("lines 2-3: customer_email:")
    assert rows[3][-1].startswith("line 4: amount:")

    # A person fixes the report in a spreadsheet and imports it again, error column and all.
    rows[1][1] = rows[2][1] = "priya@b.in"
    rows[3][3] = "378.00"
    write(report, rows[0], rows[1:])
    again = cli("import", "orders", str(report), "--from", "shopify", env=env(fake))
    assert again.returncode == 0, again.stderr + again.stdout
    fixed = fake.items["2"]
    assert [(o["order_id"], o["amount"]) for o in fixed] == [
        ("6790001", "1299.00"),
        ("6790002", "378.00"),
    ]
    assert [line["name"] for line in fixed[0]["line_items"]] == ["Kurta", "Saree, silk"]


def test_max_bad_lets_a_few_refusals_pass(fake: FakeIngest, tmp_path: Path) -> None:
    path = write(
        tmp_path / "orders.csv",
        ["Order ID", "Customer ID", "Order Total", "Order Date"],
        [["O1", "C1", "10", "2026-01-01"], ["O2", "C1", "378,00", "2026-01-01"]],
    )
    within = cli("import", "orders", str(path), "--max-bad", "1", env=env(fake))
    assert within.returncode == 0, within.stderr
    share = cli("import", "orders", str(path), "--max-bad", "50%", env=env(fake))
    assert share.returncode == 0, share.stderr
    beyond = cli("import", "orders", str(path), "--max-bad", "10%", env=env(fake))
    assert beyond.returncode == 3
    decimal = cli("import", "orders", str(path), "--decimal-comma", env=env(fake))
    assert decimal.returncode == 0 and sent(fake)[-1]["amount"] == "378.00"


def test_fatal_errors_exit_1_and_ambiguous_dates_stop_before_sending(
    fake: FakeIngest, tmp_path: Path
) -> None:
    header = ["Order ID", "Customer ID", "Order Total", "Order Date"]
    path = write(tmp_path / "o.csv", header, [["O1", "C1", "10", "01/02/2024"]])
    done = cli("import", "orders", str(path), env=env(fake))
    assert done.returncode == 1
    assert "every date in the file reads two ways" in done.stderr
    assert "--date-format" in done.stderr and "Traceback" not in done.stderr
    assert fake.imports == {}  # nothing was made, nothing sent
    settled = cli("import", "orders", str(path), "--date-format", "%m/%d/%Y", env=env(fake))
    assert settled.returncode == 0, settled.stderr
    assert sent(fake)[0]["ordered_at"] == "2024-01-02T00:00:00+05:30"

    in_london = cli("import", "orders", str(path), "--date-format", "%d/%m/%Y",
                    "--timezone", "Europe/London", env=env(fake))  # fmt: skip
    assert in_london.returncode == 0 and sent(fake)[-1]["ordered_at"].endswith("+00:00")
    assert "times without an offset are Europe/London" in in_london.stdout

    shopify = write(
        tmp_path / "orders_export_1.csv",
        SHOPIFY,
        [["#1000", "a@b.in", "paid", "100.00", "2024-02-19 07:55:00 +0530", "Tea", "6790003"]],
    )
    made = len(fake.imports)
    done = cli("import", "orders", str(shopify), env=env(fake))  # --from left out
    assert done.returncode == 1 and "looks like a shopify orders export" in done.stderr
    assert "--from shopify" in done.stderr and len(fake.imports) == made

    missing = write(tmp_path / "m.csv", ["Order ID", "Amount"], [["O1", "1"]])
    done = cli("import", "orders", str(missing), env=env(fake))
    assert done.returncode == 1 and "no column for 'customer_id' or 'customer_email'" in done.stderr

    fake.fail_with = 500
    good = write(tmp_path / "g.csv", header, [["O1", "C1", "10", "2026-01-01"]])
    done = cli("import", "orders", str(good), env=env(fake))
    assert done.returncode == 1 and "answered 500" in done.stderr


def test_warnings_are_grouped_and_the_rows_kept(fake: FakeIngest, tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        ["Customer ID", "Name", "Phone", "City"],
        [["C1", "A", "call me", "Pune"], ["C2", "B", "ring twice", "x" * 101], ["C3", "C", "", ""]],
    )
    done = cli("import", "customers", str(path), env=env(fake))
    assert done.returncode == 0, done.stderr
    assert "3 warnings (sent without the field)" in done.stdout
    assert "2 x phone: dropped: is not a phone number" in done.stdout
    assert "1 x city: dropped: String should have at most 100 characters" in done.stdout
    assert [c.get("phone") for c in sent(fake)] == [None, None, None]


def test_a_dry_run_sends_nothing(fake: FakeIngest, tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv",
        ["Order ID", "Customer ID", "Order Total", "Order Date"],
        [["O1", "C1", "10", "2026-01-01"], ["O2", "C1", "378,00", "2026-01-01"]],
    )
    done = cli("import", "orders", str(path), "--dry-run", env=env(fake))
    assert done.returncode == 3
    assert "1 valid (dry run, nothing sent); 1 bad" in done.stdout
    assert fake.imports == {}


def test_jsonl_input_keeps_a_jsonl_report(fake: FakeIngest, tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(
        '{"order_id": "O1", "customer_email": "a@b.in", "amount": 10, "ordered_at": "2026-01-01"}\n'
        '{"order_id": "O2", "customer_email": "a@b.in", "amount": -1, "ordered_at": "2026-01-01"}\n'
    )
    done = cli("import", "orders", str(path), env=env(fake))
    assert done.returncode == 3
    [entry] = [
        json.loads(line) for line in (tmp_path / "orders.bad.jsonl").read_text().splitlines()
    ]
    assert (entry["line"], entry["field"]) == (2, "amount")
    assert json.loads(entry["row"])["order_id"] == "O2"


def test_resume_goes_on_into_the_same_import(fake: FakeIngest, tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv",
        ["Order ID", "Customer ID", "Order Total", "Order Date"],
        [[f"O{i}", "C1", "10", "2026-01-01"] for i in range(6)],
    )
    fake.handle(
        "POST", "/api/v1/imports", {"kind": "orders", "source": "generic", "file_name": "o.csv"}
    )
    fake.items["1"].extend({"order_id": f"O{i}"} for i in range(3))
    state = tmp_path / "o.csv.orders.state.json"
    state.write_text(
        json.dumps(
            {
                "file": str(path.resolve()),
                "size": path.stat().st_size,
                "kind": "orders",
                "confirmed_line": 4,
                "sent": 3,
                "done": False,
                "import_id": "1",
            }
        )
    )
    done = cli("import", "orders", str(path), "--resume", env=env(fake))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "3 skipped (settled by the earlier run)" in done.stdout
    assert list(fake.imports) == ["1"]
    assert [o["order_id"] for o in fake.items["1"]] == [f"O{i}" for i in range(6)]
    assert fake.imports["1"]["sent"] == 6 and json.loads(state.read_text())["done"]


def test_imports_list_show_undo_and_erase(fake: FakeIngest, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", ["Email"], [["a@b.in"], ["c@d.in"]])
    assert cli("import", "customers", str(path), env=env(fake)).returncode == 0
    listed = cli("imports", "list", env=env(fake))
    assert listed.returncode == 0 and "c.csv" in listed.stdout and "done" in listed.stdout
    shown = cli("imports", "show", "1", env=env(fake))
    assert shown.returncode == 0 and "new" in shown.stdout and "t@example.in" in shown.stdout
    undone = cli("imports", "undo", "1", "--yes", env=env(fake))
    assert undone.returncode == 0, undone.stderr
    assert "import 1 undone: 2 removed, 0 restored, 0 conflicts" in undone.stdout
    unknown = cli("imports", "show", "99", env=env(fake))
    assert unknown.returncode == 1 and "not found" in unknown.stderr
    erased = cli("customers", "erase", "a@b.in", "--yes", env=env(fake))
    assert erased.returncode == 0 and fake.erased == ["a@b.in"]
