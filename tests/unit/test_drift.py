"""`drift`: what `pulumi refresh` finds of the target after a completed restore (issue 22 item 2):
`target_status` (deleted, schemas missing, another status) with a warning line, the restore kept
and no new restore forced; a target that cannot be read keeps the recorded status. Through the
provider, in process (the emulator's switches; fixtures of tests/unit/test_verification.py).
"""

from __future__ import annotations

import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from tests.conftest import TARGET
from tests.unit import test_verification
from tests.unit.test_verification import GOOD

backend = test_verification.backend  # the fixtures of tests/unit/test_verification.py
provider = test_verification.provider


@pytest.mark.parametrize("answer", ["404 DBS.300350", "404 DBS.200002", "200 DELETED"])
def test_refresh_finds_the_target_deleted_and_keeps_the_restore(provider, backend, answer, capsys):
    created = provider.create(GOOD)
    backend.configure(deleted_instance_answer=answer)
    backend.delete_instance(TARGET)
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs == {**created.outs, "target_status": "DELETED"}
    assert f"warning: target instance {TARGET} is deleted" in capsys.readouterr().out


def test_refresh_finds_a_missing_schema_and_a_status(provider, backend):
    created = provider.create(GOOD)
    backend.drop_schema(TARGET, "orders")
    assert provider.read(created.id, created.outs).outs["target_status"] == "SCHEMAS_MISSING"
    with backend.state():
        backend.instances[TARGET].state = "ERROR"
    assert provider.read(created.id, created.outs).outs["target_status"] == "ERROR"


def test_a_refreshed_deleted_target_forces_no_new_restore(provider, backend):
    created = provider.create(GOOD)
    backend.delete_instance(TARGET)
    refreshed = provider.read(created.id, created.outs).outs
    diff = provider.diff(created.id, refreshed, GOOD)
    assert diff.changes is False and not diff.replaces


def test_a_refresh_that_cannot_read_the_target_keeps_target_status(provider, backend, capsys):
    created = provider.create(GOOD)
    backend.add_fault(Fault("GET", rf"/v1/{DEMO_PROJECT_ID}/instances/{TARGET}$", "respond", status=400))
    assert provider.read(created.id, created.outs).outs == created.outs
    assert "refresh could not check target instance" in capsys.readouterr().out
