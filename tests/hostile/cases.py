"""Bad, broken and hostile notes and transcripts, as data, and a builder for a vault of them.

Every case names the file it makes, what the scan must say about it (a fragment of the
one-line reason, or alternatives where the wording comes from a library: PyYAML 6.0.4 says
"exceeded maximum nesting depth" itself where older ones let the project say "nested too
deeply") and the lines the reason may point at (None where no line applies).
`build_vault` writes a vault holding a good note and any choice of these cases.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

VID = "chIqmlJA2i0"  # the example video: tests/../examples/transcripts has its transcript
OTHER_VID = "AWZr7BhFSyE"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
MARKER = "PWNED-MARKER"  # a file the YAML payloads would create if they ever ran


def front(title: str = "A note", video_id: str | None = VID, extra: str = "") -> str:
    vid = f"videoId: {video_id}\n" if video_id is not None else ""
    return f"---\ntitle: {title}\n{vid}{extra}---\n"


GOOD = front("Peace terms offered after Kherson") + (
    "\nFrom: [[bonus_professor]] <br/>\n\n"
    "Right after the retreat from Kherson, the Russian leadership received a peace offer "
    f"{A.format('00:06:40')}.\n\n"
    "## The terms\n\n"
    "*   **Withdrawal:** Russia leaves all Ukrainian territory, with Crimea as the single "
    f"exception {A.format('00:07:10')}.\n"
    "*   **NATO:** for seven years Ukraine neither joins [[NATO]] nor asks to join "
    f"{A.format('00:08:37')}.\n"
)


def body(claim: str = "A claim") -> str:
    return f"\n{claim} {A.format('00:00:05')}.\n"


@dataclass(frozen=True)
class Bad:
    """A note the scan must refuse: a failure naming the file, and the line if any."""

    id: str
    name: str  # file name inside the `bad/` channel folder
    content: bytes
    reason: str | tuple[str, ...]  # a fragment of the reason, or alternatives
    line: int | tuple[int, ...] | None  # the line, or the lines it may name

    @property
    def reasons(self) -> tuple[str, ...]:
        return (self.reason,) if isinstance(self.reason, str) else self.reason

    @property
    def lines(self) -> tuple[int, ...]:
        return (self.line,) if isinstance(self.line, int) else self.line or ()


def _b(text: str) -> bytes:
    return text.encode("utf-8")


def bad_notes(marker_dir: Path) -> list[Bad]:
    """Notes that are unusable; `marker_dir` is where the YAML payloads would write."""
    marker = marker_dir / MARKER
    deep = "[" * 3000 + "]" * 3000
    bomb = "".join(
        f"{k}: &{k} [{', '.join(['*' + p] * 9 if p else ['x'] * 9)}]\n"
        for k, p in zip("abcdefgh", ["", *"abcdefg"], strict=True)
    )
    return [
        Bad("no_front_matter", "no_front_matter.md", _b("Just a claim " + A.format("00:00:01")),
            "no front matter", 1),
        Bad("front_matter_unclosed", "unclosed.md", _b(f"---\ntitle: t\nvideoId: {VID}\nx\n"),
            "no front matter", 1),
        Bad("yaml_unparsable", "yaml_unparsable.md",
            _b(f"---\ntitle: [unclosed\nvideoId: {VID}\n---\n" + body()),
            "front matter is not valid YAML", 3),
        Bad("yaml_tab_indent", "yaml_tab.md", _b("---\n\ttitle: x\n---\n" + body()),
            "front matter is not valid YAML", 2),
        Bad("yaml_python_object_apply", "yaml_apply.md",
            _b(f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n"
               f"videoId: {VID}\n---\n" + body()),
            "could not determine a constructor", 2),
        Bad("yaml_python_object_new", "yaml_new.md",
            _b(f"---\n!!python/object/new:subprocess.Popen [['touch', '{marker}']]\n---\n"
               + body()),
            "could not determine a constructor", 2),
        Bad("yaml_python_name", "yaml_name.md",
            _b(f"---\ntitle: !!python/name:os.system\nvideoId: {VID}\n---\n" + body()),
            "could not determine a constructor", 2),
        Bad("yaml_open_file", "yaml_open.md",
            _b(f"---\ntitle: !!python/object/apply:builtins.open ['{marker}', 'w']\n"
               f"videoId: {VID}\n---\n" + body()),
            "could not determine a constructor", 2),
        Bad("front_matter_list", "fm_list.md", _b("---\n- a\n- b\n---\n" + body()),
            "must be a mapping, not list", 1),
        Bad("front_matter_string", "fm_string.md", _b("---\njust a string\n---\n" + body()),
            "must be a mapping, not str", 1),
        Bad("front_matter_number", "fm_number.md", _b("---\n42\n---\n" + body()),
            "must be a mapping, not int", 1),
        Bad("yaml_nested_too_deep", "yaml_deep.md",
            _b(f"---\ntitle: {deep}\nvideoId: {VID}\n---\n" + body()),
            ("nested too deeply", "exceeded maximum nesting depth"), (1, 2)),
        Bad("yaml_alias_bomb", "yaml_bomb.md", _b(f"---\n{bomb}videoId: {VID}\n---\n" + body()),
            "expands to more than", 1),
        Bad("yaml_self_alias", "yaml_self.md",
            _b(f"---\ntitle: &a [*a]\nvideoId: {VID}\n---\n" + body()), "refers to itself", 1),
        Bad("yaml_huge_integer", "yaml_bigint.md",
            _b(f"---\ntitle: {'9' * 5000}\nvideoId: {VID}\n---\n" + body()),
            "cannot be read", 1),
        Bad("video_id_missing", "vid_missing.md", _b(front(video_id=None) + body()),
            "front matter has no videoId", 1),
        Bad("video_id_empty", "vid_empty.md", _b(front(video_id="''") + body()),
            "videoId is empty", 1),
        Bad("video_id_null", "vid_null.md", _b(front(video_id="") + "\nNo citations.\n"),
            "videoId is empty", 1),
        Bad("video_id_traversal", "vid_traversal.md",
            _b(front(video_id="../../etc/passwd") + body()), "'../../etc/passwd' is not 11", 1),
        Bad("video_id_slash", "vid_slash.md", _b(front(video_id="a/b") + body()),
            "'a/b' is not 11 characters", 1),
        Bad("video_id_2000_chars", "vid_long.md", _b(front(video_id="x" * 2000) + body()),
            "is not 11 characters", 1),
        Bad("video_id_list", "vid_list.md", _b(front(video_id="[a, b]") + body()),
            "is not 11 characters", 1),
        Bad("video_id_ten_chars", "vid_ten.md", _b(front(video_id="chIqmlJA2i") + body()),
            "is not 11 characters", 1),
        Bad("not_utf8", "latin1.md", ("---\ntitle: café\n---\n" + body()).encode("latin-1"),
            "not UTF-8 (byte 0xe9)", 2),
        Bad("nul_bytes", "nul.md", _b(front() + "\nA claim\x00 here.\n"), "NUL bytes", 6),
        Bad("empty_file", "empty.md", b"", "file is empty", None),
        Bad("blank_file", "blank.md", b"  \n\n\t\n", "file is empty", None),
        Bad("too_large", "too_large.md", _b(front() + "x" * 1_000_001 + "\n"),
            "over the 1000000-byte limit", None),
    ]


@dataclass(frozen=True)
class Odd:
    """A note that is used, with a problem reported at a line (exit status 1)."""

    id: str
    line_text: str  # the body line holding the odd anchor
    message: str


ODD_TIMES = [
    ("out_of_range", "99:99:99", "timestamp '99:99:99' is not a time"),
    ("minutes_over_59", "00:61:00", "timestamp '00:61:00' is not a time"),
    ("malformed_1_2", "1:2", "timestamp '1:2' is not written HH:MM:SS"),
    ("malformed_mm_ss", "00:01", "timestamp '00:01' is not written HH:MM:SS"),
    ("negative", "-00:00:05", "timestamp '-00:00:05' is not a time"),
    ("arabic_indic_digits", "٠١:٠٢:٠٣", "timestamp '٠١:٠٢:٠٣' is not a time"),
    ("fullwidth_digits", "００:０１:０２", "is not a time"),
    ("empty", "", "timestamp '' is not a time"),
    ("letters", "00:00:0x", "timestamp '00:00:0x' is not a time"),
    ("four_fields", "1:00:21:00", "timestamp '1:00:21:00' is not a time"),
]
ODD = [Odd(f"timestamp_{i}", f"A claim {A.format(t)}.", m) for i, t, m in ODD_TIMES] + [
    Odd("anchor_without_data_t", 'A claim <a class="yt-timestamp">[00:00:01]</a>.',
        "timestamp anchor not of the form"),
    Odd("anchor_without_class", 'A claim <a data-t="00:00:02">[00:00:02]</a>.',
        "timestamp anchor not of the form"),
    Odd("anchor_not_closed", 'A claim <a class="yt-timestamp" data-t="00:00:03">[00:00:03] ok',
        "timestamp anchor not of the form"),
    Odd("anchor_tag_unterminated", 'A claim <a class="yt-timestamp" data-t="00:00:04"',
        "timestamp anchor not of the form"),
    Odd("anchor_single_quotes", "A claim <a class='yt-timestamp' data-t='00:00:05'>[00:00:05]</a>",
        "timestamp anchor not of the form"),
    Odd("anchor_unquoted", "A claim <a class=yt-timestamp data-t=00:00:06>[00:00:06]</a>",
        "timestamp anchor not of the form"),
]


def odd_note(case: Odd) -> tuple[str, int]:
    """The note's text and the line its odd anchor is on."""
    head = front("Odd") + "\nA fine claim " + A.format("00:00:10") + ".\n\n"
    return head + case.line_text + "\n", head.count("\n") + 1


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def build_vault(root: Path, bad: list[Bad], *, specials: bool = True) -> dict[str, str]:
    """A vault under `root`: `good/good.md`, every bad note in `bad/`, and (with `specials`)
    symlinks out of the vault, a pipe, a non-UTF-8 file name and a control-character file
    name. Returns {path as the scan names it: the reason fragments, one of which it holds}."""
    write(root / "good" / "good.md", GOOD)
    expected: dict[str, tuple[str, ...]] = {}
    for case in bad:
        p = write(root / "bad" / case.name, case.content)
        expected[str(p)] = case.reasons
    if specials:
        outside = write(root.parent / f"{root.name}-outside" / "secret.md", GOOD)
        link = root / "bad" / "link_outside.md"
        link.symlink_to(outside)
        expected[str(link)] = ("symlink points outside the vault",)
        folder = root / "linked_folder"
        folder.symlink_to(outside.parent, target_is_directory=True)
        expected[str(folder)] = ("symlinked folder points outside the vault",)
        fifo = root / "bad" / "pipe.md"
        os.mkfifo(fifo)
        expected[str(fifo)] = ("not a regular file",)
        raw = os.fsencode(root / "bad") + b"/caf\xe9.md"
        with open(raw, "wb") as fh:
            fh.write(GOOD.encode("utf-8"))
        expected[str(root / "bad") + "/caf\\udce9.md"] = ("file name is not UTF-8",)
        ctl = write(root / "bad" / "ansi\x1b[31mred\nline.md", GOOD)  # a good note, bad name
        expected[str(ctl).replace("\x1b", "\\x1b").replace("\n", "\\n")] = (
            "name holds control characters",)
    return expected


def transcript_json(segments: list[tuple[float, float, str]]) -> str:
    return json.dumps([{"text": t, "start": s, "duration": d} for s, d, t in segments],
                      ensure_ascii=False)
