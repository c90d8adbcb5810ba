"""Credentials rotate one secret at a time.

``k8s-secrets.sh`` makes every Secret for a first install; rerun on a live namespace it would
replace all of them at once (everyone signed out, every API key and the vendor's signatures
broken, every password changed under running pods), so it refuses unless ``--force``. The
runbook in docs/operations.md covers every Secret it makes, one at a time.
"""

from __future__ import annotations

import pytest

from tests.deploy.support import REPO, run_secrets_script, script_secrets


def test_secrets_script_refuses_to_replace_existing_secrets(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    done, applied = run_secrets_script(
        str(tmp_path_factory.mktemp("exist")), "beacon", "mysql", exist=True
    )
    assert done.returncode != 0
    assert not applied, "nothing may be applied when the Secrets exist"
    assert "Rotating" in done.stderr and "--force" in done.stderr


def test_secrets_script_force_rebuilds(tmp_path_factory: pytest.TempPathFactory) -> None:
    done, applied = run_secrets_script(
        str(tmp_path_factory.mktemp("force")), "--force", "beacon", "mysql", exist=True
    )
    assert done.returncode == 0, done.stderr
    assert "beacon-auth" in applied


def test_runbook_rotates_every_secret_one_at_a_time(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    text = (REPO / "docs" / "operations.md").read_text()
    start = text.index("\n## Rotating credentials")
    section = text[start : text.index("\n## ", start + 1)]
    assert "One secret at a time" in section
    assert "Never rerun" in section
    names = script_secrets("beacon", str(tmp_path_factory.mktemp("names")))
    for name in names:
        generic = name
        for service in ("ingest", "segments", "campaigns", "delivery", "stats"):
            generic = generic.replace(f"beacon-{service}-db", "beacon-<service>-db")
        assert f"`{generic}" in section, f"the rotation runbook does not cover {name}"
    for key in ("BEACON_AUTH_PUBLIC_KEYS", "BEACON_AUTH_KEY_PEPPER", "BEACON_VENDOR_SECRET"):
        assert key in section
