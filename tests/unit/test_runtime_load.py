"""`runtime_load.load_provider_runtime`: the provider's runtime is imported with the cyclic garbage
collector paused (and on again afterwards, also after a failed import); only a process started as
`python -m pulumi.*` then freezes what exists. Each case runs in a fresh interpreter, where the
import really happens."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

LOAD = """
import gc, sys, types
if {provider_process}:
    sys.modules["__main__"].__spec__ = types.SimpleNamespace(name="pulumi.dynamic.__main__")
from ddm_resources.runtime_load import load_provider_runtime
if {failing}:
    sys.modules["ddm_resources.run_state"] = None  # the import raises ImportError
collections = []  # per collection: had the import finished when it ran?
gc.callbacks.append(lambda phase, info: collections.append("ddm_resources.client" in sys.modules)
                    if phase == "start" else None)
try:
    load_provider_runtime()
except ImportError:
    print("ImportError")
loaded = all(m in sys.modules for m in ("httpx", "pydantic", "ddm_resources.models", "ddm_resources.client"))
print(collections.count(False), len(collections), gc.isenabled(), loaded, gc.get_freeze_count())
"""


def _load(provider_process: bool, failing: bool = False) -> list[str]:
    code = LOAD.format(provider_process=provider_process, failing=failing)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_the_runtime_is_imported_without_a_collection_and_the_collector_is_on_again():
    during, _after, enabled, loaded, frozen = _load(provider_process=False)
    assert (during, enabled, loaded) == ("0", "True", "True")
    assert frozen == "0"  # not a provider process: nothing is frozen


def test_a_provider_process_then_freezes_what_exists_before_any_collection():
    during, after, enabled, loaded, frozen = _load(provider_process=True)
    assert (during, after, enabled, loaded) == ("0", "0", "True", "True")
    assert int(frozen) > 20_000  # the modules, the models, their schemas: never walked again


@pytest.mark.parametrize("provider_process", [False, True])
def test_a_failed_import_leaves_the_collector_on_and_freezes_nothing(provider_process):
    assert _load(provider_process, failing=True) == ["ImportError", "0", "0", "True", "False", "0"]
