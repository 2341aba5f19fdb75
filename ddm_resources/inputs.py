"""The inputs of a `MetadataRecovery` resource: the rules `check` applies, and the form `diff` compares.

Inputs use the API's argument names: `source_instance_id`, `source.backup_id`,
`source.restore_time` (epoch milliseconds, UTC), `target.instance_id`, `target.data_nodes`,
plus a Terraform-style `timeouts.create` (a Go duration such as `"60m"` or `"1h30m"`) and
`adopt_job_id` (wait on an existing job instead of submitting); neither forces replacement.

During `pulumi preview` an input may be unknown: the engine sends the sentinel string
`pulumi.runtime.rpc.UNKNOWN` in its place, also inside lists, and the provider process
hands it to `check`/`diff` as a `pulumi.output.Unknown` object (the plain string is
accepted too). A rule that depends on an unknown value is skipped; the others still run.

The rules below are the only judge of user values. `check_inputs` runs them all (no network)
and reports every problem at once, one `InputProblem` per property, each naming the property
and the fix. Only when they all pass is `MetadataRecoveryInputs` (`ddm_resources.input_model`)
built, which then cannot fail.

* known keys only, and `source_instance_id`, `source` and `target` are required;
* exactly one of `source.backup_id` and `source.restore_time`;
* `source.restore_time` is epoch milliseconds, UTC; an ISO 8601 / RFC 3339 string with a UTC
  offset or an aware `datetime` is accepted and carried on as int ms
  (`ddm_resources.restore_time` parses and judges it); `"latest"` (any case) stays `"latest"`
  and is resolved at create;
* `target.data_nodes`: a non-empty list, no duplicates, no blank entries;
* IDs (`source_instance_id`, `source.backup_id`, `target.instance_id`, each data node)
  follow the **ID rule** (`ddm_resources.ids`): 32 lowercase hexadecimal characters and a
  4-character type suffix of two lowercase letters and two digits, as in
  `1f5c9fd6cd984056ba89c8c87cc03278in09` (DDM instance), `...br09` (backup) and `...in01`
  (RDS instance). Any such suffix is accepted. Empty values, whitespace, quotes, upper case,
  names such as `ddm-prod` and truncated IDs are rejected;
* `target.instance_id` differs from `source_instance_id`;
* `timeouts.create` is a duration longer than zero; `adopt_job_id` is a DDM job ID;
* `verify` is true or false; `max_restore_age` is a duration longer than zero.

Every rule runs in time linear in the size of its value, and a message quotes at most a short
prefix of a bad value. What only the service knows (is the target empty, is the time
restorable, does the backup exist, are the nodes usable) is checked by `ddm_resources.preflight`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from .api_time import parse_duration
from .fields import FORCE_NEW_INPUTS, REQUIRED, allowed_keys, hint
from .ids import EXAMPLES, ID_PATTERN, JOB_ID_PATTERN, id_problem
from .input_model import LATEST, LONGEST_CREATE_TIMEOUT, MetadataRecoveryInputs
from .models import source_choice_problem
from .restore_time import parse_restore_time, restore_time_problem
from .wording import LONGEST_QUOTED, shown

__all__ = [
    "CheckedInputs",
    "FORCE_NEW_INPUTS",
    "ID_PATTERN",
    "InputProblem",
    "JOB_ID_PATTERN",
    "MAX_PROBLEMS",
    "canonical",
    "check_inputs",
    "contains_unknown",
    "id_problem",
    "is_unknown",
    "limit_problems",
    "validate_inputs",
]

MAX_PROBLEMS = 20
"""At most this many problems are reported; the last one then says how many more there are."""


@dataclass(frozen=True)
class InputProblem:
    """One bad input: the property path (e.g. `target.data_nodes`) and what to do about it."""

    property: str
    reason: str


@dataclass(frozen=True)
class CheckedInputs:
    """The outcome of `check_inputs`.

    * **props** - the inputs normalised (`source.restore_time` as int epoch ms when it
      parsed), unknown values left in place; what `check` hands back to the engine.
    * **problems** - one `InputProblem` per bad property; empty when all is well.
    * **inputs** - the parsed inputs when every value is known and there is no problem,
      else `None` (preflight runs only then).
    """

    props: dict[str, Any]
    problems: list[InputProblem] = field(default_factory=list)
    inputs: MetadataRecoveryInputs | None = None


def check_inputs(props: dict[str, Any], *, clock: Callable[[], float] = time.time) -> CheckedInputs:
    """Validate and normalise resource inputs offline, tolerating unknown values.

    `clock` gives the current time in epoch seconds (tests inject one); it decides what
    "in the future" means for `source.restore_time`. All problems are reported at once;
    problems that involve an unknown value are not reported. Raises nothing.
    """
    rules = _Rules(int(clock() * 1000))
    out = rules.inputs(props)
    problems = limit_problems(rules.problems, rules.more)
    if problems or contains_unknown(out):
        return CheckedInputs(out, problems, None)
    return CheckedInputs(out, [], MetadataRecoveryInputs.model_validate(out))


def limit_problems(problems: list[InputProblem], more: int = 0) -> list[InputProblem]:
    """At most `MAX_PROBLEMS` problems: past that, the first ones and a line counting the rest
    (`more` counts problems already dropped). A 2,500-node list must not print 2,500 errors."""
    rest = len(problems) + more - (MAX_PROBLEMS - 1)
    if rest <= 1:
        return problems
    return [*problems[:MAX_PROBLEMS - 1], InputProblem("", f"... and {rest} more problems of the same kinds")]


def validate_inputs(
    props: dict[str, Any], *, clock: Callable[[], float] = time.time
) -> tuple[MetadataRecoveryInputs | None, list[InputProblem]]:
    """`check_inputs` as a pair: the parsed inputs (or `None`) and the problems."""
    checked = check_inputs(props, clock=clock)
    return checked.inputs, checked.problems


class _Rules:
    """One run of the rules over a property bag; `problems` collects what they find."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms
        self.problems: list[InputProblem] = []
        self.more = 0
        """Problems found beyond the first `MAX_PROBLEMS`: counted, not kept."""

    def report(self, path: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(InputProblem(path, reason))
        else:
            self.more += 1

    def inputs(self, props: dict[str, Any]) -> dict[str, Any]:
        """Check every input; return them with `source.restore_time` as int ms when it is good."""
        out = dict(props)
        present = self.keys("", props, required=REQUIRED[""])
        source_instance_id = props.get("source_instance_id")
        if "source_instance_id" in present:
            self.id("source_instance_id", source_instance_id, "DDM instance")
        if "source" in present:
            out["source"] = self.source(props["source"])
        if "target" in present:
            self.target(props["target"], source_instance_id)
        if "timeouts" in present:
            self.timeouts(props["timeouts"])
        if "adopt_job_id" in present:
            self.job_id("adopt_job_id", props["adopt_job_id"])
        if "verify" in present and not is_unknown(props["verify"]) and not isinstance(props["verify"], bool):
            self.report("verify", f"verify must be true or false, not {_kind(props['verify'])}")
        if "max_restore_age" in present:
            self.max_restore_age(props["max_restore_age"])
        if "resource_name" in present and not isinstance(props["resource_name"], str):
            out.pop("resource_name")  # set by MetadataRecovery, only for messages: never a reason to fail
        return out

    def keys(self, where: str, value: dict[str, Any], required: tuple[str, ...]) -> set[str]:
        """Report unknown and missing keys of the object at `where`; return the keys set (not `None`)."""
        allowed = allowed_keys(where)
        for key in value:
            if key not in allowed:
                path = (f"{where}.{key}" if where else str(key))[:60]
                self.report(path, f"{path} is not a known input; check the spelling "
                                  f"(allowed here: {', '.join(allowed)})")
        for key in required:
            if value.get(key) is None:
                path = f"{where}.{key}" if where else key
                self.report(path, f"{path} is required: set it to {hint(path)}")
        return {key for key in allowed if value.get(key) is not None}

    def object(self, path: str, value: Any) -> bool:
        """True when `value` is an object to look into; reports it at `path` when it is no object."""
        if is_unknown(value):
            return False
        if not isinstance(value, dict):
            self.report(path, f"{path} must be {hint(path)}, not {_kind(value)}")
            return False
        return True

    def id(self, path: str, value: Any, kind: str) -> bool:
        """Report `value` at `path` unless it follows the ID rule; True when it does (or is unknown)."""
        if is_unknown(value):
            return True
        problem = id_problem(value, kind)
        if problem is not None:
            self.report(path, f"{path} {problem}")
        return problem is None

    def job_id(self, path: str, value: Any) -> None:
        if is_unknown(value):
            return
        if not isinstance(value, str) or not JOB_ID_PATTERN.fullmatch(value):
            self.report(path, f"{path} must be the ID of a DDM job, 32 hexadecimal characters or a UUID, "
                              f"such as 09902ee7866649b8908ec209bfee2747 (the job_id of the restore to adopt); "
                              f"got {shown(value)}")

    def source(self, source: Any) -> Any:
        """Check `source`; return it with `restore_time` as int epoch ms when that is good."""
        if not self.object("source", source):
            return source
        self.keys("source", source, required=REQUIRED["source"])
        backup_id, restore_time = source.get("backup_id"), source.get("restore_time")
        if not (is_unknown(backup_id) or is_unknown(restore_time)):
            problem = source_choice_problem(backup_id is not None, restore_time is not None)
            if problem is not None:
                self.report("source", f"source: {problem}")
        if backup_id is not None:
            self.id("source.backup_id", backup_id, "backup")
        if restore_time is None or is_unknown(restore_time):
            return source
        if isinstance(restore_time, str) and restore_time.strip().lower() == LATEST:
            return {**source, "restore_time": LATEST}
        try:
            parsed = parse_restore_time(restore_time)
        except ValueError as exc:
            self.report("source.restore_time", f"source.restore_time: {exc}")
            return source
        problem = restore_time_problem(parsed, self.now_ms)
        if problem is not None:
            self.report("source.restore_time", f"source.restore_time: {problem}")
            return source
        return {**source, "restore_time": parsed.ms}

    def target(self, target: Any, source_instance_id: Any) -> None:
        """`target.instance_id`: an ID, not the source; `target.data_nodes`: a non-empty list of
        distinct IDs, no blank entries."""
        if not self.object("target", target):
            return
        present = self.keys("target", target, required=REQUIRED["target"])
        instance_id = target.get("instance_id")
        if ("instance_id" in present and self.id("target.instance_id", instance_id, "DDM instance")
                and not is_unknown(instance_id) and instance_id == source_instance_id):
            self.report("target.instance_id", "target.instance_id is the same as source_instance_id: restore onto "
                                              "a new, empty DDM instance, not onto the source")
        if "data_nodes" in present:
            self.data_nodes(target["data_nodes"])

    def data_nodes(self, nodes: Any) -> None:
        path = "target.data_nodes"
        if is_unknown(nodes):
            return
        if isinstance(nodes, str):
            fix = f'write ["{nodes}"]' if len(nodes) <= LONGEST_QUOTED else 'write ["<ID>", ...]'
            self.report(path, f"{path} must be a list of RDS instance IDs, not a single string: {fix}")
            return
        if not isinstance(nodes, (list, tuple)):
            self.report(path, f"{path} must be a list of the IDs of the RDS instances already restored (PITR) "
                              f"for the target, e.g. [\"{EXAMPLES['RDS instance']}\"]")
            return
        if not nodes:
            self.report(path, f"{path} is empty: list at least one data node, the IDs of the RDS instances "
                              "already restored (PITR) for the target")
            return
        seen: dict[str, int] = {}
        for index, node in enumerate(nodes):
            at = f"{path}[{index}]"
            if is_unknown(node):
                continue
            if isinstance(node, str) and node.strip() == "":
                self.report(at, f"{at} is blank: remove the empty entry from {path}")
            elif not self.id(at, node, "RDS instance"):
                continue
            elif node in seen:
                self.report(at, f"{at}: {node} is listed twice (also at {path}[{seen[node]}]); "
                                "list each data node once")
            else:
                seen[node] = index

    def timeouts(self, timeouts: Any) -> None:
        if not self.object("timeouts", timeouts):
            return
        self.keys("timeouts", timeouts, required=REQUIRED["timeouts"])
        create = timeouts.get("create")
        if create is None or is_unknown(create):
            return
        if not isinstance(create, str):
            self.report("timeouts.create", f'timeouts.create must be a duration such as "60m", not {_kind(create)}')
            return
        try:
            seconds = parse_duration(create)
        except ValueError as exc:
            self.report("timeouts.create", f"timeouts.create: {exc}")
            return
        if seconds < 1:
            self.report("timeouts.create", f"timeouts.create: {shown(create)} is shorter than a second, too short "
                                           "to send a restore and see its job; a restore takes minutes to hours, "
                                           'e.g. "2h"')
        if seconds > LONGEST_CREATE_TIMEOUT:
            self.report("timeouts.create", f"timeouts.create: {shown(create)} is longer than 7 days (168h), the "
                                           'longest wait allowed; a restore takes minutes to hours, e.g. "2h"')


    def max_restore_age(self, value: Any) -> None:
        """`max_restore_age`: a duration longer than zero (judged against the restore point by `rpo`)."""
        if is_unknown(value):
            return
        if not isinstance(value, str):
            self.report("max_restore_age", f'max_restore_age must be a duration such as "24h", not {_kind(value)}')
            return
        try:
            parse_duration(value)
        except ValueError as exc:
            self.report("max_restore_age", f"max_restore_age: {exc}")


def _kind(value: Any) -> str:
    """`a list`, `a number`...: what a value of the wrong type is, for a message."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"the string {shown(value)}"
    return "nothing" if value is None else f"a {type(value).__name__}"


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def contains_unknown(value: Any) -> bool:
    """True when `value` is, or holds anywhere inside, an unknown value."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def canonical(key: str, value: Any) -> Any:
    """A comparable form of one input, so `diff` ignores representation-only differences.

    Numbers that arrive as floats (`1716180000000.0`) equal ints, `source.restore_time`
    written as an ISO 8601 string equals the same instant in epoch ms, and absent optional
    fields equal `None` (no `timeouts` equals `{}`). The order of `target.data_nodes` does not
    matter. Any value is accepted (state edited by hand included); raises nothing.
    """
    if key == "timeouts" and value is None:
        value = {}
    if not isinstance(value, dict):
        return value
    data = {k: v for k, v in value.items() if v is not None}
    if key == "source" and "restore_time" in data:
        try:
            data["restore_time"] = parse_restore_time(data["restore_time"]).ms
        except ValueError:
            pass
    nodes = data.get("data_nodes")
    if key == "target" and isinstance(nodes, (list, tuple)) and all(isinstance(n, str) for n in nodes):
        data["data_nodes"] = sorted(nodes)
    return data
