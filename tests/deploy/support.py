"""Paths and loaders the deploy tests share."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def load_script(name: str) -> ModuleType:
    """Import ``deploy/scripts/<name>.py`` (scripts are files, not a package)."""
    path = DEPLOY / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"deploy_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
