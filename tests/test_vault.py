"""Reading a vault: a run's output folder inside the vault is never read as notes."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.vault import run_folders, scan_vault
from tests.hostile.cases import GOOD, write


def test_outputs_inside_the_vault_are_not_notes(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault / "ch" / "good.md", GOOD)
    out = vault / "_interlinear"
    # what a run writes there: translated and bilingual notes with the same slug
    write(out / "notes" / "pt" / "ch" / "good.md", GOOD)
    write(out / "bilingual" / "pt" / "ch" / "good.md", GOOD)
    # before the first run has written its manifest, the run names its OUT itself
    scan = scan_vault(vault, skip=(out,))
    assert [str(n.path) for n in scan.notes] == [str(vault / "ch" / "good.md")]
    assert not scan.failures
    # afterwards any folder holding a run's manifest is left alone, whoever scans
    (out / "manifest.json").write_text(json.dumps({"interlinear": "0.1.0", "outputs": []}))
    assert run_folders(vault) == [out.resolve()]
    scan = scan_vault(vault)
    assert [n.slug for n in scan.notes] == ["good"] and not scan.failures


def test_a_notes_own_manifest_file_is_not_a_run_folder(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault / "ch" / "good.md", GOOD)
    write(vault / "ch" / "manifest.json", '{"name": "a plugin manifest"}')
    assert run_folders(vault) == []
    assert [n.slug for n in scan_vault(vault).notes] == ["good"]
    # the vault itself is never skipped, even when OUT is the vault
    assert [n.slug for n in scan_vault(vault, skip=(vault,)).notes] == ["good"]
