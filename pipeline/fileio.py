"""File I/O at the edges: atomic writes and safe names."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError, WriteError

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]')
_RESERVED = {
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
    *(f"{d}{i}" for d in ("COM", "LPT") for i in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]),
}
MAX_NAME_BYTES = 200  # a name made from note content (file systems allow 255 bytes)
MAX_PART_CHARS, MAX_PART_BYTES = 200, 236  # any part of an output path, extension included
# (255 bytes less the temporary file's affixes `.` and `.XXXXXXXX.tmp`)
_EDGES = re.compile(r"^[\s.]+|[\s.]+$")
_TEMP = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part.

    The data goes to a temporary file `.NAME.XXXXXXXX.tmp` beside `path`, is flushed to
    disk, then renamed over `path`; a process killed before the rename leaves `path` as it
    was (and at most a temporary file, removed by the next run's `exclusive_lock`, or at
    once by `abandon_writes` when the run is stopped by a signal). The folder is not
    fsynced: a power cut may lose the rename, never leave a part. The file is created like
    any other (mode 0666 less the umask: 0644 under umask 022, 0640 under 027), so that
    other users and services can read outputs and shared caches when the umask lets them.
    A refusal of the system (disk full, permission denied, read-only file system...) is a
    `WriteError` naming `path`; `path` is then as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _writes.lock:
            if _writes.abandoned:
                raise OutputError(f"not writing {path}: the run is stopping")
            fd, tmp = _create_temporary(path)
            _writes.under_way.add(tmp)
    except OSError as exc:
        raise WriteError.of(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WriteError.of(path, exc) from exc
        raise
    finally:
        with _writes.lock:
            _writes.under_way.discard(tmp)


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file `.NAME.XXXXXXXX.tmp` beside `path`, opened for writing. Not `mkstemp`,
    whose files are always 0600: the mode here comes from the umask, as for `open`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class _Writes:
    """The atomic writes of this process under way (their temporary files)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.under_way: set[str] = set()
        self.abandoned = False


_writes = _Writes()


def abandon_writes() -> list[str]:
    """For a process about to end (a run stopped by a signal): from now on every atomic
    write refuses (OutputError), and the temporary files of those under way, in any
    thread, are removed. Each target keeps its old content or has the whole new one.
    Returns the files removed."""
    with _writes.lock:
        _writes.abandoned = True
        under_way = sorted(_writes.under_way)
    removed = []
    for tmp in under_way:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
            removed.append(tmp)
    return removed


def _forget_writes_after_fork() -> None:
    global _writes
    _writes = _Writes()  # the parent's writes are not the child's


os.register_at_fork(after_in_child=_forget_writes_after_fork)


def _fits(text: str, max_chars: int, max_bytes: int) -> str:
    """The longest prefix of `text` within both limits (never cutting a character)."""
    text = text[:max_chars]
    while len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        text = text[:-1]
    return text


def safe_name(name: str, *, max_len: int = 120, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file or folder name that is safe on Linux, macOS and Windows.

    Keeps letters of any script; replaces separators, reserved characters and control
    characters; drops leading dots and spaces (no hidden files, no `.`/`..`) and trailing
    dots and spaces (Windows drops them); prefixes Windows device names (`CON`, `com1.txt`);
    keeps within `max_len` characters and `max_bytes` bytes of UTF-8; appends a short hash
    when anything was changed, so that two different unsafe names never collide. Its
    result is a fixed point: `safe_name(safe_name(x)) == safe_name(x)`.
    """
    norm = unicodedata.normalize("NFC", name)
    clean = _EDGES.sub("", _UNSAFE.sub("_", norm)) or "_"
    if clean.split(".")[0].rstrip(" ").upper() in _RESERVED:
        clean = "_" + clean
    size = len(clean.encode("utf-8", "surrogatepass"))
    if clean != norm or len(clean) > max_len or size > max_bytes:
        digest = hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        clean = f"{_fits(clean, max(max_len - 9, 0), max(max_bytes - 9, 0))}-{digest}"
    return clean


def inside(root: Path, *parts: str) -> Path:
    """`root / parts`, refusing any result that would lie outside `root`.

    Each part is made safe; parts already made safe by `safe_name` (with its default
    limits), with or without an extension such as `.md`, are kept as they are.
    """
    base = root.resolve()
    safe = (safe_name(p, max_len=MAX_PART_CHARS, max_bytes=MAX_PART_BYTES) for p in parts)
    target = base.joinpath(*safe).resolve()
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
    Once it is held, temporary files left by a killed run are removed. The process that
    holds it may enter it again (the CLI takes it before the flow starts, then the flow,
    which Prefect may run on another thread of the process).
    """
    import fcntl
    import time

    lock_path = folder / ".interlinear.lock"
    key = str(lock_path.resolve())
    if key in _HELD:
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")  # noqa: SIM115 - held for the duration of the context
    except OSError as exc:
        raise WriteError.of(lock_path, exc, "creating the lock") from exc
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
        _HELD.add(key)
        sweep_temporary_files(folder)
        yield
    finally:
        _HELD.discard(key)
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


_HELD: set[str] = set()  # the lock files this process holds


def sweep_temporary_files(folder: Path) -> list[Path]:
    """Remove the temporary files `atomic_write_*` leaves when its process is killed
    (`.NAME.XXXXXXXX.tmp`) under `folder`; only call it while holding the folder's lock."""
    removed = []
    for path in folder.rglob(".*.tmp"):
        if _TEMP.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
