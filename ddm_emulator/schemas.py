"""
Schemas and their shards: how they are laid out on data nodes and what a restore brings to its target.

Pure functions over `FakeSchema`s, no state and no HTTP. A schema in `cluster`
mode has `shard_unit` shards on each of its data nodes, named like the docs'
example (`orders_0000`, `orders_0001`, ...; docs/ddm-api.md section 9); one in
`single` mode has one shard. A metadata restore (section 9) brings the
source's schemas *at the restore point* to the target: those of the backup for
a `backup_id`, or for a `restore_time` the source's schemas created by then
(the emulator keeps no history of dropped schemas). Each shard moves from the
source's data node to the target data node given in the same position of the
restore's `target.data_nodes`, as DDM matches the chosen nodes against the
backup's shard information. Two switches break that on purpose (`drop` leaves
a schema out, `misplace` leaves a schema's first shard on the source's node,
outside the target), so a client's verification can be tested.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence

from .models import FakeSchema, FakeShard

__all__ = ["SHARD_MODES", "layout", "pick", "placed", "restored_schemas", "schemas_at"]

SHARD_MODES: tuple[str, ...] = ("cluster", "single")


def layout(
    name: str,
    data_node_ids: Sequence[str],
    *,
    shard_mode: str = "cluster",
    shard_unit: int = 2,
    created: float = 0.0,
    status: str = "RUNNING",
) -> FakeSchema:
    """A schema spread over `data_node_ids`: `shard_unit` shards on each (`cluster`), or one shard
    on the first (`single`); `ValueError` for an unknown mode, no data node or `shard_unit` < 1."""
    if shard_mode not in SHARD_MODES:
        raise ValueError(f"shard_mode must be one of {', '.join(SHARD_MODES)}")
    if not data_node_ids:
        raise ValueError("a schema needs at least one data node for its shards")
    if shard_unit < 1:
        raise ValueError("shard_unit must be >= 1")
    if shard_mode == "single":
        return placed(name, [data_node_ids[0]], shard_mode="single", shard_unit=1, created=created, status=status)
    nodes = [node for node in data_node_ids for _ in range(shard_unit)]
    return placed(name, nodes, shard_mode="cluster", shard_unit=shard_unit, created=created, status=status)


def placed(
    name: str,
    shard_nodes: Sequence[str],
    *,
    shard_mode: str = "cluster",
    shard_unit: int = 1,
    created: float = 0.0,
    status: str = "RUNNING",
) -> FakeSchema:
    """A schema whose shard `i` sits on `shard_nodes[i]`."""
    shards = [FakeShard(node, index, f"{name}_{index:04d}", status) for index, node in enumerate(shard_nodes)]
    return FakeSchema(name, shards, shard_mode, shard_unit, status, created)


def schemas_at(schemas: Iterable[FakeSchema], point: float) -> list[FakeSchema]:
    """Copies of the schemas that existed at `point` (created at or before it), epoch seconds."""
    return [copy.deepcopy(schema) for schema in schemas if schema.created <= point]


def pick(schemas: Sequence[FakeSchema], choice: str) -> FakeSchema | None:
    """The schema a switch names: `""` none, `*` the first by name, else that name (case-insensitive)."""
    if not choice or not schemas:
        return None
    if choice == "*":
        return min(schemas, key=lambda s: s.name)
    return next((s for s in schemas if s.name.lower() == choice.lower()), None)


def restored_schemas(
    schemas: Iterable[FakeSchema],
    source_nodes: Sequence[str],
    target_nodes: Sequence[str],
    *,
    drop: str = "",
    misplace: str = "",
) -> list[FakeSchema]:
    """What a completed restore leaves on the target: copies of `schemas` with each shard moved from
    `source_nodes[i]` to `target_nodes[i]` (a shard on another node stays where it was), minus the
    schema `drop` names, and with the first shard of the schema `misplace` names left on its source node."""
    moves = dict(zip(source_nodes, target_nodes, strict=False))  # counts differ in a job that fails
    restored = [copy.deepcopy(schema) for schema in schemas]
    dropped = pick(restored, drop)
    restored = [schema for schema in restored if schema is not dropped]
    kept_in_place = pick(restored, misplace)
    for schema in restored:
        for shard in schema.shards:
            if schema is kept_in_place and shard.shard_index == schema.shards[0].shard_index:
                continue
            shard.data_node_id = moves.get(shard.data_node_id, shard.data_node_id)
    return restored
