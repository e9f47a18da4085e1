"""The review loop through the `interlinear` command line (offline, a copy of examples/,
--to pt, real Bergamot): edits read back and applied, an unreadable edit kept and listed
in the summary, manifest.json and the review index; `review status` counts the blocks."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from .flows_support import (
    EXAMPLES,
    PY,
    ROOT,
    copy_caches,
    copy_examples,
    prefect_env,
    prefect_server,
    warm_cache,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
NOTE = "bonus_professor/peace_terms_after_kherson"


def test_review_loop_through_the_cli(tmp_path: Path,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    vault = copy_examples(tmp_path / "vault")
    out = tmp_path / "out"
    cache = copy_caches(warm_cache(tmp_path_factory.getbasetemp()), tmp_path / "cache")
    store = tmp_path / "reviews" / "review.jsonl"
    with prefect_server(tmp_path / "prefect") as (url, _):
        env = prefect_env(tmp_path / "prefect-client", url)
        env.update({"PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "250"})

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([PY, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=900)

        def run() -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
            proc = cli("run", str(vault), "--to", "pt", "--out", str(out), "--offline",
                       "--transcripts", str(EXAMPLES / "transcripts"), "--allow-missing-models",
                       "--cache-dir",
                       str(cache), "--review-store", str(store), "--reviewer", "ana")
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            return proc, json.loads((out / "manifest.json").read_text(encoding="utf-8"))

        _, manifest = run()
        outputs = manifest["outputs"]
        assert isinstance(outputs, list) and all(len(o["sha256"]) == 64 for o in outputs)
        tpath = out / "notes" / "pt" / f"{NOTE}.md"
        bpath = out / "bilingual" / "pt" / f"{NOTE}.md"
        lines = tpath.read_text(encoding="utf-8").split("\n")
        at = next(i for i, line in enumerate(lines) if 'data-t="00:08:11"' in line)
        lines[at] = ("*   **Zona de amortecimento:** faixa revista "
                     '<a class="yt-timestamp" data-t="00:08:11">[00:08:11]</a>.')
        tpath.write_text("\n".join(lines), encoding="utf-8")
        text, n = re.subn(r"(> \[!translation\]-? )[^\n]*?(\[00:11:10\]\()",
                          r'\g<1>REVISTO: tal ataque significaria um "não" \g<2>',
                          bpath.read_text(encoding="utf-8"))
        assert n == 1
        bpath.write_text(text, encoding="utf-8")

        proc, manifest = run()
        assert manifest["conflicts"] == []
        page = out / "review" / "pt" / f"{NOTE}.html"
        for path in (tpath, bpath, page):
            got = path.read_text(encoding="utf-8")
            assert "Zona de amortecimento" in got and "REVISTO: tal ataque" in got, path

        mine = bpath.read_text(encoding="utf-8").replace("## The terms", "## The terms (mine)")
        bpath.write_text(mine, encoding="utf-8")
        proc, manifest = run()
        assert bpath.read_text(encoding="utf-8") == mine
        rel = f"bilingual/pt/{NOTE}.md"
        (conflict,) = manifest["conflicts"]  # type: ignore[misc]
        assert conflict["item"] == rel and f"bilingual/pt/{NOTE}.new.md" in conflict["reason"]
        assert "edited outputs kept as they are (1)" in proc.stdout and rel in proc.stdout
        index = (out / "review" / "index.html").read_text(encoding="utf-8")
        assert "Edited outputs kept as they are (conflicts) (1)" in index and rel in index

        status = cli("review", "status", str(vault), "--review-store", str(store))
        assert status.returncode == 0, status.stderr
        row = next(line for line in status.stdout.splitlines() if "peace_terms" in line)
        assert re.search(r"pt\s+│\s+2\s+│\s+\d+\s+│\s+0", row), status.stdout
