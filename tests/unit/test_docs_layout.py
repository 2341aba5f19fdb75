"""docs/contributing.md's layout names every module of both packages, and only modules that exist."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO


def _layout_section() -> str:
    text = (REPO / "docs" / "contributing.md").read_text()
    return text[text.index("## Layout"):]


@pytest.mark.parametrize("package", ["ddm_resources", "ddm_emulator"])
def test_the_layout_names_every_module_and_nothing_else(package):
    section = _layout_section()
    start = section.index(f"{package}/")
    following = [section.find(f"\n{name}/", start + 1) for name in ("ddm_resources", "ddm_emulator", "docs")]
    block = section[start:min(i for i in following if i > 0)]
    named = set(re.findall(r"\b([a-z_]+\.py)\b", block))
    # _version.py: written by setuptools-scm at install, git-ignored (pyproject.toml [tool.setuptools_scm])
    on_disk = {p.name for p in (REPO / package).glob("*.py")} - {"__init__.py", "__main__.py", "_version.py"}
    assert named - {"__main__.py"} == on_disk


def test_the_design_page_names_every_module_of_the_provider_and_nothing_else():
    text = (REPO / "docs" / "design.md").read_text()
    section = text[text.index("## Layers and modules"):text.index("## The flow of a restore")]
    named = set(re.findall(r"`([a-z_]+\.py)`", section))
    on_disk = {p.name for p in (REPO / "ddm_resources").glob("*.py")} - {"__init__.py", "__main__.py", "_version.py"}
    assert named == on_disk
