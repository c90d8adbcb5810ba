"""Make the repository root importable (`import services.segments...`) when pytest is
run as `uv run pytest` without a root conftest or `pythonpath` setting (the project is
not installed: `[tool.uv] package = false`). A no-op once the root is on sys.path."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[4])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
