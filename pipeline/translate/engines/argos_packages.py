"""argostranslate package management, through argostranslate's own package code.

argostranslate reads its settings (package folder, index URL) once, at import, into
module globals of `argostranslate.settings`, which its package functions read at call
time. `argos_settings(...)` points those globals at the folders and index an
`ArgosEngine` was given for the duration of one call, under a lock, and restores them.
Importing `argostranslate.settings` creates argostranslate's data, config and cache
folders (under $XDG_DATA_HOME etc., by default in the home folder): that is
argostranslate's own behaviour.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ...errors import ModelMissingError, TranslationError

INSTALL_HINT = "interlinear models install {source} {target}"
INSTALL_FILE_HINT = "interlinear models install --file PATH.argosmodel"
ORIGIN = "interlinear-origin.txt"  # in a package's folder: where it was installed from
_LOCK = threading.RLock()


@dataclass(frozen=True)
class ModelInfo:
    """An argos package: installed (path set) or available in the index (path None)."""

    source: str
    target: str
    version: str
    name: str  # argospm name, e.g. translate-en_ru
    path: Path | None = None
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArgosLocation:
    """Where packages are installed and where the index is fetched from and cached."""

    packages_dir: Path
    index_url: str  # the index JSON (a base URL ending in "/" gets "index.json" appended)
    cache_dir: Path  # local copy of the index and downloads

    @property
    def remote_index(self) -> str:
        return self.index_url + "index.json" if self.index_url.endswith("/") else self.index_url

    @property
    def local_index(self) -> Path:
        return self.cache_dir / "index.json"


def argos_modules() -> tuple[ModuleType, ModuleType]:
    """`(argostranslate.package, argostranslate.settings)`, imported on first use."""
    from argostranslate import package, settings

    return package, settings


def default_location(
    packages_dir: Path | None = None, index_url: str | None = None, cache_dir: Path | None = None
) -> ArgosLocation:
    """argostranslate's own settings (env ARGOS_PACKAGES_DIR, ARGOS_PACKAGE_INDEX, its
    settings.json) for whatever is not given."""
    _, settings = argos_modules()
    pdir = Path(packages_dir) if packages_dir else Path(settings.package_data_dir)
    if cache_dir is None:
        cache_dir = (
            Path(settings.cache_dir) if packages_dir is None else pdir.parent / "argos-cache"
        )
    url = index_url if index_url is not None else str(settings.package_index)
    return ArgosLocation(pdir, url, Path(cache_dir))


@contextlib.contextmanager
def argos_settings(loc: ArgosLocation, timeout_s: float = 30.0) -> Iterator[ModuleType]:
    """argostranslate.package with its settings pointed at `loc` (restored afterwards)."""
    package, settings = argos_modules()
    names = ("package_data_dir", "package_dirs", "remote_package_index",
             "local_package_index", "downloads_dir")
    with _LOCK:
        saved = {n: getattr(settings, n) for n in names}
        saved_timeout = socket.getdefaulttimeout()
        loc.packages_dir.mkdir(parents=True, exist_ok=True)
        (loc.cache_dir / "downloads").mkdir(parents=True, exist_ok=True)
        pointed: dict[str, object] = {
            "package_data_dir": loc.packages_dir, "package_dirs": [loc.packages_dir],
            "remote_package_index": loc.remote_index, "local_package_index": loc.local_index,
            "downloads_dir": loc.cache_dir / "downloads",
        }
        for n, v in pointed.items():
            setattr(settings, n, v)
        socket.setdefaulttimeout(timeout_s)
        try:
            yield package
        finally:
            socket.setdefaulttimeout(saved_timeout)
            for n, v in saved.items():
                setattr(settings, n, v)


def installed_packages(loc: ArgosLocation) -> list[Any]:
    """argostranslate `Package`s of type translate in `loc.packages_dir` (broken ones skipped)."""
    package, _ = argos_modules()
    if not loc.packages_dir.is_dir():
        return []
    found = []
    for child in sorted(loc.packages_dir.iterdir()):
        if not (child / "metadata.json").is_file():
            continue
        try:
            pkg = package.Package(child)
        except (OSError, ValueError):
            continue
        if pkg.type == "translate" and pkg.from_code and pkg.to_code:
            found.append(pkg)
    return found


def model_info(pkg: Any) -> ModelInfo:
    package, _ = argos_modules()
    path = getattr(pkg, "package_path", None)
    return ModelInfo(
        source=pkg.from_code, target=pkg.to_code, version=str(pkg.package_version or ""),
        name=package.argospm_package_name(pkg), path=Path(path) if path else None,
        links=tuple(pkg.links or ()),
    )


def refresh_index(loc: ArgosLocation, timeout_s: float = 30.0) -> list[Any]:
    """Fetch the index through `argostranslate.package.update_package_index` and return the
    available packages. argostranslate only logs a failed fetch; this raises instead."""
    before = _stamp(loc.local_index)
    with argos_settings(loc, timeout_s) as package:
        package.update_package_index()
        if _stamp(loc.local_index) == before:
            raise ModelMissingError(
                f"cannot reach the argos package index at {loc.remote_index}; on a machine "
                f"without network, install a downloaded package with `{INSTALL_FILE_HINT}`"
            )
        try:
            return [p for p in package.get_available_packages() if p.type == "translate"]
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise TranslationError(
                f"the argos package index at {loc.remote_index} is not valid: {exc}"
            ) from exc


def install_pair(loc: ArgosLocation, source: str, target: str, timeout_s: float = 30.0) -> Path:
    """Download and install the index's package for source->target; its folder."""
    available = refresh_index(loc, timeout_s)
    match = [p for p in available if p.from_code == source and p.to_code == target]
    if not match:
        pairs = ", ".join(sorted({f"{p.from_code}->{p.to_code}" for p in available}))
        raise ModelMissingError(
            f"the argos package index at {loc.remote_index} has no {source}->{target} "
            f"package (it has: {pairs or 'none'})", source=source, target=target,
        )
    pkg = max(match, key=lambda p: _version_key(str(p.package_version)))
    with argos_settings(loc, timeout_s):
        try:
            pkg.install()
        except Exception as exc:  # argostranslate raises bare Exception on a failed download
            raise TranslationError(
                f"could not download/install argos package {source}->{target} from "
                f"{', '.join(pkg.links) or 'no link'}: {exc}", source=source, target=target,
            ) from exc
    return _find_installed(loc, source, target, str(pkg.package_version))


