"""Atomic writes: modes from the umask, and the system's refusals said in words."""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.errors import OutputError, WriteError
from pipeline.fileio import atomic_write_bytes, exclusive_lock

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

MODES = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    os.umask(int(sys.argv[2], 8))
    from pipeline.fileio import atomic_write_text
    from pipeline.align.embed import EmbeddingCache
    import numpy as np
    out = Path(sys.argv[1])
    atomic_write_text(out / "new" / "a.md", "new file")
    (out / "old.md").write_text("x")
    os.chmod(out / "old.md", 0o600)
    atomic_write_text(out / "old.md", "replaced")
    EmbeddingCache(out / "emb").store("ab" * 32, np.ones((2, 3), np.float32), "m", "query")
    for p in sorted([out / "new" / "a.md", out / "old.md", *(out / "emb").rglob("*.*")]):
        print(p.relative_to(out), oct(p.stat().st_mode & 0o777))
""")


@pytest.mark.parametrize(("umask", "mode"), [("022", "0o644"), ("027", "0o640"),
                                             ("077", "0o600"), ("002", "0o664")])
def test_files_honour_the_umask(tmp_path: Path, umask: str, mode: str) -> None:
    """Outputs and cache entries get 0666 less the umask (readable by a web server or a
    sync tool under another uid when the umask allows it), not mkstemp's 0600."""
    proc = subprocess.run([sys.executable, "-c", MODES, str(tmp_path), umask], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert len([ln for ln in lines if ln]) == 3, proc.stdout
    assert all(ln.endswith(" " + mode) for ln in lines if ln), proc.stdout
    assert (tmp_path / "old.md").read_text() == "replaced"
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_refused_write_names_the_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "blocker" / "out.md"
    (tmp_path / "blocker").write_text("a file where a folder is needed")
    with pytest.raises(WriteError) as err:
        atomic_write_bytes(target, b"x")
    assert str(err.value).endswith(f" while writing {target}") and err.value.path == target
    assert isinstance(err.value, OutputError) and err.value.errno in (errno.EEXIST,
                                                                      errno.ENOTDIR)
    again = pickle.loads(pickle.dumps(err.value))  # crosses process boundaries (Dask)
    assert (again.message, again.path, again.errno) == (err.value.message, target,
                                                        err.value.errno)


# --------------------------------------------------------------------------- real file systems

FULL = textwrap.dedent("""
    import errno, os, sys
    from pathlib import Path
    from pipeline.errors import WriteError
    from pipeline.fileio import atomic_write_bytes, exclusive_lock
    mnt = Path(sys.argv[1])
    try:
        atomic_write_bytes(mnt / "out.md", b"x" * 200_000)  # more than the 64 kB file system
    except WriteError as exc:
        print("ENOSPC" if exc.errno == errno.ENOSPC else exc.errno, exc)
    print("old:", (mnt / "old.md").read_text().strip())
    print("left:", sorted(p.name for p in mnt.iterdir()))
    atomic_write_bytes(mnt / "small.md", b"fits")  # the space was given back
    print("small:", (mnt / "small.md").read_text())
    from flows.cli import main
    import flows.cli as cli
    cli.cmd_glossary = lambda args: atomic_write_bytes(mnt / "big.md", b"y" * 200_000)
    print("exit", main(["glossary", "validate"]))
""")

READ_ONLY = textwrap.dedent("""
    import errno, sys
    from pathlib import Path
    from pipeline.errors import WriteError
    from pipeline.fileio import atomic_write_bytes, exclusive_lock
    mnt = Path(sys.argv[1])
    for write in (lambda: atomic_write_bytes(mnt / "old.md", b"new"),
                  lambda: exclusive_lock(mnt / "out").__enter__()):
        try:
            write()
        except WriteError as exc:
            print("EROFS" if exc.errno == errno.EROFS else exc.errno, exc)
    print("old:", (mnt / "old.md").read_text().strip())
""")


def in_small_file_system(tmp_path: Path, script: str, *, read_only: bool = False
                         ) -> subprocess.CompletedProcess[str]:
    """`script` run with a 64 kB tmpfs (holding `old.md`) mounted at its argv[1], in a user
    and mount namespace of its own (no root needed where unprivileged namespaces are on)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    ro = ' && mount -o remount,ro "$1"' if read_only else ""
    shell = (f'mount -t tmpfs -o size=64k tmpfs "$1" && echo old > "$1/old.md"{ro} '
             '|| exit 99; exec "$2" -c "$3" "$1"')
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           shell, "sh", str(mnt), sys.executable, script],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    if proc.returncode == 99 or "unshare:" in proc.stderr:
        pytest.skip(f"cannot mount a small file system here: {proc.stderr.strip()[:200]}")
    return proc


def test_full_disk_is_said_in_words(tmp_path: Path) -> None:
    proc = in_small_file_system(tmp_path, FULL)
    assert proc.returncode == 0, proc.stderr
    mnt = tmp_path / "mnt"
    lines = proc.stdout.splitlines()
    assert lines[0] == f"ENOSPC no space left on device while writing {mnt / 'out.md'}"
    assert lines[1:4] == ["old: old", "left: ['old.md']", "small: fits"]  # no temporary file
    assert lines[4] == "exit 2"
    assert f"error: no space left on device while writing {mnt / 'big.md'}\n" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_read_only_file_system_is_said_in_words(tmp_path: Path) -> None:
    proc = in_small_file_system(tmp_path, READ_ONLY, read_only=True)
    assert proc.returncode == 0, proc.stderr
    mnt = tmp_path / "mnt"
    assert proc.stdout.splitlines() == [
        f"EROFS read-only file system while writing {mnt / 'old.md'}",
        f"EROFS read-only file system while creating the lock {mnt / 'out' / '.interlinear.lock'}",
        "old: old"]


def test_the_lock_of_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="while creating the lock"), \
            exclusive_lock(tmp_path / "file" / "out"):
        pass
