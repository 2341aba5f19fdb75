"""Issue 19 item 13: a restore's preflight makes a small, constant number of requests whatever the
source's node count and however long the service's lists are (`preflight.LOOKUP_PAGES`,
`preflight.SOURCE_NODES_CHECKED`); what it did not read is noted, never judged."""

from __future__ import annotations

import pytest

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources.client import PAGE_SIZE, DdmClient
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.preflight import LOOKUP_PAGES, SOURCE_NODES_CHECKED, preflight
from tests.conftest import DATA_NODE, SOURCE, TARGET, TOKEN
from tests.restore_targets import add_source_data_nodes


def run(emulator, **source) -> tuple[list, list[str], int]:
    inputs = MetadataRecoveryInputs.model_validate({
        "source_instance_id": SOURCE, "source": source or {"restore_time": int(emulator.backend.now() - 3600) * 1000},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}})
    notes: list[str] = []
    before = len(emulator.backend.requests())
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        problems = preflight(client, inputs, note=notes.append)
    return problems, notes, len(emulator.backend.requests()) - before


@pytest.mark.parametrize("nodes", [1, 20, 256])
def test_the_requests_do_not_grow_with_the_source_nodes(emulator, nodes):
    add_source_data_nodes(emulator.backend, nodes)
    problems, _, sent = run(emulator)
    assert problems == []
    # restorable-instances, restorable-time-interval, related-dn (256 nodes: 2 pages), restorable-data-node of
    # the first source node (which offers the target's node, so no other is read), whatever the node count
    assert sent <= 6


def test_long_lists_are_cut_and_what_is_not_read_is_noted_not_judged(emulator):
    add_source_data_nodes(emulator.backend, 256)
    for index in range(LOOKUP_PAGES * PAGE_SIZE + 10):  # restorable-instances longer than what is read
        emulator.backend.add_instance(DEMO_PROJECT_ID, instance_id=f"{index:032x}in09")
    emulator.backend.data_nodes[DATA_NODE].name = "zz-last"  # offered last of many: maybe past a cut
    problems, notes, sent = run(emulator)
    assert sent <= 3 * LOOKUP_PAGES + SOURCE_NODES_CHECKED * LOOKUP_PAGES
    assert problems == [] or all(p.property != "target.instance_id" for p in problems)
    assert any("restorable-instances lists (at most 4 pages)" in note for note in notes), notes
