"""A page that contradicts `total` fails closed, as an unreadable list does (issue 19 item 16): a
one-item page echoing `limit` 128 while `total` said a million more exist ended the list, and the
restore went ahead on a list cut short."""

from __future__ import annotations

import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.client import PAGE_SIZE, DdmClient
from ddm_resources.errors import DdmError
from tests.conftest import SOURCE, TARGET, TOKEN


def one_item_page(total: int, limit: int = PAGE_SIZE) -> dict:
    return {"instances": [{"instance_id": TARGET, "instance_name": "t", "available": True}],
            "offset": 0, "limit": limit, "total": total}


def test_a_short_page_while_total_says_more_exist_fails_closed(emulator):
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200,
                                     body=one_item_page(1_000_001)))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client, pytest.raises(DdmError) as info:
        client.restorable_instances(SOURCE)
    assert "a page of 1 items, shorter than the limit asked, ends the list at 1 items, but the service claims " \
           "1000001" in str(info.value)
    assert len(emulator.backend.requests(path_contains="restorable-instances")) == 1


@pytest.mark.parametrize("total", [0, 1])
def test_a_short_last_page_that_agrees_with_total_ends_the_list(emulator, total):
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200,
                                     body=one_item_page(total)))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        assert [i.instance_id for i in client.restorable_instances(SOURCE)] == [TARGET]
