"""When to poll a restore job next: a pure function of what the polls so far have seen.

A job reports `process` (`"60%"`, docs/ddm-api.md section 3.1) while it runs. Read as "at least
60 % of the job's time has passed", each observation `(t, f)` (seconds since the wait began,
fraction done) bounds the job's total length T: `t / (f + q) < T <= t / f`, where `q` is the
step in which the service reports progress (1 % for a smooth job, 25 % for one that reports
quarters). `completion_window` intersects those bounds over every observation; it reads them
with the coarsest step in `STEPS` that every reported value is a multiple of (25 % for
25/50/75, 1 % once a value like 57 % appears) and that they fit, else a finer one. When no
step fits and the first reading was already above 0 (a service that reports, say, 5 % as soon
as it accepts the job), the readings are read again relative to that first one. The result
`(lo, hi]` is when the job can end. `next_delay` then:

* polls at once the first time (a job can have ended as soon as it was accepted);
* while the earliest end `lo` is ahead and the window is wide for its step, polls in the middle
  of the time at which the last change of progress before the end (e.g. 50 -> 75 %) can come,
  when that is before `lo`: each such poll halves the window, so coarse progress narrows it
  before the end instead of with many polls at the end;
* else sleeps until one dense interval after `lo` (at most `max_interval` at a time), and inside
  the window polls every dense interval: `density` x the latest end, between `min_interval`
  and `dense_max` (the end is noticed within a few seconds at most);
* when progress is absent, flat, contradicts every step or goes backwards (only the observations
  since then count), or the window has passed, falls back to intervals that grow with the time
  waited (`growth` x elapsed, at most `fallback_interval`): nothing then says when the job ends,
  and polling few times is what the API gateway's throttling asks for.

Jitter only shortens a delay (by up to `jitter`, from the caller's random number), and no delay
goes past the deadline.

The wait is assumed to begin when the job starts (true for a job this provider submitted);
for an adopted job the bounds contradict each other or the window passes, and the fallback
takes over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["STEPS", "Observation", "PollPlan", "completion_window", "next_delay", "parse_progress"]

STEPS = (0.01, 0.05, 0.10, 0.25)
"""The progress steps a service may report in (see `completion_window` for the order tried).

No half steps: read as halves, a lone 50 % would say the job can end at once (`t < T <= 2t`)
and start the dense polls half a job early; as quarters it says `4t/3 < T <= 2t`, which also
holds for any finer step."""


@dataclass(frozen=True)
class Observation:
    """One poll: `elapsed` seconds since the wait began, `progress` done as a fraction 0-1 (None: absent)."""

    elapsed: float
    progress: float | None


@dataclass(frozen=True)
class PollPlan:
    """Bounds and shape of the schedule (see the module docstring); times in seconds."""

    min_interval: float = 2.0
    """The shortest pause."""
    max_interval: float = 300.0
    """The longest pause (`ddm:pollInterval` lowers it)."""
    fallback_interval: float = 120.0
    """The longest pause while no progress says when the job ends."""
    growth: float = 3.0
    """Without usable progress, the pause is `growth` x the time waited."""
    density: float = 0.02
    """Inside the window, the pause is this fraction of the job's latest possible length..."""
    dense_max: float = 6.0
    """...at most this long (and at least `min_interval`)."""
    bisect: float = 2.0
    """Narrow the window by polling before it while it is wider than this many dense pauses."""
    jitter: float = 0.1
    """A pause is shortened by up to this fraction, at random."""


def parse_progress(process: str | None) -> float | None:
    """`"60%"` -> 0.6; None for an absent, empty or unreadable value or one outside 0-100 %."""
    if not process:
        return None
    text = process.strip().removesuffix("%").strip()
    try:
        percent = float(text)
    except ValueError:
        return None
    if not math.isfinite(percent) or not 0.0 <= percent <= 100.0:
        return None
    return percent / 100.0


def completion_window(observations: Sequence[Observation]) -> tuple[float, float] | None:
    """`(lo, hi)`: the job ends after `lo` and at the latest at `hi` seconds into the wait, or None
    when the observations give no usable progress (none above 0) or fit no step in `STEPS`.

    After progress went backwards (the job started over), only the observations since then
    count, timed from the poll before the setback. If they fit no step and the first of them
    was above 0, they are read as progress beyond that first value (5 % at once, then 52.5 %
    at half time reads as 50 %)."""
    fit = _fit(observations)
    return None if fit is None else (fit.lo, fit.hi)


