"""File I/O at the edges: atomic writes and safe names."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10)),
}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def safe_name(name: str, *, max_len: int = 120) -> str:
    """A file or folder name that is safe on Linux, macOS and Windows.

    Keeps letters of any script; replaces separators, reserved characters and control
    characters; refuses `.`/`..`; appends a short hash when anything was changed, so that
    two different unsafe names never collide.
    """
    norm = unicodedata.normalize("NFC", name)
    clean = _UNSAFE.sub("_", norm).strip().rstrip(".")
    clean = clean.lstrip(".") or "_"
    if clean.split(".")[0].upper() in _RESERVED:
        clean = "_" + clean
    if clean != norm or len(clean) > max_len:
        digest = hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        clean = f"{clean[: max_len - 9]}-{digest}"
    return clean


def inside(root: Path, *parts: str) -> Path:
    """`root / parts`, refusing any result that would lie outside `root`."""
    base = root.resolve()
    target = base.joinpath(*(safe_name(p) for p in parts)).resolve()
    if target != base and base not in target.parents:
        raise OutputError(f"refusing to write outside {root}: {'/'.join(parts)}")
    return target


def sha256_text(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


@contextlib.contextmanager
def exclusive_lock(folder: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (a `.lock` file inside it) for a run.

    A second run on the same folder waits up to `wait_s` seconds, then refuses with a
    clear message. The lock is an OS lock (flock): it is released if the process dies.
    """
    import fcntl
    import time

    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / ".interlinear.lock"
    fh = open(lock_path, "a+")  # noqa: SIM115 - held for the duration of the context
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"{folder} is in use by another interlinear run "
                        f"(lock {lock_path}); wait for it to finish or use another --out"
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()
