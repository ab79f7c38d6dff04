"""Retries with exponential backoff, carried by tenacity: ``attempts`` retries a call in place (a
LibreOffice start, an SMTP delivery), ``exponential`` gives the pause before the n-th attempt for work
that is tried again later rather than waited for (an input kept in the work folder).
"""
from __future__ import annotations

from collections.abc import Callable

import tenacity


def exponential(first: float, most: float) -> Callable[[int], float]:
    """The pause after the n-th failed attempt (n from 1): ``first``, doubled each time, at most ``most``."""
    wait = tenacity.wait_exponential(multiplier=first, max=most)

    def pause(attempt: int) -> float:
        return wait(_State(attempt))

    return pause


class _State:
    """What tenacity's wait strategies read of a retry: the attempt number."""

    def __init__(self, attempt_number: int):
        self.attempt_number = attempt_number


def attempts(count: int, first: float, retry_on: Callable[[BaseException], bool],
             before_pause: Callable[[int, BaseException, float], None] | None = None) -> tenacity.Retrying:
    """``for attempt in attempts(...): with attempt: ...`` runs the block up to ``count`` times while it
    raises what ``retry_on`` accepts, pausing ``first`` seconds doubled each time; the last error is raised
    as itself. ``before_pause(next_attempt, error, pause)`` is told before each pause (to log it)."""

    def tell(state: tenacity.RetryCallState) -> None:
        if before_pause is not None:
            before_pause(state.attempt_number + 1, state.outcome.exception(), state.upcoming_sleep)

    return tenacity.Retrying(stop=tenacity.stop_after_attempt(count), wait=tenacity.wait_exponential(multiplier=first),
                             retry=tenacity.retry_if_exception(retry_on), before_sleep=tell, reraise=True)

