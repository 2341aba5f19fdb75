"""The emulator package's public names, and each module's `__all__`."""

from __future__ import annotations

import importlib
import pkgutil

import ddm_emulator as emulator


def test_package_all_is_sorted_and_resolvable():
    assert emulator.__all__ == sorted(emulator.__all__)
    for name in emulator.__all__:
        assert getattr(emulator, name) is not None, name


def test_every_module_declares_all_and_a_docstring():
    for info in pkgutil.iter_modules(emulator.__path__):
        module = importlib.import_module(f"{emulator.__name__}.{info.name}")
        assert module.__doc__, info.name
        assert isinstance(module.__all__, list), info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"
