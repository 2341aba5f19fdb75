"""More restore targets in an emulator, for tests and benchmarks that run many restores at once;
and a frozen emulator (override fixtures, imported by such tests) in which no job ends until
the test advances its clock."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ddm_emulator import DdmBackend, EmulatorSettings, ManualClock
from tests.conftest import DATA_NODE, PROJECT_ID, SOURCE, TARGET


@dataclass(frozen=True)
class RestoreTarget:
    """An empty target DDM instance and the PITR-restored RDS instance meant for it."""

    instance_id: str
    data_node: str


def add_restore_targets(backend: DdmBackend, count: int) -> list[RestoreTarget]:
    """`count` new targets, each a copy of the seeded target and its data node (same network)."""
    model = backend.find_instance(TARGET)
    node = backend.data_nodes[DATA_NODE]
    assert model is not None
    targets = []
    for index in range(count):
        instance = backend.add_instance(
            PROJECT_ID, name=f"ddm-target-{index}", created=model.created,
            restorable_since=model.restorable_since, vpc_id=model.vpc_id, vpc_name=model.vpc_name,
            subnet_id=model.subnet_id, security_group_id=model.security_group_id)
        data_node = backend.add_data_node(
            PROJECT_ID, name=f"rds-restored-{index}", restorable_since=node.restorable_since,
            vpc_id=node.vpc_id, vpc_name=node.vpc_name, subnet_id=node.subnet_id)
        targets.append(RestoreTarget(instance.id, data_node.id))
    return targets


FROZEN_JOB_SECONDS = 60.0
"""Length of every job in a frozen emulator: advance the clock by more to end them all."""


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    """Jobs of `FROZEN_JOB_SECONDS`, and a job list that takes an `end_time` past the emulator's now.

    The provider's client learns the service's clock from `Date` and moves it on with its own
    (`DdmClient.list_jobs`). A real service's clock moves too; this frozen one does not, so the time
    a create spends between an answer and its next job list puts that list's end as far in the
    emulator's future, which the strict default refuses (DBS.300377) once it is more than the
    emulator's fraction of a second: on a loaded machine creates failed so. No real service's
    clock stands still, so this emulator accepts such lists."""
    return EmulatorSettings(job_seconds=FROZEN_JOB_SECONDS, job_list_refuses_future_end=False)


@pytest.fixture
def emulator_clock() -> ManualClock:
    """Emulated time moves only when the test advances it."""
    return ManualClock()


def add_source_data_nodes(backend: DdmBackend, count: int) -> list[str]:
    """Give the seeded source `count` data nodes in all (copies of its first: same network and
    restorable window); returns their IDs, the first one first."""
    source = backend.find_instance(SOURCE)
    assert source is not None
    model = backend.data_nodes[source.data_node_ids[0]]
    for index in range(len(source.data_node_ids), count):
        node = backend.add_data_node(PROJECT_ID, name=f"rds-source-{index}", restorable_since=model.restorable_since,
                                     vpc_id=model.vpc_id, vpc_name=model.vpc_name, subnet_id=model.subnet_id)
        source.data_node_ids.append(node.id)
    return list(source.data_node_ids)


def add_target_data_nodes(backend: DdmBackend, count: int) -> list[str]:
    """`count` RDS instances restored for the seeded target in all (the seeded one and copies of it):
    the `target.data_nodes` of a source with `count` data nodes."""
    model = backend.data_nodes[DATA_NODE]
    extra = [backend.add_data_node(PROJECT_ID, name=f"rds-restored-{index}", restorable_since=model.restorable_since,
                                   vpc_id=model.vpc_id, vpc_name=model.vpc_name, subnet_id=model.subnet_id).id
             for index in range(1, count)]
    return [DATA_NODE, *extra]
