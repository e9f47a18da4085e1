"""The fixed glossary: its terms (`terms`), the word forms that find them (`morph`), their
enforcement in a translation (`enforce`) and the compliance check of outputs (`check`)."""

from .terms import CASE_VALUES, LANGS, Glossary, GlossaryIssue, Term, TermHit, validate_file

__all__ = ["CASE_VALUES", "LANGS", "Glossary", "GlossaryIssue", "Term", "TermHit",
           "validate_file"]
