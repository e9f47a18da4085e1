"""Which engine translates a language pair: the registry of engine names and the choice.

`ENGINE_NAMES` (defined beside the engine protocol, `engines.base`, so that each engine
takes its `name` from it) is the one list of names: each engine's `name`, the override
`choose_engine` accepts and the command line's `--engine` choices.
"""

from __future__ import annotations

from ..errors import ConfigError, ModelMissingError
from .engines.argos import ArgosEngine
from .engines.argos_packages import INSTALL_FILE_HINT, INSTALL_HINT
from .engines.base import ARGOS, BERGAMOT, ENGINE_NAMES, EngineOptions, TranslationEngine
from .engines.bergamot import BergamotEngine

__all__ = ["ENGINE_NAMES", "choose_engine"]


def serves(
    source: str,
    target: str,
    override: str | None = None,
    *,
    argos: ArgosEngine | None = None,
    bergamot: BergamotEngine | None = None,
) -> bool:
    """Whether an engine (the one `override` names, or any) has a model for the pair."""
    if override is not None and override not in ENGINE_NAMES:
        raise ConfigError(f"unknown engine {override!r} (choose from {', '.join(ENGINE_NAMES)})")
    if override in (None, "argos") and (argos or ArgosEngine()).supports(source, target):
        return True
    return override in (None, "bergamot") and (bergamot or BergamotEngine()).supports(
        source, target)


def choose_engine(
    source: str,
    target: str,
    override: str | None = None,
    *,
    argos: ArgosEngine | None = None,
    bergamot: BergamotEngine | None = None,
    options: EngineOptions | None = None,
) -> TranslationEngine:
    """The engine for a pair: argos where a model is installed, else Bergamot (en<->pt, or
    a user's Firefox Translations model).

    `override` (one of ENGINE_NAMES) forces one. Raises ModelMissingError naming the
    install command when no engine can translate the pair, ConfigError for an unknown name.
    """
    if override is not None and override not in ENGINE_NAMES:
        raise ConfigError(f"unknown engine {override!r} (choose from {', '.join(ENGINE_NAMES)})")
    argos_engine = argos or ArgosEngine(options)
    if override in (None, ARGOS) and argos_engine.supports(source, target):
        return argos_engine
    bergamot_engine = bergamot or BergamotEngine(options)
    if override in (None, BERGAMOT) and bergamot_engine.supports(source, target):
        return bergamot_engine
    hint = INSTALL_HINT.format(source=source, target=target)
    if override == BERGAMOT:
        raise ModelMissingError(
            f"no Bergamot model for {source}->{target} (bundled: en<->pt only): install "
            "a Firefox Translations model with `interlinear models install --file FOLDER`, "
            f"or an argos model with `{hint}`",
            source=source, target=target)
    raise ModelMissingError(
        f"no translation model for {source}->{target}: install one with `{hint}` "
        f"(on a machine without network: `{INSTALL_FILE_HINT}`, or a Firefox Translations "
        "model with `interlinear models install --file FOLDER`)",
        source=source, target=target)
