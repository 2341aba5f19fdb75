"""Requests that verification after `Completed` adds to one restore (issue 22): 1 and 50 schemas.

Each figure is a `create` of one restore through the provider (check, then create) against the
emulator in process (`ddm_emulator.wsgi_transport`, an instant job), `verify` on, set side by side
with the same restore with `verify = false`, in the same run. What verification adds is the
difference: the target's details, the target's and the source's schema list (one page of 128
each) and the source's backup list; it must not grow with the number of schemas below a page.

    .venv/bin/python bench/verify.py            # a table
    .venv/bin/python bench/verify.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.dynamic import Config, ConfigureRequest  # noqa: E402

from bench.common import machine  # noqa: E402
from ddm_emulator import SEED, DdmBackend, EmulatorSettings, wsgi_transport  # noqa: E402
from ddm_resources.provider import MetadataRecoveryProvider  # noqa: E402

TOKEN = "bench-verify-token-0123456789abcdef"
URL = "http://ddm.bench-verify.test"
SCHEMAS = (1, 50)
LIMIT = 4
"""Requests verification may add to one restore with at most 128 schemas (one page of each list)."""


def requests_of_one_restore(schemas: int, verify: bool) -> dict[str, object]:
    """The requests of check + create of one restore from the seed's backup, with `schemas` schemas."""
    backend = DdmBackend(EmulatorSettings(job_seconds=0.0))
    backend.add_static_token(TOKEN, SEED.project_id)
    for index in range(schemas - 1):  # the seed's source has `orders`
        backend.add_schema(SEED.source_instance_id, f"schema_{index:03d}")
    now_ms = int(backend.now() * 1000)
    provider = MetadataRecoveryProvider()
    provider.transport = wsgi_transport(backend)
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": URL, "ddm:projectId": SEED.project_id,
                                                "ddm:token": TOKEN, "ddm:pollInterval": "0.05"},
                                               "ddm-metadata-recovery")))
    props = {"source_instance_id": SEED.source_instance_id, "source": {"restore_time": now_ms - 60_000},
             "target": {"instance_id": SEED.target_instance_id, "data_nodes": [SEED.target_data_node_id]},
             "resource_name": "bench", "verify": verify}
    checked = provider.check({}, props)
    assert not checked.failures, checked.failures
    outs = provider.create(checked.inputs).outs
    assert verify is False or len(outs["schemas"]) == schemas, outs
    sent = backend.requests()
    return {"total": len(sent), "by_path": Counter(_kind(r.path) for r in sent)}


def _kind(path: str) -> str:
    for part, name in (("/databases", "schema list"), ("/backups/", "restore lookup"), ("/backups", "backup list"),
                       ("/jobs", "jobs"), ("/metadata-recovery", "POST")):
        if part in path:
            return name
    return "instance details" if path.startswith("/v1/") else path


def measure() -> list[dict[str, object]]:
    rows = []
    for schemas in SCHEMAS:
        on, off = requests_of_one_restore(schemas, True), requests_of_one_restore(schemas, False)
        added = int(on["total"]) - int(off["total"])  # type: ignore[call-overload]
        extra = Counter(on["by_path"]) - Counter(off["by_path"])  # type: ignore[arg-type]
        rows.append({"schemas": schemas, "verify_on": on["total"], "verify_off": off["total"], "added": added,
                     "added_by_kind": dict(extra), "ratio": int(on["total"]) / int(off["total"])})  # type: ignore[call-overload]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    rows = measure()
    if parser.parse_args().json:
        print(json.dumps(rows))
        return
    print(f"verify: {machine()}")
    for r in rows:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(r["added_by_kind"].items()))  # type: ignore[attr-defined]
        verdict = "met" if int(r["added"]) <= LIMIT else "NOT met"  # type: ignore[call-overload]
        print(f"requests per restore, {r['schemas']:>2} schema(s), verify on / off: {float(r['ratio']):.2f}x "  # type: ignore[arg-type]
              f"({r['verify_on']} / {r['verify_off']}; +{r['added']}: {kinds})   target: +<= {LIMIT}  {verdict}")


if __name__ == "__main__":
    main()