def next_delay(observations: Sequence[Observation], *, elapsed: float, time_left: float,
               plan: PollPlan = PollPlan(), polls: int | None = None, rand: float = 0.0) -> float:
    """Seconds to sleep before the next poll: 0 before the first.

    `observations` are the polls that answered, oldest first; `polls` how many were sent (failed
    ones too; default: as many as observations); `elapsed` the seconds since the wait began;
    `time_left` the seconds to the deadline; `rand` a random number in [0, 1) for the jitter.
    """
    if (len(observations) if polls is None else polls) == 0:
        return 0.0
    now = elapsed
    fit = _fit(observations)
    cap = plan.max_interval
    if fit is None:
        base, cap = plan.growth * now, plan.fallback_interval
    else:
        dense = min(max((fit.hi - fit.origin) * plan.density, plan.min_interval), plan.dense_max)
        if now < fit.lo:
            base = min(fit.lo + dense, fit.hi) - now
            if fit.hi - fit.lo > plan.bisect * dense:
                base = _to_last_change(fit, now) or base
        elif now <= fit.hi:
            base = dense
        else:  # the window passed without an end: the reading was wrong, back off from it
            base, cap = plan.growth * (now - fit.lo), plan.fallback_interval
    delay = min(max(base, plan.min_interval), cap, plan.max_interval)
    delay *= 1.0 - plan.jitter * min(max(rand, 0.0), 1.0)
    return max(0.0, min(delay, time_left))


@dataclass(frozen=True)
class _Fit:
    """The job ends in `(lo, hi]` seconds into the wait; read with progress step `step`; the
    last progress seen; `origin`: when the job last started over."""

    lo: float
    hi: float
    step: float
    progress: float
    origin: float


def _fit(observations: Sequence[Observation]) -> _Fit | None:
    origin, seen = _since_last_setback([o for o in observations if o.progress is not None])
    if not any(o.progress for o in seen):
        return None
    fit = _fit_from(origin, seen)
    first = seen[0].progress or 0.0
    if fit is None and 0.0 < first < 1.0:  # a service that counts the accepted job as done work
        rebased = [Observation(o.elapsed, ((o.progress or 0.0) - first) / (1.0 - first)) for o in seen]
        if any(o.progress for o in rebased):
            fit = _fit_from(origin, rebased)
    return fit


def _fit_from(origin: float, seen: Sequence[Observation]) -> _Fit | None:
    for step in _steps_to_try(seen):
        lo, hi = 0.0, math.inf
        for o in seen:
            assert o.progress is not None
            lo = max(lo, (o.elapsed - origin) / min(o.progress + step, 1.0 + step))
            if o.progress > 0:
                hi = min(hi, (o.elapsed - origin) / o.progress)
        if lo <= hi:
            return _Fit(origin + lo, origin + hi, step, seen[-1].progress or 0.0, origin)
    return None


def _steps_to_try(seen: Sequence[Observation]) -> list[float]:
    """`STEPS`, the coarsest first of those that every reported value is a multiple of, then the rest
    from the finest: 25/50/75 % are read as quarters, never as 1 % steps that happen to fit."""
    percents = [o.progress * 100 for o in seen if o.progress]

    def divides(step: float) -> bool:
        return all(abs(p / (step * 100) - round(p / (step * 100))) < 1e-6 for p in percents)

    multiples = sorted((s for s in STEPS if divides(s)), reverse=True)
    return multiples + [s for s in STEPS if s not in multiples]


def _to_last_change(fit: _Fit, now: float) -> float | None:
    """Seconds to the middle of the time at which the latest change of progress before the end
    (e.g. to 75 % for quarters) can come, if that is after now and before the job can end."""
    best = None
    change = fit.progress + fit.step
    middle = (fit.lo + fit.hi) / 2 - fit.origin
    while change < 1.0 - 1e-9:
        at = fit.origin + change * middle
        if now < at < fit.lo:
            best = at - now
        change += fit.step
    return best


def _since_last_setback(seen: list[Observation]) -> tuple[float, list[Observation]]:
    """The time the job last started over (0, or the poll before progress went backwards) and
    the observations since then."""
    start = 0
    for index in range(1, len(seen)):
        if seen[index].progress < seen[index - 1].progress:  # type: ignore[operator]
            start = index
    return (seen[start - 1].elapsed if start else 0.0), seen[start:]
