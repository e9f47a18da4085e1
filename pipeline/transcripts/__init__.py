"""Transcripts: local files, YouTube (through youtube-transcript-api), and a disk cache.

    source = build_source(Path("transcripts"))         # local, then cache, then YouTube
    results = fetch_many(requests_for_notes(notes, languages=["ru", "en"]), source)
    print(format_fetch_table(results))
"""

from .base import (
    ChainSource,
    Parsed,
    TranscriptNotFound,
    TranscriptSource,
    clean_lines,
    clean_text,
    language_matches,
    merge_segments,
    normalise_segments,
    preference_order,
)
from .batch import (
    FetchRequest,
    FetchResult,
    OfflineSource,
    build_source,
    fetch_many,
    format_fetch_table,
    requests_for_notes,
)
from .cache import CACHE_FORMAT, CachedSource, default_transcript_cache_dir
from .formats import parse_json, parse_srt, parse_timings, parse_translations, parse_vtt
from .local import LocalSource
from .proxy import ProxySettings, redact
from .repeats import merge_repeats
from .youtube import (
    LIBRARY_VERSION,
    RetryPolicy,
    YouTubeSettings,
    YouTubeSource,
    choose_track,
    track_description,
)

__all__ = [
    "CACHE_FORMAT",
    "LIBRARY_VERSION",
    "CachedSource",
    "ChainSource",
    "FetchRequest",
    "FetchResult",
    "LocalSource",
    "OfflineSource",
    "Parsed",
    "ProxySettings",
    "RetryPolicy",
    "TranscriptNotFound",
    "TranscriptSource",
    "YouTubeSettings",
    "YouTubeSource",
    "build_source",
    "choose_track",
    "clean_lines",
    "clean_text",
    "default_transcript_cache_dir",
    "fetch_many",
    "format_fetch_table",
    "language_matches",
    "merge_repeats",
    "merge_segments",
    "normalise_segments",
    "parse_json",
    "parse_srt",
    "parse_timings",
    "parse_translations",
    "parse_vtt",
    "preference_order",
    "redact",
    "requests_for_notes",
    "track_description",
]
