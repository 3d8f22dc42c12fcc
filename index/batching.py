"""Micro-batching for model calls made by concurrent request threads."""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Job(Generic[T]):
    items: list[T]
    result: Any = None
    error: BaseException | None = None
    done: bool = False


class MicroBatcher(Generic[T, R]):
    """Runs `fn` once over the items that concurrent callers submit within a short window.

    The first caller to arrive while no batch is running leads: it waits up to `wait` seconds (less when
    `max_items` are queued sooner), runs `fn` over every queued caller's items in arrival order and hands
    each caller its own slice of the results. A lone caller pays at most `wait`; under load the model sees
    one batch instead of many small calls fighting over the same cores. `fn` must return one result per
    item, in order.
    """

    def __init__(self, fn: Callable[[list[T]], Sequence[R]], max_items: int = 128, wait: float = 0.002) -> None:
        self.fn = fn
        self.max_items = max_items
        self.wait = wait
        self._cond = threading.Condition()
        self._queue: list[_Job[T]] = []
        self._running = False
        self.batches = 0  # how many times `fn` ran (for tests and metrics)

    def __call__(self, items: Sequence[T]) -> list[R]:
        job: _Job[T] = _Job(list(items))
        if not job.items:
            return []
        with self._cond:
            self._queue.append(job)
            self._cond.notify_all()
            while not job.done:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                deadline = time.monotonic() + self.wait
                while sum(len(j.items) for j in self._queue) < self.max_items:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch = self._take()
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._cond.notify_all()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    def _take(self) -> list[_Job[T]]:
        """Jobs in arrival order up to `max_items` items (always at least one job)."""
        batch, count = [], 0
        while self._queue and (not batch or count + len(self._queue[0].items) <= self.max_items):
            job = self._queue.pop(0)
            batch.append(job)
            count += len(job.items)
        return batch

    def _run(self, batch: list[_Job[T]]) -> None:
        try:
            results = self.fn([item for job in batch for item in job.items])
            self.batches += 1
            start = 0
            for job in batch:
                job.result = list(results[start : start + len(job.items)])
                start += len(job.items)
        except BaseException as e:  # every caller of the batch sees the failure
            for job in batch:
                job.error = e
        for job in batch:
            job.done = True
