"""The provider process's Diff and Update over gRPC: a replacement when the source or the target
changes and for nothing else (a code upgrade, `timeouts`), and an update keeps the outputs and
takes the new `timeouts`.
"""

from __future__ import annotations

import base64

import dill
import pytest
from pulumi.runtime.proto import provider_pb2

from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import TARGET, valid_inputs
from tests.grpc.conftest import PROVIDER

pytestmark = pytest.mark.grpc


INPUTS = valid_inputs()


def test_diff_replaces_only_on_source_or_target_changes(provider):
    olds = {**INPUTS, "job_id": "j", "status": "Completed"}
    same = provider.diff("j", olds, INPUTS)
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    other_pickle = base64.b64encode(dill.dumps(MetadataRecoveryProvider(), protocol=2)).decode()
    assert other_pickle != PROVIDER
    upgraded = provider.diff("j", olds, INPUTS, provider=other_pickle)
    assert upgraded.changes == provider_pb2.DiffResponse.DIFF_NONE
    new_backup = provider.diff("j", olds, {**INPUTS, "source": {"backup_id": "0" * 32 + "br09"}})
    assert (new_backup.changes, list(new_backup.replaces)) == (provider_pb2.DiffResponse.DIFF_SOME, ["source"])
    new_source = provider.diff("j", olds, {**INPUTS, "source_instance_id": "1" * 32 + "in09"})
    assert list(new_source.replaces) == ["source_instance_id"]
    reordered = provider.diff("j", {**olds, "target": {"instance_id": TARGET, "data_nodes": ["b", "a"]}},
                              {**INPUTS, "target": {"instance_id": TARGET, "data_nodes": ["a", "b"]}})
    assert reordered.changes == provider_pb2.DiffResponse.DIFF_NONE
    timeouts = provider.diff("j", olds, {**INPUTS, "timeouts": {"create": "2h"}})
    assert (timeouts.changes, list(timeouts.replaces)) == (provider_pb2.DiffResponse.DIFF_SOME, [])


def test_update_keeps_outputs_and_takes_new_timeouts(provider, emulator):
    olds = {**INPUTS, "job_id": "j", "status": "Completed", "created_time": "c", "end_time": "e"}
    outs = provider.update("j", olds, {**INPUTS, "timeouts": {"create": "2h"}})
    assert outs == {**olds, "timeouts": {"create": "2h"}, "__provider": outs["__provider"]}
    assert emulator.backend.requests() == []
