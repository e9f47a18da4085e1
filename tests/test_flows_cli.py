"""The command line: options reach the flow, errors and the summary read well."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pytest

from flows.deploy import deployment_parameters

REPO = Path(__file__).resolve().parents[1]


def test_serve_takes_the_run_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`interlinear serve` accepts what `interlinear run` does and passes it to the flow."""
    from flows.cli import parser
    from flows.vault import vault_flow

    monkeypatch.chdir(tmp_path)
    args = parser().parse_args([
        "serve", str(REPO / "examples" / "vault"), "--cron", "0 3 * * *", "--to", "pt",
        "--out", "o", "--name", "mine", "--engine", "bergamot", "--allow-missing-models",
        "--offline", "--cache-dir", "c", "--glossary", "g", "--transcripts", "t",
        "--transcript-lang", "ru,en", "--original-lang", "ru", "--review-store", "r.jsonl",
        "--reviewer", "ana"])
    assert args.name == "mine"
    params = deployment_parameters(args)
    assert params == {
        "vault": str(REPO / "examples" / "vault"), "languages": ["pt"],
        "out": str(tmp_path / "o"), "transcripts": str(tmp_path / "t"),
        "cache_dir": str(tmp_path / "c"), "glossary": str(tmp_path / "g"),
        "transcript_langs": "ru,en", "original_lang": "ru", "offline": True,
        "engine": "bergamot", "allow_missing_models": True,
        "review_store": str(tmp_path / "r.jsonl"), "reviewer": "ana"}
    assert set(params) <= set(vault_flow.parameters.model_dump()["properties"])


def test_an_unforeseen_error_is_one_line_and_exit_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import flows.cli as cli

    def boom(args: argparse.Namespace) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "cmd_glossary", boom)
    assert cli.main(["glossary", "validate"]) == 2
    err = capsys.readouterr().err
    assert "internal error: KeyError: 'surprise'" in err and "Traceback" not in err
    with pytest.raises(KeyError):
        cli.main(["-v", "glossary", "validate"])


def test_summary_groups_items_that_fail_for_one_reason() -> None:
    from flows.cli import grouped

    missing = "no translation model for ru->pt: install one"
    items = [{"stage": "translate", "item": f"n{i}.md [pt]", "reason": missing}
             for i in range(12)]
    items.insert(3, {"stage": "fetch", "item": "abc", "reason": "video unavailable"})
    lines = grouped(items, shown=3)
    assert lines == [
        f"  translate: {missing}",
        "    (12 items: n0.md [pt], n1.md [pt], n2.md [pt] and 9 more)",
        "  fetch: abc: video unavailable",
    ]


