"""Do links and bold cost translation quality? Plain notes against the same notes with
wiki-links and bold, translated en->pt by Bergamot through `translate_notes`.

usage: nice .venv/bin/python bench/bench_fidelity.py [--sentences N] [--seed S] [--tag T]

1. Sentences of the 3blue1brown transcripts with Portuguese references
   (`SHARED/corpus/transcripts/*/pt/sentence_translations.json`): every reviewed one
   (n_reviews > 0) first, then others, seeded, N in all (default 200).
2. Notes of 10 sentences, each sentence a paragraph or a list item, built twice: plain,
   and with markup injected around 1-3 word spans (never the first word; this bench's own
   seeded picker): `[[slug | span]]` links, label-less `[[Span]]` links and `**bold**`.
3. Both note sets translated by `translate_notes_with_stats` with the real Bergamot en->pt
   engine and the repository's glossary; the raw engine's calls are counted.
4. Scores, after stripping the markup: chrF (sacrebleu) of plain and markup against the
   references (all, reviewed, the sentences carrying markup), chrF of markup against plain;
   the per-path table (unit modes); labels: the share that shares no word with the span's
   own translation: the span translated alone; the span's rendering in its sentence, read
   off the engine by two probes (the words the translation of the sentence's prefix up to
   the span's end has and that up to its start has not; the words the translation of the
   whole sentence has and that of the sentence without the span has not), a label
   sharing a word with either probe's rendering being placed right; against none of the
   three; and, stem-aware, against the span alone with inflected forms as one word:
   "derivado" and "derivada", "um" and "uma"); beside them, a control: how often the
   probes accept a wrong label, the word after each label in the translation,
   English left inside links,
   tokens the engine invented (in the markup output, absent from the plain output and the source),
   labels appended to a sentence (none of its words render them);
   engine texts and seconds per sentence.
Results: bench/results/fidelity[-TAG].json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sacrebleu  # noqa: E402

from pipeline.align import E5WordVectors, word_vectors  # noqa: E402
from pipeline.glossary import Glossary  # noqa: E402
from pipeline.glossary.morph import lemmas  # noqa: E402
from pipeline.notes import parse_note  # noqa: E402
from pipeline.translate import BergamotEngine  # noqa: E402
from pipeline.translate.batch import translate_safely  # noqa: E402
from pipeline.translate.note import translate_notes_with_stats  # noqa: E402

SHARED = Path(os.environ.get("INTERLINEAR_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus" / "transcripts"
RESULTS = REPO / "bench" / "results"
PER_NOTE = 10
_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*$")
# words a link or bold label does not start or end with (a label is a name or a phrase)
_STOP = set(re.findall(r"\S+", """a an the of to in on at by for from with as and or
but if so than then that this these those there here it its it's is are was were be
been being am do does did
have has had will would could should can may might must shall not no i you he she we they
me him her us them my your his our their what which who whom whose when where why how
all any some each just like about into over out up down very really also too only even
let let's i'm you're that's what's don't doesn't isn't"""))
_PLACEHOLDER = re.compile(r"(?:XQX|ZQZ|QXQ|XZX|QZQX)\s?\d*", re.I)


class Counting:
    """The raw engine, its texts and seconds counted."""

    def __init__(self, engine: BergamotEngine) -> None:
        self.engine, self.texts, self.seconds = engine, 0, 0.0
        self.name = engine.name
        self.capabilities = engine.capabilities

    def supports(self, source: str, target: str) -> bool:
        return self.engine.supports(source, target)

    def model_id(self, source: str, target: str) -> str:
        return self.engine.model_id(source, target)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        t0 = time.perf_counter()
        out = self.engine.translate(texts, source, target)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out


def load_sentences(n: int, seed: int) -> list[dict[str, object]]:
    reviewed, others = [], []
    for path in sorted(CORPUS.glob("*/pt/sentence_translations.json")):
        for s in json.loads(path.read_text(encoding="utf-8")):
            src, ref = " ".join(s["input"].split()), " ".join(s["translatedText"].split())
            if len(src.split()) < 6 or len(src.split()) > 45 or not ref:
                continue
            if re.search(r"[\[\]*_`$<>|#]", src):
                continue
            row = {"src": src, "ref": ref, "reviewed": s.get("n_reviews", 0) > 0}
            (reviewed if row["reviewed"] else others).append(row)
    rng = random.Random(seed)
    rng.shuffle(reviewed)
    rng.shuffle(others)
    return (reviewed[: n // 2] + others)[:n] if len(reviewed) >= n // 2 else \
        (reviewed + others)[:n]


def inject(src: str, rng: random.Random, k: int) -> tuple[str, list[dict[str, str]]]:
    """`src` with markup around 1-2 spans of 1-3 words (never the first word)."""
    words = src.split(" ")
    spans: list[dict[str, str]] = []
    if rng.random() > 0.65:
        return src, spans
    taken: set[int] = set()
    for _ in range(2 if rng.random() < 0.3 else 1):
        length = rng.choice((1, 1, 2, 2, 3))
        starts = [i for i in range(1, len(words) - length + 1)
                  if all(_WORD.match(w) and j not in taken and j - 1 not in taken
                         and j + 1 not in taken for j, w in
                         zip(range(i, i + length), words[i:i + length], strict=True))
                  and words[i].lower() not in _STOP
                  and words[i + length - 1].lower() not in _STOP]
        if not starts:
            continue
        i = rng.choice(starts)
        span = " ".join(words[i:i + length])
        r = rng.random()
        if r < 0.3:
            kind, marked = "bold", f"**{span}**"
        elif r < 0.45 and all(w.lower() not in _STOP for w in span.split()):
            kind, marked = "alias", f"[[{span}]]"
        else:
            slug = f"{re.sub(r'[^a-z]+', '_', span.lower())}_{k}_{len(spans)}"
            kind, marked = "link", f"[[{slug} | {span}]]"
        spans.append({"kind": kind, "span": span, "key": slug if kind == "link" else span,
                      "at": str(i)})
        words[i:i + length] = [marked] + [""] * (length - 1)
        taken.update(range(i, i + length))
    spans.sort(key=lambda s: int(s["at"]))  # bold labels are matched in source order
    return " ".join(w for w in words if w != ""), spans


def note_text(lines: list[str], k: int) -> str:
    body = []
    for i, line in enumerate(lines):
        body.append(f"*   {line}\n" if i % 3 == 2 else f"{line}\n\n")
        if i % 3 == 2:
            body.append("\n")
    return f"---\ntitle: Bench note {k}\nvideoId: 3d6DsjIBzJ4\n---\n\n" + "".join(body)


def out_lines(text: str) -> list[str]:
    body = text.split("\n---\n", 1)[1]
    return [re.sub(r"^\*   ", "", ln) for ln in body.split("\n") if ln.strip()]


_LINK = re.compile(r"\[\[([^\[\]|]+?)(?:\s*\|\s*([^\[\]]+?))?\s*\]\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def strip(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(_BOLD.sub(r"\1", text).split())


def fold(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", text)


def shares_a_word(a: str, b: str) -> bool:
    """Whether `a` and `b` share a word (accents and case aside), a lemma, or a stem of 5
    letters or more ("aplicam" and "aplicação")."""
    wa, wb = set(fold(a)), set(fold(b))
    if wa & wb:
        return True
    if {w[:5] for w in wa if len(w) >= 5} & {w[:5] for w in wb if len(w) >= 5}:
        return True
    la = {x for w in re.findall(r"[^\W_]+", a) for x in lemmas(w, "pt")}
    lb = {x for w in re.findall(r"[^\W_]+", b) for x in lemmas(w, "pt")}
    return bool(la & lb)


def _stem(word: str) -> str:
    """A folded word without its inflection's last letters: a final -s, then a final
    vowel ("várias" and "vários": "vari"; "uma" and "um": "um")."""
    word = word[:-1] if len(word) > 3 and word.endswith("s") else word
    return word[:-1] if len(word) > 2 and word[-1] in "aeo" else word


def shares_a_stem(a: str, b: str) -> bool:
    """`shares_a_word`, or a word of each with a common start of 4 letters or more or
    the same stem once inflected endings are cut (accents and case aside): "derivado" and
    "derivada", "toda" and "todo", "uma" and "um" (the stem-aware measure, reported
    beside the issue's own)."""
    if shares_a_word(a, b):
        return True
    wa, wb = set(fold(a)), set(fold(b))
    return any(len(x) >= 4 and len(y) >= 4 and x[:4] == y[:4] or _stem(x) == _stem(y)
               for x in wa for y in wb)


def translate(sources: list[str], glossary: Glossary, engine: BergamotEngine,
              words: E5WordVectors | None = None) -> tuple[list[str], Counting, object, float]:
    counting = Counting(engine)
    notes = [parse_note(note_text(sources[i:i + PER_NOTE], i // PER_NOTE),
                        Path(f"bench/n{i // PER_NOTE}.md"))
             for i in range(0, len(sources), PER_NOTE)]
    t0 = time.perf_counter()
    out, stats = translate_notes_with_stats(notes, "pt", counting, glossary, alike=words)
    seconds = time.perf_counter() - t0
    lines = [ln for tn in out for ln in out_lines("".join(tn.blocks))]
    if len(lines) != len(sources):
        raise SystemExit(f"{len(lines)} output lines for {len(sources)} sentences")
    return lines, counting, stats, seconds


def chrf(hyps: list[str], refs: list[str]) -> float:
    return round(sacrebleu.corpus_chrf(hyps, [refs]).score, 2) if hyps else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=200)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--tag", default="")
    ap.add_argument("--no-words", action="store_true",
                    help="place markup without word vectors (E5WordVectors), as before")
    args = ap.parse_args()
    rows = load_sentences(args.sentences, args.seed)
    rng = random.Random(args.seed)
    marked, spans = [], []
    for k, row in enumerate(rows):
        m, s = inject(str(row["src"]), rng, k)
        marked.append(m)
        spans.append(s)
    glossary = Glossary.load(REPO / "glossary")
    engine = BergamotEngine()
    plain, pc, _, pt = translate([str(r["src"]) for r in rows], glossary, engine)
    words = None if args.no_words else word_vectors(REPO / ".interlinear-cache")
    markup, mc, mstats, mt = translate(marked, glossary, engine, words)
    stripped = [strip(x) for x in markup]
    plain_s = [strip(x) for x in plain]
    refs = [str(r["ref"]) for r in rows]
    has = [i for i, s in enumerate(spans) if s]
    rev = [i for i, r in enumerate(rows) if r["reviewed"]]

    def pick(xs: list[str], ix: list[int]) -> list[str]:
        return [xs[i] for i in ix]

    # labels against each span translated alone (bench-only calls, not counted)
    alone_src = sorted({s["span"] for ss in spans for s in ss})
    alone = dict(zip(alone_src, (o or "" for o in translate_safely(
        engine, alone_src, "en", "pt").outputs), strict=True))
    # ... and against the span's rendering in its sentence, read off the engine by prefix:
    # the words the translation of the sentence up to the span's end has and that of the
    # sentence up to its start has not ("It is a fundamental distribution in probability"
    # against "... distribution in": "probabilidade"); bench-only calls, not counted
    # ... and by deletion: the words the translation of the whole sentence has and that of
    # the sentence without the span has not ("It's meant to be loosely analogous" against
    # "It's to be loosely analogous": "tem a intenção")
    probes: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for i, ss in enumerate(spans):
        words = str(rows[i]["src"]).split(" ")
        for s in ss:
            at, size = int(s["at"]), len(s["span"].split())
            probes[(i, s["span"])] = [
                (" ".join(words[:at + size]), " ".join(words[:at])),
                (" ".join(words), " ".join(words[:at] + words[at + size:]))]
    asked = sorted({x for pairs in probes.values() for pair in pairs for x in pair if x})
    said = dict(zip(asked, (o or "" for o in translate_safely(engine, asked, "en", "pt").outputs),
                    strict=True))

    def added_words(with_span: str, without: str) -> str:
        before = Counter(fold(without))
        added = []
        for w in fold(with_span):
            if before[w]:
                before[w] -= 1
            else:
                added.append(w)
        return " ".join(added)

    def in_context(i: int, span: str) -> list[str]:
        """The span's rendering in its sentence by each probe (prefix, deletion)."""
        return [added_words(*(said.get(x, "") for x in pair)) for pair in probes[(i, span)]]

    labels = mislabelled = english = stem_misses = 0
    context_misses = both_misses = prefix_misses = controls = controls_accepted = 0
    gloss = re.compile(r" \((?:\[\[[^\[\]]*\]\]|\*\*[^*]+\*\*)\)")  # an appended label
    appended = sum(len(gloss.findall(out)) for out in markup)
    examples: list[str] = []
    context_examples: list[str] = []
    for i, ss in enumerate(spans):
        out = markup[i]
        links = {m.group(1).strip(): (m.group(2) or m.group(1)) for m in _LINK.finditer(out)}
        bolds = [m.group(1) for m in _BOLD.finditer(out)]
        for s in ss:
            label = bolds.pop(0) if s["kind"] == "bold" and bolds else \
                links.get(s["key"]) if s["kind"] != "bold" else None
            if label is None:
                continue
            labels += 1
            own = alone[s["span"]]
            if fold(own) == fold(s["span"]):
                continue  # kept as written by the engine: nothing to measure
            if fold(label) == fold(s["span"]):
                english += 1
            prefix, deletion = in_context(i, s["span"])
            prefix_misses += bool(prefix) and not shares_a_word(label, prefix)
            found = [x for x in (prefix, deletion) if x]
            missed_ctx = bool(found) and not any(shares_a_word(label, x) for x in found)
            context_misses += missed_ctx
            # the control: the word after the label (before it at the end), a wrong label
            # the probes should not accept
            flat = strip(out)
            at = flat.find(label)
            after = re.findall(r"[^\W_]+", flat[at + len(label):]) if at >= 0 else []
            before = re.findall(r"[^\W_]+", flat[:at]) if at >= 0 else []
            wrong = after[0] if after else before[-1] if before else ""
            if found and wrong and not shares_a_word(wrong, label):
                controls += 1
                controls_accepted += any(shares_a_word(wrong, x) for x in found)
            if missed_ctx:
                context_examples.append(f"{s['span']!r} -> {label!r} (in context: {prefix!r} "
                                        f"/ {deletion!r}; alone: {own!r}) in: {out}")
            stem_misses += not shares_a_stem(label, own)
            if not shares_a_word(label, own):
                mislabelled += 1
                both_misses += missed_ctx or not found
                examples.append(f"{s['span']!r} -> {label!r} (alone: {own!r}; in context: "
                                f"{prefix!r} / {deletion!r}) in: {out}")
    invented = []
    for i in has:
        extra = set(stripped[i].split()) - set(plain_s[i].split())
        bad = [w for w in extra if _PLACEHOLDER.search(w) or (
            re.fullmatch(r"[A-Z]{2,}\d*\W*", w) and w.strip(".,;:!?") not in rows[i]["src"])]
        invented.extend(bad)
    # per path: the mode of each sentence's unit(s) with markup
    by_unit: dict[str, str] = dict(getattr(mstats, "unit_modes", []))
    paths: dict[str, list[int]] = {}
    for i in has:
        modes = {mode for orig, mode in by_unit.items() if orig and orig in marked[i]
                 and ("[[" in orig or "**" in orig)}
        paths.setdefault("+".join(sorted(modes)) or "?", []).append(i)
    table = {p: {"sentences": len(ix), "plain": chrf(pick(plain_s, ix), pick(refs, ix)),
                 "markup": chrf(pick(stripped, ix), pick(refs, ix)),
                 "same_as_plain": sum(stripped[i] == plain_s[i] for i in ix)}
             for p, ix in sorted(paths.items())}
    n = len(rows)
    report = {
        "sentences": n, "reviewed": len(rev), "with_markup": len(has),
        "links": sum(s["kind"] != "bold" for ss in spans for s in ss),
        "bold": sum(s["kind"] == "bold" for ss in spans for s in ss),
        "chrf_plain": chrf(plain_s, refs), "chrf_markup": chrf(stripped, refs),
        "chrf_plain_reviewed": chrf(pick(plain_s, rev), pick(refs, rev)),
        "chrf_markup_reviewed": chrf(pick(stripped, rev), pick(refs, rev)),
        "chrf_plain_with_markup": chrf(pick(plain_s, has), pick(refs, has)),
        "chrf_markup_with_markup": chrf(pick(stripped, has), pick(refs, has)),
        "chrf_markup_vs_plain": chrf(stripped, plain_s),
        "same_as_plain": sum(a == b for a, b in zip(stripped, plain_s, strict=True)),
        "labels": labels, "mislabelled": mislabelled,
        "mislabelled_share": round(mislabelled / max(1, labels), 4),
        "mislabelled_in_context_prefix": prefix_misses,
        "mislabelled_in_context": context_misses,
        "control_wrong_labels": controls, "control_wrong_labels_accepted": controls_accepted,
        "mislabelled_in_context_share": round(context_misses / max(1, labels), 4),
        "mislabelled_stem": stem_misses,
        "mislabelled_stem_share": round(stem_misses / max(1, labels), 4),
        "mislabelled_both": both_misses,
        "mislabelled_both_share": round(both_misses / max(1, labels), 4),
        "english_left_in_labels": english, "invented_tokens_kept": invented,
        "appended_labels": appended,
        "engine_texts_plain": pc.texts, "engine_texts_markup": mc.texts,
        "engine_texts_per_sentence": [round(pc.texts / n, 3), round(mc.texts / n, 3)],
        "engine_texts_ratio": round(mc.texts / max(1, pc.texts), 3),
        "seconds_plain": round(pt, 1), "seconds_markup": round(mt, 1),
        "modes_markup": dict(getattr(mstats, "modes", {})),
        "placements": dict(getattr(mstats, "placements", {})),
        "paths": table, "mislabel_examples": examples,
        "context_miss_examples": context_examples,
        "path_examples": {p: [markup[i] for i in ix] for p, ix in sorted(paths.items())
                          if p not in ("placed", "masked")},
    }
    RESULTS.mkdir(exist_ok=True)
    name = "fidelity" + (f"-{args.tag}" if args.tag else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1)
                                          + "\n", encoding="utf-8")
    md = [f"# {name}: {n} sentences ({len(rev)} reviewed), {len(has)} with markup "
          f"({report['links']} links, {report['bold']} bold)", "",
          "| measure | plain | markup |", "|---|---|---|",
          f"| chrF, all | {report['chrf_plain']} | {report['chrf_markup']} |",
          f"| chrF, reviewed | {report['chrf_plain_reviewed']} | "
          f"{report['chrf_markup_reviewed']} |",
          f"| chrF, sentences with markup | {report['chrf_plain_with_markup']} | "
          f"{report['chrf_markup_with_markup']} |",
          f"| engine texts per sentence | {report['engine_texts_per_sentence'][0]} | "
          f"{report['engine_texts_per_sentence'][1]} |",
          f"| seconds | {report['seconds_plain']} | {report['seconds_markup']} |", "",
          f"markup vs plain chrF {report['chrf_markup_vs_plain']}; identical "
          f"{report['same_as_plain']}/{n}; labels {labels}, mislabelled {mislabelled} "
          f"({report['mislabelled_share']:.1%}; against the rendering in context "
          f"{context_misses}, {report['mislabelled_in_context_share']:.1%} (by the prefix "
          f"probe alone {prefix_misses}; the next word as a wrong label accepted by the "
          f"probes {controls_accepted} of {controls}); against none {both_misses}, "
          f"{report['mislabelled_both_share']:.1%}; stem-aware "
          f"{stem_misses}, {report['mislabelled_stem_share']:.1%}), "
          f"English left in labels {english}, "
          f"appended (in parentheses at the sentence's end) {appended}; "
          f"invented tokens kept: {invented}", "",
          "| path | sentences | plain chrF | markup chrF | identical |", "|---|---|---|---|---|"]
    md += [f"| {p} | {r['sentences']} | {r['plain']} | {r['markup']} | {r['same_as_plain']} |"
           for p, r in table.items()]
    md += ["", "mislabel examples:", *[f"- {e}" for e in examples[:12]]]
    md += ["", "labels that miss the rendering in context:",
           *[f"- {e}" for e in context_examples]]
    (RESULTS / f"{name}.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
