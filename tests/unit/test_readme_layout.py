"""The README's layout section names every module of both packages, and only modules that exist."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO


def _layout_section() -> str:
    text = (REPO / "README.md").read_text()
    return text[text.index("## Layout"):]


@pytest.mark.parametrize("package", ["ddm_resources", "ddm_emulator"])
def test_the_layout_names_every_module_and_nothing_else(package):
    section = _layout_section()
    start = section.index(f"{package}/")
    following = [section.find(f"\n{name}/", start + 1) for name in ("ddm_resources", "ddm_emulator", "examples")]
    block = section[start:min(i for i in following if i > 0)]
    named = set(re.findall(r"\b([a-z_]+\.py)\b", block))
    # _version.py: written by setuptools-scm at install, git-ignored (pyproject.toml [tool.setuptools_scm])
    on_disk = {p.name for p in (REPO / package).glob("*.py")} - {"__init__.py", "__main__.py", "_version.py"}
    assert named - {"__main__.py"} == on_disk
