"""The typed values that flow between stages. Times are integer milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

BlockKind = Literal[
    "front_matter", "blank", "heading", "paragraph", "list_item", "table", "quote", "code",
    "rule",
]
ClaimKind = Literal["paragraph", "list_item", "heading", "table_cell", "quote"]


@dataclass(frozen=True)
class Citation:
    """One `yt-timestamp` anchor, as written in the note."""

    written: str  # the data-t value exactly as the note writes it
    ms: int | None  # the time read as [[HH:]MM:]SS; None when it cannot be read
    raw: str  # the whole anchor, `<a class="yt-timestamp" ...>[..]</a>`
    line: int  # 1-based line in the note file
    offset: int  # character offset of the anchor in the block's text
    index: int  # position among all anchors of the note (document order)


@dataclass(frozen=True)
class WikiLink:
    raw: str  # `[[target | label]]` exactly as written
    target: str
    label: str | None
    offset: int  # character offset in the block's text


@dataclass(frozen=True)
class Claim:
    """The text that one or more anchors close, with its citations in order."""

    index: int  # position among the note's claims
    text: str  # plain text of the claim: anchors removed, markup and link targets stripped
    kind: ClaimKind
    block: int  # index of the block in Note.blocks
    citations: tuple[Citation, ...]
    start: int  # character span of the claim's source text in the block
    end: int


@dataclass(frozen=True)
class Block:
    """A run of lines of the body: rendering all blocks in order gives the body back."""

    kind: BlockKind
    text: str  # the exact source text, including its trailing newline(s)
    line: int  # 1-based line of its first character in the file
    links: tuple[WikiLink, ...] = ()
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Note:
    path: Path
    title: str
    video_id: str | None
    channel: str
    meta: dict[str, object] = field(hash=False, compare=False)
    blocks: tuple[Block, ...] = ()
    claims: tuple[Claim, ...] = ()
    lang: str | None = None  # the video's language when the front matter says it

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(c for b in self.blocks for c in b.citations)

    def render(self) -> str:
        """The note's text, byte for byte as it was read."""
        return "".join(b.text for b in self.blocks)


@dataclass(frozen=True)
class Segment:
    """One timed piece of a transcript."""

    start_ms: int
    end_ms: int
    text: str
    language: str


@dataclass(frozen=True)
class Transcript:
    video_id: str
    language: str
    segments: tuple[Segment, ...]
    generated: bool | None = None  # auto-generated track (None: unknown)
    source: str = "local"  # local / cache / network
    origin: str = ""  # file path or track description, for provenance
    merged_cues: int = 0  # duplicated cues merged when it was read (doubled or rolling cues)

    @property
    def duration_ms(self) -> int | None:
        return self.segments[-1].end_ms if self.segments else None


@dataclass(frozen=True)
class Cue:
    """One subtitle cue."""

    start_ms: int
    end_ms: int
    text: str  # plain text; lines separated by "\n"
    classes: tuple[str, ...] = ()
    identifier: str | None = None


CitationStatus = Literal["ok", "repaired", "suspect", "out_of_range", "no_transcript"]


@dataclass(frozen=True)
class CitationCheck:
    """What one citation resolved to, and whether the transcript supports its claim."""

    citation: Citation
    claim_index: int
    status: CitationStatus
    resolved_ms: int | None  # the time the citation is taken to mean (repaired or as cited)
    suggested_ms: int | None  # for `suspect`: start of the segment that supports the claim
    score: float | None  # support of the claim by the quoted segment(s)
    segment: Segment | None  # the segment at resolved_ms
    context: tuple[Segment, ...] = ()  # the quote: segment(s) around it (context window)
    reason: str = ""  # one line for people: why this status
    # for a suggestion: the sentence said there, from its start (suggested_ms) on
    suggestion: tuple[Segment, ...] = ()
    decision: str = ""  # a reviewer's: "accepted" / "dismissed" ("" when none applies)


@dataclass(frozen=True)
class NoteAlignment:
    note_path: Path
    video_id: str | None
    duration_ms: int | None
    transcript_language: str | None
    checks: tuple[CitationCheck, ...]  # one per anchor of the note, in document order


@dataclass(frozen=True)
class TermCheck:
    """Glossary compliance of one term in one translated note."""

    term: str  # the English source term
    expected: tuple[str, ...]  # accepted target renderings, the first preferred
    occurrences: int
    status: Literal["found", "repaired", "missing"]


@dataclass(frozen=True)
class TranslatedNote:
    """A note in another language, block by block (same blocks as the source note)."""

    note: Note
    lang: str
    blocks: tuple[str, ...]  # translated text of each source block, same markup/anchors
    title: str
    engine: str
    model: str
    glossary_hash: str
    terms: tuple[TermCheck, ...] = ()
    failures: tuple[str, ...] = ()  # segments the engine could not translate (kept in source)
    claims: tuple[tuple[int, str], ...] = ()  # claim index -> the claim's text in `lang`
    source: str = "en"  # the note's own language (front matter `note_lang`, or detected)
    detected: float | None = None  # the detection's confidence, when it was detected
    placed_by: str = ""  # the word vectors' model, when they placed a link or bold