def install_archive(loc: ArgosLocation, path: Path) -> Path:
    """Install a local `.argosmodel` through `argostranslate.package.install_from_path`."""
    path = Path(path)
    meta = read_archive_metadata(path)
    with argos_settings(loc) as package:
        try:
            package.install_from_path(path)
        except Exception as exc:  # noqa: BLE001 - argostranslate raises bare Exception
            raise TranslationError(f"{path}: could not install argos package: {exc}") from exc
    return _find_installed(loc, meta["from_code"], meta["to_code"],
                           str(meta.get("package_version", "")))


def read_archive_metadata(path: Path) -> dict[str, Any]:
    """The metadata.json of a `.argosmodel` zip (one top folder holding it and model/)."""
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise TranslationError(f"{path}: not an argos package (.argosmodel zip archive)")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        metas = [n for n in names if n.count("/") == 1 and n.endswith("/metadata.json")]
        if len(metas) != 1:
            raise TranslationError(f"{path}: expected one TOP/metadata.json in the archive")
        top = metas[0].split("/")[0]
        if not any(n.startswith(f"{top}/model/") for n in names):
            raise TranslationError(f"{path}: the archive has no {top}/model/ folder")
        try:
            meta = json.loads(zf.read(metas[0]).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TranslationError(f"{path}: unreadable metadata.json: {exc}") from exc
    if not isinstance(meta, dict) or not meta.get("from_code") or not meta.get("to_code"):
        raise TranslationError(f"{path}: metadata.json lacks from_code/to_code")
    return meta


def fingerprint(package_path: Path) -> str:
    """A short content signature of an installed package (metadata, config, model head)."""
    h = hashlib.sha256()
    for rel in ("metadata.json", "model/config.json", "sentencepiece.model", "bpe.model"):
        f = package_path / rel
        if f.is_file():
            h.update(rel.encode())
            h.update(f.read_bytes())
    weights = package_path / "model" / "model.bin"
    if weights.is_file():
        h.update(str(weights.stat().st_size).encode())
        with weights.open("rb") as fh:
            h.update(fh.read(1 << 20))
    return h.hexdigest()[:12]


def _find_installed(loc: ArgosLocation, source: str, target: str, version: str) -> Path:
    for pkg in installed_packages(loc):
        if pkg.from_code == source and pkg.to_code == target and (
            not version or str(pkg.package_version) == version
        ):
            return Path(pkg.package_path)
    raise TranslationError(
        f"argos package {source}->{target} {version} is not in {loc.packages_dir} after install",
        source=source, target=target,
    )


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))
