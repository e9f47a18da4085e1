"""The fixed glossary: its terms (`terms`), reading its files (`files`), the word forms that
find them (`morph`), their enforcement in a translation (`enforce`) and the compliance
check of outputs (`check`)."""

from .files import CASE_VALUES, validate_file
from .terms import LANGS, Glossary, GlossaryIssue, Term, TermHit

__all__ = ["CASE_VALUES", "LANGS", "Glossary", "GlossaryIssue", "Term", "TermHit",
           "validate_file"]
