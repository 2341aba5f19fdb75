"""Load the provider's runtime (httpx, pydantic, the API models) once per process, at little CPU.

`configure` imports `run_state`, and with it httpx and pydantic, and builds about 30 pydantic
models: some 60 000 new objects that live as long as the process. While they are made,
CPython's cyclic garbage collector runs again and again over all of them, and once over every
object of the process, and finds next to nothing to free. Counted with callgrind over
configure, check and create of one restore (bench/README.md): that collecting costs about
25 million instructions (~7 ms) during the imports, and the collections after them, which keep
walking those objects, about 100 million more (~27 ms) by the end of `create`.

So `load_provider_runtime` imports with the collector paused (it is switched on again
afterwards, also when an import fails), and, only in a provider process started by the Pulumi
SDK (`python -m pulumi.dynamic`), then moves every object that exists at that point into the
collector's permanent generation (`gc.freeze`), so later collections only look at objects made
after it. That is what `gc.freeze` is for; the price is that a reference cycle among those
objects that becomes garbage later is not freed (memory, never behaviour). Everything else
(tests, a program) only gets the paused collector: nothing is frozen there.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["in_provider_process", "load_provider_runtime"]


def load_provider_runtime() -> None:
    """Import `ddm_resources.run_state` (httpx, pydantic, the models) with the cyclic garbage
    collector paused; in a process started as `python -m pulumi.*`, freeze what exists then.
    Idempotent; raises what the import raises (the collector is on again by then)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        from . import run_state  # noqa: F401  (the import is the point)

        if in_provider_process():
            gc.freeze()  # before the collector is on again: its first run would walk them all once more
    finally:
        if enabled:
            gc.enable()


def in_provider_process() -> bool:
    """True in a process the Pulumi SDK started as `python -m pulumi.<something>` (the provider
    process; `provider_threads` asks it too)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    return isinstance(name, str) and name.startswith("pulumi.")
