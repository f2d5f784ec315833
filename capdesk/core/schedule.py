"""Periodic jobs, registered by the app that owns them and run by `capdesk scheduler`.

A job does one bounded unit of work and returns how many items it handled, so the
scheduler (and tests) can drive it step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Job = Callable[[], int]


@dataclass(frozen=True)
class Scheduled:
    name: str
    every_seconds: float
    run: Job


_JOBS: dict[str, Scheduled] = {}


def every(seconds: float, name: str | None = None) -> Callable[[Job], Job]:
    def decorator(job: Job) -> Job:
        key = name or f"{job.__module__}.{job.__qualname__}"
        _JOBS[key] = Scheduled(key, seconds, job)
        return job

    return decorator


def jobs() -> list[Scheduled]:
    return sorted(_JOBS.values(), key=lambda j: j.name)
