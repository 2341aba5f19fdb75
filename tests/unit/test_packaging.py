"""Packaging: the version comes from git, the dependencies are declared once in pyproject.toml and
everything else is derived from them, and the emulator has its console script.

(Upgrading with `pip install -U` of a newer commit, and the installed `ddm-emulator` serving, are
shown on a real install in tests/engine/test_examples.py.)
"""

from __future__ import annotations

import importlib.metadata
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import ddm_resources
from tests.conftest import REPO

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LOWEST = runpy.run_path(str(REPO / "scripts/lowest_constraints.py"))


def test_the_version_is_git_derived_and_names_the_commit_when_not_a_release():
    assert PYPROJECT["project"]["dynamic"] == ["version"] and "version" not in PYPROJECT["project"]
    version = importlib.metadata.version("ddm-resources")
    assert ddm_resources.__version__ == version
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):  # not a tagged release: a development version with the commit
        assert re.fullmatch(r"\d+\.\d+\.dev\d+\+g[0-9a-f]{7,}(\.d\d{8})?", version), version
        # the editable install was made at some commit of this checkout (bootstrap reinstalls only on changes)
        assert head and subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", version.split("+g")[1][:7]],
                                       check=False).returncode == 0


def test_a_build_without_git_metadata_falls_back_to_a_version():
    assert PYPROJECT["tool"]["setuptools_scm"]["fallback_version"] == "0.1.dev0"
    assert "setuptools-scm>=8" in PYPROJECT["build-system"]["requires"]


def test_constraints_lowest_is_derived_from_pyproject():
    assert LOWEST["problems"]((REPO / "constraints-lowest.txt").read_text()) == []


def test_the_derivation_check_fails_on_a_changed_bound_or_a_hand_edited_pin():
    text = (REPO / "constraints-lowest.txt").read_text()
    assert LOWEST["problems"](text.replace("httpx>=0.27,<1", "httpx>=0.28,<1")) == [
        "pyproject.toml's dependencies changed since it was computed"]
    hand_edited = re.sub(r"^pydantic==.*$", "pydantic==1.10.0", text, flags=re.M)
    assert LOWEST["problems"](hand_edited) == ["pydantic==1.10.0 is outside pydantic>=2.6,<3"]
    assert LOWEST["problems"](text + "requests==2.0.0\n") == ["requests is pinned but not declared"]


def test_the_declarations_live_only_in_pyproject():
    assert not (REPO / "requirements-dev.txt").exists()
    requirements = [line for line in (REPO / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert requirements == ["-e ."]  # the root program installs this checkout with pyproject's dependencies
    extras = subprocess.run([str(REPO / "scripts/extras")], capture_output=True, text=True, check=True).stdout
    assert extras.split() == [",".join(PYPROJECT["project"]["optional-dependencies"])]
    assert set(PYPROJECT["project"]["optional-dependencies"]) == {"aksk", "clouds", "emulator", "socks", "truststore"}
    assert {"test", "dev"} <= set(PYPROJECT["dependency-groups"])


def test_urls_are_urls_and_python_versions_are_classified():
    assert all(url.startswith("https://") for url in PYPROJECT["project"]["urls"].values())
    classifiers = PYPROJECT["project"]["classifiers"]
    floor = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert f"Programming Language :: Python :: {floor}" in classifiers
    assert "Programming Language :: Python :: 3 :: Only" in classifiers


def test_the_emulator_console_script_is_installed():
    assert PYPROJECT["project"]["scripts"] == {"ddm-emulator": "ddm_emulator.__main__:script",
                                               "pulumi-resource-ddm": "ddm_resources.plugin_server:main"}
    script = Path(sys.executable).parent / "ddm-emulator"
    if not script.exists():
        pytest.skip("ddm-resources is not installed in this interpreter's environment (scripts/bootstrap does)")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("usage: ddm-emulator "), result.stderr[-2000:]
