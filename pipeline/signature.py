"""What produced an output or keys a cache: one `Signature` value.

A signature is a kind (`"align"`, `"output"`, `"embeddings"`, ...), named fields and the
package version. Its `key` hashes all three (fields in any order give the same key), its
`short` form goes into file headers and front matter, its `provenance()` is the dict
written into outputs. A field may hold another signature (a render key holds the
translation's and the alignment's): the outer key then depends on the inner key.

Field values: None, bool, int, float, str, paths, signatures, and lists, tuples and dicts
of them. The key tells them all apart (`1` from `1.0` and `"1"`, a path from its text, a
signature from its key written as text); a list and a tuple of the same items are the
same value. A cache whose entries do not depend on this package's code (the embeddings of
a model, the translation memory) leaves the version out (`version=None`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import PurePath

from . import __version__

__all__ = ["SCHEME", "Signature"]

SCHEME = "interlinear-signature-v1"
_RESERVED = ("interlinear", "signature")  # the keys `provenance()` writes itself


class Signature:
    """Frozen: a kind, named fields (in the order given) and a version (or None)."""

    __slots__ = ("fields", "key", "kind", "version")
    kind: str
    fields: tuple[tuple[str, object], ...]
    version: str | None
    key: str  # SHA-256 hex of the scheme, version, kind and sorted fields

    def __init__(self, kind: str, fields: Mapping[str, object] | Iterable[tuple[str, object]] = (),
                 *, version: str | None = __version__) -> None:
        pairs = tuple(fields.items() if isinstance(fields, Mapping) else fields)
        names = [name for name, _ in pairs]
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"a signature's kind must be a non-empty text, not {kind!r}")
        if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise ValueError(f"signature fields must have distinct text names: {names!r}")
        canon = sorted([name, _canon(value)] for name, value in pairs)
        blob = json.dumps([SCHEME, version, kind, canon], ensure_ascii=False,
                          separators=(",", ":"))
        set_ = object.__setattr__
        set_(self, "kind", kind)
        set_(self, "fields", pairs)
        set_(self, "version", version)
        set_(self, "key", hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest())

    @classmethod
    def of(cls, kind: str, /, **fields: object) -> Signature:
        """`Signature(kind, fields)` with the fields as keywords (and this version)."""
        return cls(kind, fields)

    @property
    def short(self) -> str:
        """The key's first 16 hex digits: for file headers and front matter."""
        return self.key[:16]

    def provenance(self) -> dict[str, object]:
        """What produced an output, as written into it: `interlinear` (the version), the
        fields in their order (a signature as its `short` form), `signature` (`short`)."""
        clash = [name for name, _ in self.fields if name in _RESERVED]
        if clash:
            raise ValueError(f"provenance fields cannot be named {clash}")
        out: dict[str, object] = {"interlinear": self.version}
        out.update((name, _shown(value)) for name, value in self.fields)
        out["signature"] = self.short
        return out

    @property
    def text(self) -> str:
        """One line: the kind, then `name=value` per field (a signature as `short`)."""
        return " ".join([self.kind, *(f"{n}={_text(v)}" for n, v in self.fields)])

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Signature({self.kind!r}, {dict(self.fields)!r}, version={self.version!r})"

    def __eq__(self, other: object) -> bool:
        return self.key == other.key if isinstance(other, Signature) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.key)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Signature is frozen (cannot set {name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Signature is frozen (cannot delete {name})")

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (self.kind, self.fields, self.version))


def _restore(kind: str, fields: tuple[tuple[str, object], ...], version: str | None) -> Signature:
    return Signature(kind, fields, version=version)


def _canon(value: object) -> object:
    """`value` as JSON, one text per value: JSON's own scalars as they are, the rest
    tagged in a one-key object (no dict is ever written as itself)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Signature):
        return {"signature": value.key}
    if isinstance(value, PurePath):
        return {"path": value.as_posix()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, Mapping):
        items = [[_canon(k), _canon(v)] for k, v in value.items()]
        items.sort(key=lambda kv: json.dumps(kv[0], ensure_ascii=False))
        return {"dict": items}
    raise TypeError(f"a signature cannot hold a {type(value).__name__} ({value!r})")


def _shown(value: object) -> object:
    """`value` as provenance writes it: signatures (anywhere inside) as their `short`."""
    if isinstance(value, Signature):
        return value.short
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_shown(v) for v in value)
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value


def _text(value: object) -> str:
    shown = _shown(value)
    if isinstance(shown, str):
        return shown
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"), default=str)
