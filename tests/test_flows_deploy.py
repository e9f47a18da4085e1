"""Deployments: prefect.yaml, `interlinear serve` parameters, the pull step, the Dask runner."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pytest
import yaml
from prefect import Flow

from flows.dask_runner import local_cluster_kwargs, with_dask
from flows.deploy import check_cron, checkout_directory, deployment_parameters
from pipeline.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def ns(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {"notes": REPO / "examples" / "vault", "to": "ru,pt",
                               "out": Path("output"), "cron": "0 3 * * *", "transcripts": None}
    return argparse.Namespace(**{**base, **kw})


def test_prefect_yaml_deployments_are_runnable() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    assert config["pull"] == [{"flows.deploy.checkout_directory": {}}]
    names = [d["name"] for d in config["deployments"]]
    assert names == ["nightly", "nightly-dask"]
    for dep in config["deployments"]:
        path, _, attr = dep["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, attr), Flow)
        params = dep["parameters"]
        assert {"vault", "languages", "out"} <= set(params)
        assert (REPO / params["vault"]).is_dir()
        assert (REPO / params["transcripts"]).is_dir()
        for schedule in dep["schedules"]:
            assert check_cron(schedule["cron"]) == schedule["cron"]
        assert dep["work_pool"]["name"] == "interlinear"
    assert config["deployments"][0]["schedules"][0]["cron"] == "0 3 * * *"


def test_prefect_yaml_parameters_fit_the_flow() -> None:
    from flows.vault import vault_flow

    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    schema = vault_flow.parameters.model_dump()["properties"]
    for dep in config["deployments"]:
        assert set(dep["parameters"]) <= set(schema)


def test_cron_is_checked() -> None:
    assert check_cron("*/15 * * * *") == "*/15 * * * *"
    with pytest.raises(ConfigError, match="cron"):
        check_cron("every night")


def test_serve_parameters_are_absolute_and_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    params = deployment_parameters(ns(notes=REPO / "examples" / "vault", out=Path("out"),
                                      transcripts=Path("tr"), allow_missing_models=True))
    assert params == {"vault": str(REPO / "examples" / "vault"), "languages": ["ru", "pt"],
                      "out": str(tmp_path / "out"), "transcripts": str(tmp_path / "tr"),
                      "allow_missing_models": True}
    with pytest.raises(ConfigError, match="no such folder"):
        deployment_parameters(ns(notes=tmp_path / "absent"))
    with pytest.raises(ConfigError, match="language"):
        deployment_parameters(ns(to="ru;pt"))
    with pytest.raises(ConfigError, match="no target"):
        deployment_parameters(ns(to=","))


def test_pull_step_finds_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLINEAR_HOME", raising=False)
    assert checkout_directory() == {"directory": str(REPO)}
    assert Path.cwd() == REPO
    monkeypatch.setenv("INTERLINEAR_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="INTERLINEAR_HOME"):
        checkout_directory()
    assert checkout_directory(str(REPO)) == {"directory": str(REPO)}


def test_dask_runner_options() -> None:
    from flows.vault import vault_flow

    kw = local_cluster_kwargs(3)
    assert kw["n_workers"] == 3 and kw["threads_per_worker"] == 1
    assert kw["host"] == "127.0.0.1" and kw["dashboard_address"] is None
    remote = with_dask(vault_flow, "tcp://127.0.0.1:8786")
    assert remote.task_runner.address == "tcp://127.0.0.1:8786"  # type: ignore[attr-defined]
    assert remote.name == vault_flow.name and remote.fn is vault_flow.fn

