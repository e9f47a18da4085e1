"""A migrated Prefect database, made once at install, for every new PREFECT_HOME.

Prefect's server, on a PREFECT_HOME without a database, creates `prefect.db` and runs its
Alembic migrations: about 14 s of one core on this project's machines, before the run's
flow can start, on every new home (a container, a CI job, a benchmark, a test). The
migrations give the same empty database every time for one Prefect version, so `build`
(run by `make install`) makes it once, into the installation (`template_path`), and
`seed` copies it into a home that has none, before the server starts. The server then
finds its schema at Alembic's head and only checks it (Prefect still migrates on start,
so a template of another version would be brought up to date, not trusted).

`seed` does nothing when the database is not Prefect's default SQLite file in the home
(PREFECT_API_DATABASE_CONNECTION_URL or a database name set), when the file exists, or
when there is no template; and it never replaces a file: it links a whole copy into place,
so two runs seeding the same home at once leave one database, never one swapped under a
server that has it open.

`python -m flows.prefect_db` builds the template (when missing) and prints its path.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

SQLITE = "sqlite+aiosqlite:///"
MIGRATE = ("import asyncio\n"
           "from prefect.server.database import provide_database_interface\n"
           "asyncio.run(provide_database_interface().create_db())\n")


def template_path() -> Path:
    """Where this installation keeps the template (by Prefect's version)."""
    import prefect

    return Path(sys.prefix) / "share" / "interlinear" / f"prefect-{prefect.__version__}.db"


def build(path: Path | None = None) -> Path:
    """The template at `path` (default `template_path()`), made unless already there:
    Prefect's own migrations on an empty home, in a process of their own, then SQLite's
    backup of the result into one self-contained file, put in place whole."""
    path = path or template_path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="interlinear-prefect-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env["PREFECT_HOME"] = home
        subprocess.run([sys.executable, "-c", MIGRATE], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            _copy(Path(home) / "prefect.db", partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return path


def seed(template: Path | None = None) -> Path | None:
    """Copy the template into the server's database file when that is Prefect's default
    SQLite file and missing (see the module). The file seeded, or None."""
    target = default_database()
    template = template or template_path()
    if target is None or target.exists() or not template.is_file():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.seed")
    try:
        _copy(template, partial)
        os.link(partial, target)  # never over a database another run has just made
    except (OSError, sqlite3.Error):  # that one (FileExistsError), or no copy: the
        return None  # server uses or makes its own, as without a template
    finally:
        partial.unlink(missing_ok=True)
    return target


def default_database() -> Path | None:
    """The server's database file when it is Prefect's default SQLite file in the home."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    url = settings.server.database.connection_url
    value = url.get_secret_value() if url is not None else ""
    home_db = settings.home / "prefect.db"
    return home_db if value == f"{SQLITE}{home_db}" else None


def _copy(source: Path, target: Path) -> None:
    """`source` into `target` as one file (its write-ahead log folded in; Prefect turns
    the log on again when it connects)."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # readable where no -wal can be made


if __name__ == "__main__":
    print(build())
