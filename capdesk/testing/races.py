"""Several workers doing the same thing at the same instant, each on a database connection of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(work: Callable[[], T], workers: int, *, timeout: float = 30) -> list[T]:
    """Run ``work`` in ``workers`` threads released together; their results, in the order they ended.

    Each thread has its own connection (Django's are per thread), so on PostgreSQL their
    transactions really run concurrently. Use with ``django_db(transaction=True)``, for
    the threads to see the test's rows.
    """
    barrier = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    assert len(results) == workers, f"{workers - len(results)} of the workers did not finish in {timeout} s"
    return results
