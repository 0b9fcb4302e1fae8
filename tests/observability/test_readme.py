"""The README's OpenTelemetry example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MARK = "<!-- observability-example: run by tests/observability/test_readme.py -->"


def test_readme_otel_example_runs() -> None:
    """The example prints its record count and exports the listing's span tree."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(MARK) + r"\n```python\n(.*?)\n```", readme, re.S)
    assert found is not None
    done = subprocess.run(
        [sys.executable, "-c", found.group(1)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "300 records" in done.stdout
    assert '"name": "telcall.tel4vn.cdrs.iterate"' in done.stdout
    assert '"name": "telcall.tel4vn.cdrs.iterate page"' in done.stdout
