"""Transcript fetching: first run through YouTube, second run from the cache.

The 62 3blue1brown videos of `../shared/corpus` are served by the local fake YouTube
(tests/fakeyoutube.py; each video has an English manual track and an English generated
track built from its `en/sentence_timings.json`). They are fetched once through
`CachedSource(YouTubeSource(...))` into an empty temporary cache (youtube-transcript-api's
own code makes the requests, over HTTP to 127.0.0.1), then again with new source objects
over the same cache. The second run must make no network call: requests are counted on
the server. Results: both wall times, their ratio, requests per run, and that both runs
gave the same transcripts; written to bench/results/bench_fetch.json and printed.

usage: .venv/bin/python bench/bench_fetch.py [--corpus DIR] [--min-interval S]
       [--concurrency N] [--latency S]

`--latency` makes the fake YouTube wait before each answer, as a real server far away does
(default 0: localhost, the least favourable case for the cache).

`--min-interval` (default 0) is the politeness delay between requests; the production
default (0.5 s) would make the first run last at least requests x 0.5 s / 1, which the
report also states.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import __version__  # noqa: E402
from pipeline.transcripts import (  # noqa: E402
    LIBRARY_VERSION,
    CachedSource,
    FetchResult,
    YouTubeSettings,
    YouTubeSource,
    fetch_many,
)
from tests.fakeyoutube import FakeYouTube, corpus_videos, route_to  # noqa: E402


def run(fake: FakeYouTube, cache: Path, args: argparse.Namespace) -> tuple[float, int,
                                                                             list[FetchResult]]:
    settings = YouTubeSettings(min_interval_s=args.min_interval,
                               max_concurrent=args.concurrency, proxy=None)
    before = fake.count()
    began = time.perf_counter()
    with YouTubeSource(settings, session_hook=route_to(fake.port)) as youtube:
        results = fetch_many(sorted(fake.videos), CachedSource(youtube, cache),
                             concurrency=args.concurrency)
    return time.perf_counter() - began, fake.count() - before, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--min-interval", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake YouTube waits before each answer (default 0)")
    args = parser.parse_args()
    transcripts = args.corpus / "transcripts"
    if not transcripts.is_dir():
        print(f"corpus not found at {transcripts}", file=sys.stderr)
        return 2
    videos = corpus_videos(transcripts)
    for video in videos:
        video.delay_s = args.latency
    with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp, \
            FakeYouTube(videos, lifetime_s=1800) as fake:
        cache = Path(tmp) / "transcripts"
        first_s, first_requests, first = run(fake, cache, args)
        second_s, second_requests, second = run(fake, cache, args)
        cache_bytes = sum(p.stat().st_size for p in cache.rglob("*.json"))
    same = all(a.transcript and b.transcript and a.transcript.segments == b.transcript.segments
               for a, b in zip(first, second, strict=True))
    report = {
        "videos": len(videos),
        "first_run": {"seconds": round(first_s, 3), "requests": first_requests,
                      "ok": sum(r.ok for r in first),
                      "sources": sorted({r.source for r in first}),
                      "segments": sum(r.segments for r in first)},
        "second_run": {"seconds": round(second_s, 3), "requests": second_requests,
                       "ok": sum(r.ok for r in second),
                       "sources": sorted({r.source for r in second})},
        "ratio_first_over_second": round(first_s / second_s, 1) if second_s else None,
        "same_transcripts": same,
        "cache_bytes": cache_bytes,
        "min_interval_s": args.min_interval,
        "server_latency_s": args.latency,
        "concurrency": args.concurrency,
        "first_run_floor_at_default_politeness_s": round(first_requests * 0.5, 1),
        "produced_by": {"interlinear": __version__, "youtube-transcript-api": LIBRARY_VERSION},
    }
    out = ROOT / "bench" / "results" / "bench_fetch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(f"\nfirst run {first_s:.2f}s ({first_requests} requests), second run "
          f"{second_s:.3f}s ({second_requests} requests): {report['ratio_first_over_second']}x;"
          f" written to {out.relative_to(ROOT)}")
    ok = second_requests == 0 and same and report["second_run"]["ok"] == len(videos)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
