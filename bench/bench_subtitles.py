"""Subtitle tracks over the corpus, judged by `check_vtt.py` and by `check_cues`.

For each of the 62 3blue1brown videos with a transcript in `../shared/corpus`:
- the English transcript track (`en/sentence_timings.json`) re-cut by `cues_from_segments`;
- a Russian track made group by group with `translated_cues`: each English cue group gets
  the reference translations (`ru/sentence_translations.json` `translatedText`) of the
  sentences that fall in it, standing in for an engine's output;
- a claims track from the corpus notes citing that video (parsed with `pipeline.notes`;
  citation status: `ok` within the video, `repaired` for an `MM:SS:00` citation read as
  minutes and seconds, other citations past the end left out; a stand-in for `align`).
Files are written under `bench/results/subtitles/` and checked with
`../shared/tools/check_vtt.py`. Baselines measured in the same run: the published
YouTube captions (`en/captions.srt`) and one cue per sentence at the sentence's times.

Reading speed cannot always be met: the physical limit is the share of cues whose cue
group could be read at the hard limit using all the time until the next group.

usage: .venv/bin/python bench/bench_subtitles.py [--corpus DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import webvtt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import __version__  # noqa: E402
from pipeline.errors import NoteError  # noqa: E402
from pipeline.model import Cue, Segment  # noqa: E402
from pipeline.notes import load_note  # noqa: E402
from pipeline.subtitles import (  # noqa: E402
    ClaimItem,
    CueGroup,
    SubtitleRules,
    check_cues,
    claims_cues,
    cue_groups,
    cue_rules,
    rule_names,
    rules_for,
    translated_cues,
    write_track,
)
from pipeline.subtitles.breaks import FORBID, break_costs, split_words  # noqa: E402

TRANSLATED = "ru"
_MMSS00 = re.compile(r"(\d\d):(\d\d):00")


def load_segments(path: Path, lang: str) -> list[Segment]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [Segment(round(a * 1000), round(b * 1000), s, lang) for s, a, b in rows]


def group_translations(groups: list[CueGroup], path: Path) -> list[str]:
    """Each reference translation goes to the group its time span overlaps most."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    bounds = [(g.start_ms, groups[k + 1].start_ms if k + 1 < len(groups) else 10**12)
              for k, g in enumerate(groups)]
    texts: list[list[str]] = [[] for _ in groups]
    for row in rows:
        a, b = round(row["start"] * 1000), round(row["end"] * 1000)
        overlap = [min(b, hi) - max(a, lo) for lo, hi in bounds]
        k = max(range(len(groups)), key=lambda i: (overlap[i], -abs(bounds[i][0] - a)))
        texts[k].append(" ".join(str(row.get("translatedText") or "").split()))
    return [" ".join(t for t in ts if t) for ts in texts]


def feasible_cues(cues: list[Cue], groups: list[CueGroup], texts: list[str],
                  rules: SubtitleRules) -> tuple[int, int]:
    """Cues whose group's text could be read at the hard limit in all the time up to the
    next group (the physical limit of reading speed), and how many of them are."""
    ok_group = {}
    for k, (g, text) in enumerate(zip(groups, texts, strict=True)):
        room = (groups[k + 1].start_ms - rules.min_gap_ms if k + 1 < len(groups)
                else g.start_ms + 10**9) - g.start_ms
        ok_group[str(g.index + 1)] = room > 0 and len(text) * 1000 / room <= rules.hard_cps
    could = [k for k, c in enumerate(cues)
             if ok_group.get((c.identifier or "").split(".")[0], False)]
    speed = rule_names(rules)[6]
    return len(could), sum(cue_rules(cues, k, rules)[speed] for k in could)


def break_quality(cues: list[Cue], lang: str, tally: collections.Counter[str]) -> None:
    """Count line breaks and cue cuts (inside a group) by the cost of the gap they use."""
    def add(kind: str, before: str, after: str) -> None:
        cost = break_costs(split_words(f"{before} {after}", 10**6), lang)[0]
        tally[kind] += 1
        tally[f"{kind}_good"] += cost <= 5
        tally[f"{kind}_avoided"] += cost >= 150
        tally[f"{kind}_forbidden"] += cost >= FORBID

    for k, cue in enumerate(cues):
        lines = cue.text.split("\n")
        if len(lines) == 2:
            add("line", lines[0].split()[-1], lines[1].split()[0])
        nxt = cues[k + 1] if k + 1 < len(cues) else None
        if nxt is not None and (cue.identifier or "").split(".")[0] == \
                (nxt.identifier or "").split(".")[0]:
            add("cut", cue.text.split()[-1], nxt.text.split()[0])


def start_offsets(cues: list[Cue], groups: list[CueGroup]) -> list[int]:
    """How far each group's first cue starts from the group's speech."""
    first = {str(g.index + 1) + ".1": g.start_ms for g in groups}
    return [abs(c.start_ms - first[c.identifier]) for c in cues if c.identifier in first]