def test_glossary_validate_checks_the_folder_given(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`glossary validate --glossary DIR` prints what a run would find in DIR, file and
    line, and exits 1 on errors (0 with warnings only, 2 without the folder)."""
    from flows.cli import main

    header = "en,ru,pt,case,note\n"
    (tmp_path / "a.csv").write_text(header + "Putin,Путин\nKremlin,Кремль,,insensitive,\n",
                                    encoding="utf-8")
    (tmp_path / "b.csv").write_text(header + "Putin,Путина,Putin,insensitive,\n",
                                    encoding="utf-8")
    assert main(["glossary", "validate", "--glossary", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{tmp_path / 'a.csv'}:2: error: 2 fields, the header has 5: the row is not used, "
        "and 'Putin' is not enforced in any language",
        f"{tmp_path / 'a.csv'}:3: warning: 'Kremlin': empty pt cell: no rule for pt",
        "1 terms; 1 errors, 1 warnings (what an error names is not enforced)"]
    (tmp_path / "a.csv").write_text(header + "Kremlin,Кремль,,insensitive,\n", "utf-8")
    assert main(["glossary", "validate", "--glossary", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 terms; 0 errors, 1 warnings"
    assert main(["glossary", "validate"]) == 0  # the project's own glossary
    assert capsys.readouterr().out.endswith(" terms; 0 errors, 0 warnings\n")
    assert main(["glossary", "validate", "--glossary", str(tmp_path / "none")]) == 2
    assert "glossary folder" in capsys.readouterr().err


def test_a_refused_write_is_said_in_words_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Not "internal error: OSError": what the system said, and the file."""
    import flows.cli as cli
    from pipeline.fileio import atomic_write_text

    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "out" / "manifest.json"

    def wrapped(args: argparse.Namespace) -> int:
        atomic_write_text(target, "{}")
        return 0

    def raw(args: argparse.Namespace) -> int:
        (tmp_path / "file" / "x").write_text("{}")
        return 0

    monkeypatch.setattr(cli, "cmd_glossary", wrapped)
    assert cli.main(["glossary", "validate"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: not a directory while writing {target}\n"  # one line, unwrapped
    monkeypatch.setattr(cli, "cmd_glossary", raw)
    assert cli.main(["glossary", "validate"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: not a directory ({tmp_path / 'file' / 'x'})\n"


def test_the_command_spares_its_exit_a_collection(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """As the process's own command (no `argv`), what the run made is frozen out of the
    collection the interpreter's exit would make; called with arguments (a test, a
    library), the caller's objects are left alone."""
    import gc

    from flows.cli import main

    gc.unfreeze()
    try:
        assert main(["glossary", "validate"]) == 0
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr("sys.argv", ["interlinear", "glossary", "validate"])
        assert main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert capsys.readouterr().out.endswith(" terms; 0 errors, 0 warnings\n")


def test_heartbeats_are_off_on_interlinears_own_server_unless_asked_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing watches flow-run heartbeats on the temporary server, and Prefect's heartbeat
    thread holds every run up to 1 s at its end: off there; on a server of the user's
    (PREFECT_API_URL), or with PREFECT_FLOWS_HEARTBEAT_FREQUENCY set, Prefect's own."""
    from prefect.settings import get_current_settings

    from flows.cli import _heartbeats

    monkeypatch.delenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", raising=False)
    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect 3.8 beats every 180 s by default
    with _heartbeats(own_server=True):
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default
    with _heartbeats(own_server=False):
        assert get_current_settings().flows.heartbeat_frequency == default
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")
    with _heartbeats(own_server=True):
        assert get_current_settings().flows.heartbeat_frequency == default  # not touched


def test_the_server_starts_while_the_run_is_composed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`interlinear run` builds its composition (the aligner's model files on a fresh
    cache) while Prefect's server starts, not before it; an error of either still reaches
    the command, the server's first."""
    import threading

    import pipeline.run
    from flows.cli import _server_while_composing
    from pipeline.errors import ConfigError
    from pipeline.settings import RunSettings

    settings = RunSettings.of(vault=tmp_path, languages="pt", out=tmp_path / "o")
    composing, serving = threading.Event(), threading.Event()
    built: list[RunSettings] = []

    def compose(given: RunSettings) -> SimpleNamespace:
        composing.set()
        assert serving.wait(10), "the composition was built before the server started"
        return SimpleNamespace(aligner=SimpleNamespace(prepare=lambda: built.append(given)))

    def server() -> bool:
        serving.set()
        assert composing.wait(10), "the server started before the composition was begun"
        return True

    monkeypatch.setattr(pipeline.run, "context", compose)
    assert _server_while_composing(settings, server) is True
    assert built == [settings]

    def broken(given: RunSettings) -> None:
        raise ConfigError("glossary line 3: no English term")

    monkeypatch.setattr(pipeline.run, "context", broken)
    with pytest.raises(ConfigError, match="glossary line 3"):
        _server_while_composing(settings, lambda: True)

    def refused() -> bool:
        raise ConfigError("Prefect's server did not start")

    with pytest.raises(ConfigError, match="did not start"):
        _server_while_composing(settings, refused)
