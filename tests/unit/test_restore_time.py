"""`restore_time`: parses and judges `source.restore_time`: epoch milliseconds (UTC) or an ISO
8601 time, in the ASCII digits 0-9 only, returned as milliseconds with the form written (the form
decides whether a small number reads as seconds pasted by mistake); a number beyond a float's
range or NaN is named as such, with an example. (The offline rules as `check` applies them:
tests/unit/test_inputs.py.)
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ddm_resources.inputs import check_inputs
from ddm_resources.restore_time import RestoreTime, parse_restore_time, restore_time_problem
from tests.unit.test_inputs import problems, with_
from tests.unit.test_restore import INPUTS


@pytest.mark.parametrize(
    "written, ms, form",
    [
        (1716180000000, 1716180000000, "number"),
        (1716180000000.0, 1716180000000, "number"),
        (" 1716180000000 ", 1716180000000, "number"),
        ("2024-05-20T06:40:00+02:00", 1716180000000, "datetime"),
        (datetime(2024, 5, 20, 4, 40, tzinfo=timezone.utc), 1716180000000, "datetime"),
    ],
)
def test_parse_restore_time_returns_ms_and_the_form_written(written, ms, form):
    assert parse_restore_time(written) == RestoreTime(ms, form)


def test_the_form_decides_whether_a_small_time_reads_as_seconds():
    # 1970-01-21 is 1728000000 ms: written as a number it is seconds pasted; written as a date it is a date
    as_number = parse_restore_time(1728000000)
    as_date = parse_restore_time("1970-01-21T00:00:00Z")
    assert as_number.ms == as_date.ms
    assert "looks like epoch seconds" in restore_time_problem(as_number, 1716200000000)
    assert restore_time_problem(as_date, 1716200000000) is None
    assert problems(with_(source={"restore_time": "1970-01-21T00:00:00Z"})) == {}
    assert "looks like epoch seconds" in problems(with_(source={"restore_time": "1728000000"}))["source.restore_time"]


@pytest.mark.parametrize("text", ["١٧١٦٢٠٠٠٠٠٠٠٠", "１７１６２０００００００００", "+١٧١٦٢٠٠٠٠٠٠٠٠", "١٧١٦٢٠٠٠٠٠٠٠٠.٠"])
def test_parse_restore_time_refuses_non_ascii_digits(text):
    with pytest.raises(ValueError, match="digits other than 0-9"):
        parse_restore_time(text)


# a restore_time beyond the range of a float --------------------------------------------------------------------


@pytest.mark.parametrize("value, sign", [(1e400, ""), (-1e400, "minus ")])
def test_a_restore_time_beyond_a_float_is_out_of_range(value, sign):
    (problem,) = check_inputs({**INPUTS, "source": {"restore_time": value}}).problems
    assert (problem.property, problem.reason) == ("source.restore_time", (
        f"source.restore_time: the number is out of range (too large to be read: it reads as {sign}infinity); "
        "source.restore_time is epoch milliseconds, UTC, such as 1716180000000 (2024-05-20T04:40:00Z)"))


def test_nan_is_not_a_number():
    (problem,) = check_inputs({**INPUTS, "source": {"restore_time": float("nan")}}).problems
    assert problem.reason.startswith("source.restore_time: NaN is not a number; write epoch milliseconds")