def claim_items_for(notes_dir: Path, video_id: str, duration_ms: int) -> list[ClaimItem]:
    items: list[ClaimItem] = []
    for path in sorted(notes_dir.glob("*.md")):
        try:
            note = load_note(path)
        except NoteError:
            continue
        if note.video_id != video_id:
            continue
        for claim in note.claims:
            for cit in claim.citations:
                ms, status = cit.ms, "ok"
                if ms is not None and ms > duration_ms:
                    m = _MMSS00.fullmatch(cit.written)
                    ms = (int(m[1]) * 60 + int(m[2])) * 1000 if m else None
                    status = "repaired"
                if ms is not None and ms <= duration_ms and claim.text.strip():
                    items.append(ClaimItem(ms, claim.text, status))
    return items


def baseline_sentences(segments: list[Segment]) -> list[Cue]:
    """One cue per sentence at its own times (no re-cutting, no layout)."""
    return [Cue(s.start_ms, max(s.end_ms, s.start_ms + 1), s.text) for s in segments
            if s.text.strip()]


def baseline_published(path: Path) -> list[Cue]:
    caps = webvtt.from_srt(str(path)).captions
    return [Cue(c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), c.text)
            for c in caps if c.text.strip()]


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, float] = collections.defaultdict(float)
        self.n = 0

    def add(self, cues: list[Cue], rules: SubtitleRules) -> None:
        if not cues:
            return
        for rule, share in check_cues(cues, rules).items():
            key = re.sub(r"cpl<=\d+", "cpl", rule)
            self.counts[key] += share * len(cues)
        self.n += len(cues)

    def shares(self) -> dict[str, float]:
        return {k: round(100 * v / self.n, 2) for k, v in self.counts.items()} if self.n else {}


