"""`poll_plan`, as tables: reading `process`, the completion window, and the next delay (within the
time left, within its bounds whatever the observations)."""

from __future__ import annotations

import math

import pytest

from ddm_resources.poll_plan import Observation, PollPlan, completion_window, next_delay, parse_progress


def obs(*pairs: tuple[float, float | None]) -> list[Observation]:
    return [Observation(t, f) for t, f in pairs]


@pytest.mark.parametrize("process, fraction", [
    ("60%", 0.6), ("0%", 0.0), ("100%", 1.0), (" 7 % ", 0.07), ("42", 0.42), ("12.5%", 0.125),
    ("", None), (None, None), ("abc", None), ("-5%", None), ("101%", None), ("nan%", None), ("inf", None),
])
def test_parse_progress_reads_a_percentage_or_nothing(process, fraction):
    assert parse_progress(process) == fraction


@pytest.mark.parametrize("observations, window", [
    # smooth 1 % steps: 40 % after 120 s and 41 % after 123 s -> the job is 293-300 s long
    (obs((3, 0.01), (120, 0.40)), (120 / 0.41, 300.0)),
    # 20 % and 40 % could be 10 % steps: read with the coarsest step they are multiples of
    (obs((60, 0.20), (120, 0.40)), (120 / 0.5, 300.0)),
    (obs((60, 0.20), (120, 0.40), (150, 0.51)), (120 / 0.41, 150 / 0.51)),  # 51 %: 1 % steps after all
    # quarters: read as quarters (1 % steps fit 25 % at 80 s and 50 % at 160 s too, and would be wrong)
    (obs((80, 0.25), (140, 0.25)), (140 / 0.5, 320.0)),
    (obs((80, 0.25), (160, 0.50)), (160 / 0.75, 320.0)),
    # a lone 50 % is read as quarters, not halves (which would put the earliest end at 160 s)
    (obs((0, 0.0), (160, 0.50)), (160 / 0.75, 320.0)),
    # 5 % at once (the service counts the accepted job as done work), then linear: 1 % steps
    # cannot explain 5 % at 0 s, so the readings count from that 5 %: 52 % is 47/95 of the rest
    (obs((0, 0.05), (150, 0.52)), (150 / (0.47 / 0.95 + 0.01), 150 / (0.47 / 0.95))),
    # ... but 5 % for 100 s and then 95 % fits neither reading: no window (the fallback applies)
    (obs((0, 0.05), (100, 0.05), (130, 0.95)), None),
    # no progress above 0, or none at all: no window
    (obs((0, 0.0), (10, 0.0)), None),
    (obs((5, None), (10, None)), None),
    # 5 % from the start and still 5 % much later fits no step
    (obs((1, 0.05), (200, 0.05)), None),
    # progress went backwards (the job started over after the poll at 100 s): only the
    # observations since then count, timed from 100 s; 2 % at +10 s and 40 % at +100 s fit 5 % steps
    (obs((100, 0.50), (110, 0.02), (200, 0.40)), (100 + 100 / 0.45, 100 + 100 / 0.40)),
])
def test_completion_window_bounds_the_job_length_from_the_observations(observations, window):
    found = completion_window(observations)
    if window is None:
        assert found is None
    else:
        assert found == pytest.approx(window)


PLAN = PollPlan(min_interval=2, max_interval=300, fallback_interval=60, growth=1.0, density=0.02, dense_max=6,
                bisect=2, jitter=0.1)
EARLIEST = 120 / 0.41  # the earliest end after 1 % at 3 s and 40 % at 120 s


@pytest.mark.parametrize("observations, elapsed, polls, time_left, rand, delay", [
    ([], 0.0, 0, 3600, 0.5, 0.0),                                       # the first poll at once
    ([], 0.5, 1, 3600, 0.0, 2.0),                                       # it failed: the minimum, not a busy loop
    (obs((0, 0.0)), 0.0, 1, 3600, 0.0, 2.0),                            # no progress yet: the minimum
    (obs((0, 0.0), (2, 0.0), (4, 0.0)), 4.0, 3, 3600, 0.0, 4.0),        # flat: grows with the time waited
    (obs((0, None), (100, None)), 100.0, 2, 3600, 0.0, 60.0),           # absent: up to the fallback bound
    (obs((3, 0.01), (120, 0.40)), 120.0, 2, 3600, 0.0, EARLIEST + 6 - 120),  # one dense interval after the earliest end
    (obs((60, 0.01), (1200, 0.10)), 1200.0, 2, 36000, 0.0, 300.0),      # far away: at most max_interval
    (obs((3, 0.01), (120, 0.40), (294, 0.98)), 294.0, 3, 3600, 0.0, 6.0),  # the window narrowed to (297, 300]
    (obs((3, 0.01), (120, 0.40), (298, 0.99)), 298.0, 3, 3600, 0.0, 6.0),  # inside: 2 % of the latest end, at most 6 s
    (obs((0.6, 0.01), (59.4, 0.99)), 59.4, 2, 3600, 0.0, 2.0),          # a 1-minute job: 2 % is 1.2 s, at least 2 s
    (obs((0, 0.0), (105, 0.25)), 105.0, 2, 3600, 0.0, 0.5 * 315 - 105),  # quarters, job 210-420 s: poll when 50 %
    #                                         can come (in the middle of 105-210 s), each answer halves the window
    (obs((0, 0.0), (105, 0.25), (157, 0.25)), 157.0, 3, 3600, 0.0, 0.75 * 367 - 157),  # now 314-420 s: when 75 % can
    (obs((3, 0.01), (120, 0.40), (400, 0.99)), 400.0, 3, 3600, 0.0, 60.0),  # window passed: fall back
    (obs((3, 0.01), (120, 0.40)), 120.0, 2, 3600, 0.5, (EARLIEST + 6 - 120) * 0.95),  # jitter only shortens
    (obs((3, 0.01), (120, 0.40)), 120.0, 2, 30.0, 0.0, 30.0),           # never past the deadline
    (obs((0, None)), 10.0, 1, 0.0, 0.0, 0.0),                           # deadline reached
])
def test_next_delay_follows_the_plan_within_the_time_left(observations, elapsed, polls, time_left, rand, delay):
    got = next_delay(observations, elapsed=elapsed, time_left=time_left, plan=PLAN, polls=polls, rand=rand)
    assert got == pytest.approx(delay)
    assert got <= time_left


def test_no_delay_exceeds_the_bounds_whatever_the_observations():
    for f in (None, 0.0, 0.01, 0.5, 0.99, 1.0):
        for t in (0.0, 1.0, 60.0, 3600.0, 7200.0):
            got = next_delay(obs((t / 2, f), (t, f)), elapsed=t, time_left=math.inf, plan=PLAN, rand=0.999)
            assert 2 * 0.9 <= got <= 300
