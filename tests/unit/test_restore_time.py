"""`restore_time`: parses and judges `source.restore_time` (epoch milliseconds, UTC, or an ISO
8601 time, or "latest"); a number beyond a float's range or NaN is named as such, with an example.
(The offline rules as `check` applies them: tests/unit/test_inputs.py.)
"""

from __future__ import annotations

import pytest

from ddm_resources.inputs import check_inputs
from tests.unit.test_restore import INPUTS


@pytest.mark.parametrize("value, sign", [(1e400, ""), (-1e400, "minus ")])
def test_a_restore_time_beyond_a_float_is_out_of_range(value, sign):
    (problem,) = check_inputs({**INPUTS, "source": {"restore_time": value}}).problems
    assert (problem.property, problem.reason) == ("source.restore_time", (
        f"source.restore_time: the number is out of range (too large to be read: it reads as {sign}infinity); "
        "source.restore_time is epoch milliseconds, UTC, such as 1716180000000 (2024-05-20T04:40:00Z)"))


def test_nan_is_not_a_number():
    (problem,) = check_inputs({**INPUTS, "source": {"restore_time": float("nan")}}).problems
    assert problem.reason.startswith("source.restore_time: NaN is not a number; write epoch milliseconds")
