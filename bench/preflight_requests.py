"""API requests of one restore (check, then create: the job list, the preflight, the POST, the
polls) for a source with 1, 20 and 256 data nodes, through the provider in process against the
emulator (`MetadataRecoveryProvider.transport`). Each figure is a ratio against the 1-node run,
run in the same process; the target (issue 19 item 13): the same small number whatever the count.

    .venv/bin/python bench/preflight_requests.py
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.dynamic import Config, ConfigureRequest  # noqa: E402

from bench.common import machine  # noqa: E402
from ddm_emulator import DEMO_PROJECT_ID, DdmBackend, EmulatorSettings, wsgi_transport  # noqa: E402
from ddm_resources.provider import MetadataRecoveryProvider  # noqa: E402
from tests.conftest import SOURCE, TARGET, TOKEN  # noqa: E402
from tests.restore_targets import add_source_data_nodes, add_target_data_nodes  # noqa: E402

NODES = (1, 20, 256)


def requests_of_one_restore(nodes: int) -> Counter[str]:
    """The requests of `check` + `create` of one restore by time, by kind (the last path segment)."""
    backend = DdmBackend(EmulatorSettings(job_seconds=0.0))
    backend.add_static_token(TOKEN, DEMO_PROJECT_ID)
    add_source_data_nodes(backend, nodes)
    data_nodes = add_target_data_nodes(backend, nodes)
    provider = MetadataRecoveryProvider()
    provider.transport = wsgi_transport(backend)
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": "http://ddm.bench.test", "ddm:projectId":
                                                DEMO_PROJECT_ID, "ddm:token": TOKEN, "ddm:pollInterval": "0.1"},
                                               "ddm-metadata-recovery")))
    inputs = {"source_instance_id": SOURCE, "source": {"restore_time": int(time.time() - 3600) * 1000},
              "target": {"instance_id": TARGET, "data_nodes": data_nodes}, "resource_name": "bench"}
    checked = provider.check({}, inputs)
    assert not checked.failures, [f.reason for f in checked.failures]
    provider.create(checked.inputs)
    return Counter(r.path.rstrip("/").rsplit("/", 1)[-1] if r.method == "GET" else r.method
                   for r in backend.requests())


def measure() -> list[dict[str, object]]:
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the provider's progress lines
        counts = {nodes: requests_of_one_restore(nodes) for nodes in NODES}
    reference = sum(counts[1].values())
    return [{"nodes": nodes, "requests": sum(c.values()), "ratio": sum(c.values()) / reference,
             "restorable-data-node": c["restorable-data-node"], "detail": dict(c)} for nodes, c in counts.items()]


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    print(machine())
    print("| source data nodes | requests per restore (check + create) | / 1 node | restorable-data-node |")
    print("|---|---|---|---|")
    for row in measure():
        print(f"| {row['nodes']} | {row['requests']} | {float(row['ratio']):.2f}x | "  # type: ignore[arg-type]
              f"{row['restorable-data-node']} |")


if __name__ == "__main__":
    main()
