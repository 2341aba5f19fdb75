"""Imports between the package's modules only point down (docs/design.md, "Layers").

`LAYERS` is the declared order, bottom first; every module of `ddm_resources` is in exactly one
layer. An import (at the top of a module, inside a function, or under `TYPE_CHECKING`: all count)
of another module of the package must name one of the same or a lower layer. And the HTTP client,
the API models and the waiter load no `pulumi` module at all (`python -X importtime`)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import REPO

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # _version: written by setuptools-scm at install (git-ignored), read by version
    ("words", ("_version", "version", "errors", "wording", "sanitize", "ids", "api_time", "job_status", "poll_plan",
               "fields")),
    ("wire", ("retry", "models", "lookup_models", "iam_models", "http_options", "http_body", "http_boundary",
              "service_clock", "api_paths", "instance_models")),
    ("service", ("regions", "auth", "paging", "client", "waiter", "clouds", "settings")),
    ("inputs", ("restore_time", "input_model", "inputs")),
    ("run", ("run_state",)),
    ("restore", ("job_identity", "adoption", "decision", "preflight", "restore_window", "preview", "restore",
                 "refresh", "verification", "drift", "rpo", "outputs")),
    ("pulumi", ("provider", "resource", "provider_threads", "watchdog", "runtime_load", "plugin_schema", "plugin_wire",
                "engine_log", "plugin", "plugin_server", "__init__")),
)
LAYER_OF = {module: index for index, (_, modules) in enumerate(LAYERS) for module in modules}
PACKAGE = REPO / "ddm_resources"


def _imports(path) -> list[tuple[int, str]]:
    """`(line, module)` for every import of a module of the package in the file at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.append((node.lineno, node.module.split(".")[0]))
            elif node.level == 1:  # `from . import x`: x is a module, or a name of the package itself
                found += [(node.lineno, a.name if (PACKAGE / f"{a.name}.py").exists() else "__init__")
                          for a in node.names]
            elif node.module and node.module.split(".")[0] == "ddm_resources":
                parts = node.module.split(".")
                found.append((node.lineno, parts[1] if len(parts) > 1 else "__init__"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[1]) for a in node.names
                      if a.name.startswith("ddm_resources.")]
    return found


def test_every_module_has_one_layer():
    on_disk = sorted(path.stem for path in PACKAGE.glob("*.py"))
    declared = [module for _, modules in LAYERS for module in modules]
    assert sorted(declared) == on_disk
    assert len(set(declared)) == len(declared)


@pytest.mark.parametrize("module", sorted(LAYER_OF))
def test_imports_point_down(module):
    upward = [f"line {line}: {module} ({LAYERS[LAYER_OF[module]][0]}) imports {imported} "
              f"({LAYERS[LAYER_OF[imported]][0]})"
              for line, imported in _imports(PACKAGE / f"{module}.py") if LAYER_OF[imported] > LAYER_OF[module]]
    assert upward == []


def test_the_scan_sees_lazy_imports(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from .provider import X\n    from . import resource\n")
    assert _imports(path) == [(2, "provider"), (3, "resource")]


@pytest.mark.parametrize("module", ["client", "models", "lookup_models", "waiter"])
def test_the_service_side_loads_no_pulumi(module):
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import ddm_resources.{module}"],
                            cwd=REPO, capture_output=True, text=True, check=True)
    loaded = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert f"ddm_resources.{module}" in loaded
    assert [name for name in loaded if name.split(".")[0] == "pulumi"] == []
