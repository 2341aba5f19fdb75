"""`api_time`: the service's times and durations. `parse_duration` reads Go-style durations
(`90s`, `1h30m`, `1.5h`, `250ms`) in seconds, with the ASCII digits 0-9 only, and refuses what is
no positive duration (`ddm:adoptWindow` and `timeouts.create` are read with it).
"""

from __future__ import annotations

import pytest

from ddm_resources.api_time import parse_duration


@pytest.mark.parametrize(
    "text, seconds", [("90s", 90), ("60m", 3600), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25)])
def test_parse_duration_reads_go_style_durations_in_seconds(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "0s", "1d", "m", "1h 30m"])
def test_parse_duration_refuses_what_is_no_positive_go_duration(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["١h", "٣h", "１h", "1.٥h", "٩٠s"])
def test_parse_duration_refuses_non_ascii_digits(text):
    with pytest.raises(ValueError, match="with the digits 0-9"):
        parse_duration(text)
