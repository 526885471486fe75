"""The README's security table, from a run of the adversarial suite.

    python scripts/security_table.py            # runs tests/test_adversarial.py, then prints the table
    python scripts/security_table.py TABLE.json # prints the table of an earlier run's JSON

The suite writes what held on each path (bubblewrap, the plain fallback) to the JSON file named by
GRADER_ADVERSARIAL_TABLE; this script only lays it out, so the table says what the tests saw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def table(data: dict) -> str:
    rows = ["| the submission tries to | bubblewrap | plain fallback |", "| --- | --- | --- |"]
    for case in data["cases"]:
        rows.append(f"| {case['tries']} | {case.get('bwrap', 'not run')} | {case.get('plain', 'not run')} |")
    counts = []
    for path, label in (("bwrap", "bubblewrap"), ("plain", "the plain fallback")):
        tried = [c for c in data["cases"] if c.get(path) in ("held", "not held")]
        held = [c for c in tried if c[path] == "held"]
        counts.append(f"held under {label}: {len(held)} of {len(tried)} tried")
    return "\n".join(rows) + f"\n\nCases: {len(data['cases'])}; " + "; ".join(counts) + "."


def main() -> None:
    if len(sys.argv) > 1:
        print(table(json.loads(Path(sys.argv[1]).read_text())))
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table.json"
        env = {**os.environ, "GRADER_ADVERSARIAL_TABLE": str(out)}
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                                str(REPO / "tests" / "test_adversarial.py")], cwd=REPO, env=env)
        if not out.exists():
            sys.exit(f"the adversarial suite wrote no table (pytest exit {code})")
        print(table(json.loads(out.read_text())))
        if code != 0:
            sys.exit(f"note: the adversarial suite did not pass (pytest exit {code}): the table shows where")


if __name__ == "__main__":
    main()