def run_check_vtt(files: list[Path], tool: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, str(tool), *map(str, files)],
                          capture_output=True, text=True, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--tool", type=Path, default=ROOT.parent / "shared" / "tools" / "check_vtt.py")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args()
    if not (args.corpus / "videos.tsv").exists():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return 0
    track_dir = args.out / "subtitles"
    en_rules, tr_rules = rules_for("en"), rules_for(TRANSLATED)
    tallies = {k: Tally() for k in ("en", TRANSLATED, "claims", "base_sentences",
                                    "base_published")}
    feasible: collections.Counter[str] = collections.Counter()
    breaks: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    offsets: list[int] = []
    files: list[Path] = []
    skipped: list[str] = []
    t0 = time.perf_counter()
    videos = [line.split("\t") for line in
              (args.corpus / "videos.tsv").read_text().splitlines()[1:] if line.strip()]
    for vid, _folder, duration_s, *_ in videos:
        tdir = args.corpus / "transcripts" / vid
        segments = load_segments(tdir / "en" / "sentence_timings.json", "en")
        groups = cue_groups(segments, en_rules)
        note = f"interlinear {__version__} bench; {en_rules.describe()}"
        en = translated_cues(groups, [g.text for g in groups], en_rules)
        files.append(write_track(track_dir / f"{vid}.en.vtt", en, note)[0])
        tallies["en"].add(en, en_rules)
        feasible.update(dict(zip(("en", "en_met"), feasible_cues(
            en, groups, [g.text for g in groups], en_rules), strict=True)))
        offsets += start_offsets(en, groups)
        break_quality(en, "en", breaks["en"])
        ref = tdir / TRANSLATED / "sentence_translations.json"
        if ref.exists():
            texts = group_translations(groups, ref)
            feasible["groups"] += len(groups)
            feasible["groups_without_translation"] += sum(not t for t in texts)
            tr = translated_cues(groups, texts, tr_rules)
            tr_note = f"interlinear {__version__} bench; reference translations; " \
                      f"{tr_rules.describe()}"
            files.append(write_track(track_dir / f"{vid}.{TRANSLATED}.vtt", tr, tr_note)[0])
            tallies[TRANSLATED].add(tr, tr_rules)
            break_quality(tr, TRANSLATED, breaks[TRANSLATED])
            feasible.update(dict(zip((TRANSLATED, TRANSLATED + "_met"), feasible_cues(
                tr, groups, texts, tr_rules), strict=True)))
        else:
            skipped.append(f"{vid}: no {TRANSLATED} reference")
        items = claim_items_for(args.corpus / "notes" / "3blue1brown", vid,
                                round(float(duration_s) * 1000))
        feasible["claim_items"] += len(items)
        feasible["claim_items_repaired"] += sum(i.status == "repaired" for i in items)
        if items:
            claims = claims_cues(items, en_rules)
            files.append(write_track(track_dir / f"{vid}.claims.en.vtt", claims, note)[0])
            tallies["claims"].add(claims, en_rules)
        tallies["base_sentences"].add(baseline_sentences(segments), en_rules)
        published = tdir / "en" / "captions.srt"
        if published.exists():
            tallies["base_published"].add(baseline_published(published), en_rules)
    elapsed = time.perf_counter() - t0
    unreadable = []
    for f in files:
        try:
            webvtt.read(str(f))
        except Exception as err:  # any parse failure is a finding, not a crash
            unreadable.append(f"{f.name}: {err}")
    code, tool_out = run_check_vtt(files, args.tool)
    per_kind = {
        kind: run_check_vtt([f for f in files if f.name.endswith(suffix)
                             and (kind == "claims") == (".claims." in f.name)], args.tool)[1]
        for kind, suffix in (("en", ".en.vtt"), (TRANSLATED, f".{TRANSLATED}.vtt"),
                             ("claims", ".en.vtt"))
    }
    result = {
        "version": __version__, "videos": len(videos), "files": len(files),
        "seconds": round(elapsed, 1), "webvtt_read_failures": unreadable,
        "check_vtt": {"exit": code, "output": tool_out, "per_kind": per_kind},
        "skipped": skipped,
        "translated_groups": {"groups": feasible["groups"],
                              "without_translation": feasible["groups_without_translation"]},
        "claim_items": {"placed": feasible["claim_items"],
                        "repaired_mmss00": feasible["claim_items_repaired"]},
        "shares_percent": {k: t.shares() for k, t in tallies.items()},
        "cues": {k: t.n for k, t in tallies.items()},
        "reading_speed": {
            k: {"cps<=20": tallies[k].shares().get("cps<=20"),
                "physical_limit": round(100 * feasible[k] / max(tallies[k].n, 1), 2),
                "met_where_possible": round(100 * feasible[k + "_met"] / max(feasible[k], 1),
                                            2)}
            for k in ("en", TRANSLATED)
        },
        "breaks_percent": {
            lang: {f"{kind}_{q}": round(100 * t[f"{kind}_{q}"] / max(t[kind], 1), 2)
                   for kind in ("line", "cut") for q in ("good", "avoided", "forbidden")}
            for lang, t in breaks.items()
        },
        "start_offset_ms": {
            "median": statistics.median(offsets), "p95": sorted(offsets)[int(0.95 * len(offsets))],
            "max": max(offsets), "within_250ms_percent":
                round(100 * sum(o <= 250 for o in offsets) / len(offsets), 2),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "subtitles.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (args.out / "subtitles.md").write_text(to_markdown(result))
    print(to_markdown(result))
    structural_ok = all(tallies[k].shares().get("ALL", 0) >= 99 for k in ("en", TRANSLATED))
    return 0 if code == 0 and structural_ok and not unreadable else 1


def to_markdown(r: dict[str, Any]) -> str:
    shares = r["shares_percent"]
    rules = ["ALL", "end>start", "order", "gap>=83ms", "lines<=2", "cpl", "833ms<=dur<=7s",
             "escaped", "non-empty", "cps<=20"]
    cols = list(shares)
    out = [f"# Subtitles bench (interlinear {r['version']})", "",
           f"{r['videos']} videos, {r['files']} files written in {r['seconds']} s; "
           f"webvtt.read failures: {len(r['webvtt_read_failures'])}", "",
           "| rule | " + " | ".join(f"{c} ({r['cues'][c]} cues)" for c in cols) + " |",
           "|---|" + "---|" * len(cols)]
    for rule in rules:
        out.append(f"| {rule} | " + " | ".join(str(shares[c].get(rule, "-")) for c in cols)
                   + " |")
    out += ["", "cpl is 42 per line (39 for ru); ALL = every rule except reading speed.", "",
            "Reading speed (cps<=20) against the physical limit:", ""]
    for k, v in r["reading_speed"].items():
        out.append(f"- {k}: {v['cps<=20']}% of cues; could meet it (physical limit): "
                   f"{v['physical_limit']}%; of those, {v['met_where_possible']}% meet it")
    out += ["", "Breaks (line breaks inside cues; cuts between cues of one group): share at "
            "good points (after punctuation, before a conjunction/preposition), at avoided "
            "points (adjective+noun, first+last name, after a one-letter Russian word), at "
            "forbidden points (after an article/determiner, before punctuation):", ""]
    for lang, b in r["breaks_percent"].items():
        out.append(f"- {lang}: " + ", ".join(f"{k} {v}%" for k, v in b.items()))
    o = r["start_offset_ms"]
    out += ["", f"Start of each group's first cue vs the speech: median {o['median']} ms, "
            f"p95 {o['p95']} ms, max {o['max']} ms, within 250 ms {o['within_250ms_percent']}%",
            "", "check_vtt.py (exit " + str(r["check_vtt"]["exit"]) + "):", "",
            "    " + r["check_vtt"]["output"], "", "check_vtt.py per kind of track:", "",
            *(f"    {k}: {v}" for k, v in r["check_vtt"]["per_kind"].items()), "",
            f"{TRANSLATED} groups without a reference translation (no cue): "
            f"{r['translated_groups']['without_translation']} of "
            f"{r['translated_groups']['groups']}; claims placed: "
            f"{r['claim_items']['placed']} ({r['claim_items']['repaired_mmss00']} read as "
            "MM:SS:00)"]
    if r["skipped"]:
        out += ["", "Skipped: " + "; ".join(r["skipped"])]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
