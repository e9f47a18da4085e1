"""Interlinear: translate notes about YouTube videos and align them to what was said.

A plain library: one module per stage (notes, transcripts, align, glossary, translate,
subtitles, render). It never imports prefect; `flows/` wires it.
"""

__version__ = "0.1.0"
