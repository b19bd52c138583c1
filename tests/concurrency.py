"""Real threads for race tests on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections


def run_concurrently(target: Callable[..., Any], args_list: Iterable[Sequence[Any]]) -> list[Any]:
    """Calls target(*args) once per args, each in its own thread, all released together.

    Returns every outcome, in the order of args_list: the value returned or the exception
    raised, so a test can tell an expected refusal (a Conflict) from a bug. Each thread closes
    its database connections when it is done; persistent connections (CONN_MAX_AGE) would
    otherwise pile up across tests.
    """
    calls = [tuple(args) for args in args_list]
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def attempt(position: int, args: tuple[Any, ...]) -> None:
        try:
            barrier.wait()
            outcome: Any = target(*args)
        except BaseException as error:  # collected and returned to the test
            outcome = error
        finally:
            connections.close_all()
        outcomes[position] = outcome

    threads = [
        threading.Thread(target=attempt, args=(position, args))
        for position, args in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
