"""`servelib profile` on a server it starts itself: py-spy's flame graph, the raw stacks and a
top-functions table in which servelib's scoring code shows up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from servelib.bench.profile import format_table, top_functions

ROOT = Path(__file__).resolve().parents[2]


def test_top_functions_from_collapsed_stacks():
    stacks = ("process 1:\"python\";main (a.py:1);score (servelib/base.py:9) 30\n"
              "process 1:\"python\";main (a.py:1);wait (asyncio/tasks.py:3) 70\n")
    own, total, n = top_functions(stacks)
    assert n == 100 and own[0] == ("wait (asyncio/tasks.py)", 70)
    assert dict(total)["main (a.py)"] == 100 and not any(k.startswith("process") for k, _ in total)
    assert "70.0  wait (asyncio/tasks.py)" in format_table(own, total, n)


def test_profile_a_started_server(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run([sys.executable, str(ROOT / "scripts/make_demo_repository.py"), str(repo)],
                   check=True, capture_output=True)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"amount": 980.0, "age": 19.0, "city": "berlin"}) + "\n")
    out = tmp_path / "profile"
    proc = subprocess.run([sys.executable, "-m", "servelib", "profile", "--repository", str(repo),
                           "--model", "demo", "--rows", str(rows), "--seconds", "2", "--rate", "200",
                           "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "flamegraph.svg").read_text()[:200].lstrip().startswith(("<?xml", "<svg"))
    table = (out / "top_functions.txt").read_text()
    assert "samples" in table and "servelib/" in table
    assert "errors none" in proc.stdout
