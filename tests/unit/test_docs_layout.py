"""The module lists name every module of both packages, and only modules that exist: docs/design.md
("Layers and modules") for `ddm_resources`, docs/contributing.md's layout for `ddm_emulator`."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _modules_on_disk(package: str) -> set[str]:
    # _version.py: written by setuptools-scm at install, git-ignored (pyproject.toml [tool.setuptools_scm])
    return {p.name for p in (REPO / package).glob("*.py")} - {"__init__.py", "__main__.py", "_version.py"}


def test_the_design_page_names_every_module_of_the_provider_and_nothing_else():
    text = (REPO / "docs" / "design.md").read_text()
    section = text[text.index("## Layers and modules"):text.index("## The flow of a restore")]
    named = set(re.findall(r"`([a-z_]+\.py)`", section))
    assert named == _modules_on_disk("ddm_resources")


def test_the_contributing_layout_names_every_module_of_the_emulator_and_nothing_else():
    section = (REPO / "docs" / "contributing.md").read_text()
    section = section[section.index("## Layout"):]
    start = section.index("ddm_emulator/")
    following = [section.find(f"\n{name}/", start + 1) for name in ("ddm_resources", "ddm_emulator", "docs")]
    block = section[start:min(i for i in following if i > 0)]
    named = set(re.findall(r"\b([a-z_]+\.py)\b", block))
    assert named - {"__main__.py"} == _modules_on_disk("ddm_emulator")
