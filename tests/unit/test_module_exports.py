"""Every module of both packages declares `__all__`: names that exist, and every public class
and function the module defines (so a reader sees a module's interface at its top). A handler
module of the emulator exports its `ROUTES`; the handlers listed there are reached through it.
The package `ddm_resources` exports its public names: sorted, complete, and importable.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import ddm_resources
from tests.conftest import REPO

MODULES = sorted(
    f"{package}.{path.stem}"
    for package in ("ddm_resources", "ddm_emulator")
    for path in (REPO / package).glob("*.py")
    if path.stem not in ("__init__", "__main__")
)


PLUGIN_MODULES = {"ddm_resources.plugin", "ddm_resources.plugin_server", "ddm_resources.plugin_wire"}
"""Built on the SDK's provider support, `pulumi.provider.experimental` (pulumi 3.175 and newer; not in
the lowest pulumi the dynamic resource allows, which scripts/test-lowest runs)."""


@pytest.mark.parametrize("name", MODULES)
def test_all_names_the_modules_public_definitions(name):
    if name in PLUGIN_MODULES:
        pytest.importorskip("pulumi.provider.experimental", reason="the provider plugin needs pulumi >= 3.175")
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, (list, tuple)), f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"
    defined = {
        n for n, v in vars(module).items()
        if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
        and getattr(v, "__module__", None) == name
    }
    routed = {route.handler.__name__ for route in getattr(module, "ROUTES", ())}
    assert sorted(defined - set(exported) - routed) == [], f"{name} defines public names outside __all__"


# the package ddm_resources: sorted, complete, importable -------------------------------------------------------


def test_all_is_sorted_and_names_exist():
    assert ddm_resources.__all__ == sorted(ddm_resources.__all__, key=lambda n: (n.startswith("_"), n))
    for name in ddm_resources.__all__:
        assert hasattr(ddm_resources, name), name


def test_public_names_are_exported():
    for name in ddm_resources.__all__:  # the names of `resource` are loaded on first use
        getattr(ddm_resources, name)
    public = {n for n, v in vars(ddm_resources).items()
              if not n.startswith("_") and not isinstance(v, type(ddm_resources))}
    assert public == set(ddm_resources.__all__) - {"__version__"}
