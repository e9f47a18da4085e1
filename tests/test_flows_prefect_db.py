"""flows.prefect_db: Prefect's database migrated once, copied into every new PREFECT_HOME."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows import prefect_db
from tests.flows_support import PY, ROOT


@contextlib.contextmanager
def home(path: Path, database: str | None = None) -> Iterator[Path]:
    from prefect.settings import (
        PREFECT_API_DATABASE_CONNECTION_URL,
        PREFECT_HOME,
        temporary_settings,
    )

    updates: dict[Any, Any] = {PREFECT_HOME: str(path)}
    if database:
        updates[PREFECT_API_DATABASE_CONNECTION_URL] = database
    with temporary_settings(updates=updates):
        yield path


def small_db(path: Path, value: str) -> Path:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE t (v TEXT)")
        db.execute("INSERT INTO t VALUES (?)", (value,))
        db.commit()
    return path


def value_in(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute("SELECT v FROM t").fetchone()[0])


def test_seed_copies_the_template_into_a_home_without_a_database(tmp_path: Path) -> None:
    template = small_db(tmp_path / "template.db", "migrated")
    with home(tmp_path / "home") as h:
        assert prefect_db.seed(template) == h / "prefect.db"
    assert value_in(h / "prefect.db") == "migrated"
    assert value_in(template) == "migrated"  # the template stays as it was
    assert sorted(p.name for p in h.iterdir()) == ["prefect.db"]  # no partial copy left


def test_seed_never_touches_a_database_that_is_there(tmp_path: Path) -> None:
    template = small_db(tmp_path / "template.db", "migrated")
    (tmp_path / "home").mkdir()
    own = small_db(tmp_path / "home" / "prefect.db", "the user's runs")
    inode = own.stat().st_ino
    with home(tmp_path / "home"):
        assert prefect_db.seed(template) is None
    assert value_in(own) == "the user's runs" and own.stat().st_ino == inode


def test_seed_leaves_a_database_made_meanwhile(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A server of another run makes the database between the check and the copy: the
    copy is not put over it."""
    template = small_db(tmp_path / "template.db", "migrated")
    target = tmp_path / "home" / "prefect.db"
    real_copy = prefect_db._copy

    def copy_then_race(source: Path, partial: Path) -> None:
        real_copy(source, partial)
        small_db(target, "another run's server")

    monkeypatch.setattr(prefect_db, "_copy", copy_then_race)
    with home(tmp_path / "home"):
        assert prefect_db.seed(template) is None
    assert value_in(target) == "another run's server"
    assert [p.name for p in target.parent.iterdir()] == ["prefect.db"]


def test_seed_does_nothing_for_another_database_or_without_a_template(tmp_path: Path) -> None:
    template = small_db(tmp_path / "template.db", "migrated")
    elsewhere = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    with home(tmp_path / "a", elsewhere) as a:
        assert prefect_db.default_database() is None
        assert prefect_db.seed(template) is None
    with home(tmp_path / "b") as b:
        assert prefect_db.seed(tmp_path / "no-such.db") is None
    assert not (a / "prefect.db").exists() and not (b / "prefect.db").exists()
    assert not (tmp_path / "elsewhere.db").exists()


def test_seed_gives_up_quietly_on_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "template.db"
    broken.write_bytes(b"not a database" * 100)
    with home(tmp_path / "home") as h:
        assert prefect_db.seed(broken) is None  # the server migrates, as without one
    assert not (h / "prefect.db").exists()
    assert [p.name for p in h.iterdir()] == []


def schema(path: Path) -> dict[str, object]:
    """Tables, indexes, Alembic's version and the block types. A table's lines are sorted:
    Alembic's batch migrations recreate tables with their constraints in an order that
    differs from one migration to the next."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT type, name, sql FROM sqlite_master "
                          "WHERE name NOT LIKE 'sqlite_%'").fetchall()
        return {
            "tables": sorted((kind, name, sorted(line.strip().rstrip(",")
                                                 for line in (sql or "").splitlines()))
                             for kind, name, sql in rows),
            "alembic": db.execute("SELECT version_num FROM alembic_version").fetchall(),
            "block_types": db.execute("SELECT count(*) FROM block_type").fetchone(),
        }


FLOW_ON_SEEDED_HOME = """
import json, os, sys
from pathlib import Path
import flows
from flows import ephemeral, prefect_db
from prefect import flow

seeded = prefect_db.seed(Path(sys.argv[1]))
inode = seeded.stat().st_ino
ephemeral.start()

@flow(name="on-a-seeded-home")
def hello() -> int:
    return 7

print(json.dumps({"seeded": str(seeded), "result": hello(), "same_file":
                  seeded.stat().st_ino == inode}))
"""


@pytest.mark.slow
def test_the_template_is_what_prefects_server_makes_and_serves_runs(tmp_path: Path) -> None:
    """The template equals the database Prefect's own server makes on a new home (schema,
    Alembic's head, the block types it registers once started); a temporary server on a
    seeded home keeps that file and records a flow run in it."""
    template = prefect_db.build(tmp_path / "share" / "prefect-test.db")
    assert prefect_db.build(template) == template  # there: not made again
    with contextlib.closing(sqlite3.connect(template)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert [p.name for p in template.parent.iterdir()] == [template.name]

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "seeded"), INTERLINEAR_SERVER_IDLE_S="0",
               PREFECT_LOGGING_LEVEL="WARNING")
    proc = subprocess.run([PY, "-c", FLOW_ON_SEEDED_HOME, str(template)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    seeded = Path(got["seeded"])
    assert got == {"seeded": str(tmp_path / "seeded" / "prefect.db"), "result": 7,
                   "same_file": True}
    with contextlib.closing(sqlite3.connect(seeded)) as db:
        assert db.execute("SELECT name FROM flow").fetchall() == [("on-a-seeded-home",)]
        assert db.execute("SELECT state_type FROM flow_run").fetchall() == [("COMPLETED",)]

    # the same, migrated by Prefect's server itself on a home without a database
    env["PREFECT_HOME"] = str(tmp_path / "migrated")
    made = subprocess.run([PY, "-c", "import flows\nfrom flows import ephemeral\n"
                           "ephemeral.start()"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-3000:]
    assert schema(tmp_path / "migrated" / "prefect.db") == schema(seeded)
    assert schema(template)["tables"] == schema(seeded)["tables"]
