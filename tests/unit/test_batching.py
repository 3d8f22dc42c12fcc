import threading
import time

import pytest

from factdesk.index.batching import MicroBatcher


def test_concurrent_callers_share_batches_and_get_their_own_results() -> None:
    calls: list[int] = []

    def double(items: list[int]) -> list[int]:
        calls.append(len(items))
        time.sleep(0.01)  # a model call takes a while: later callers queue meanwhile
        return [2 * i for i in items]

    batcher = MicroBatcher(double, max_items=64, wait=0.005)
    results: dict[int, list[int]] = {}

    def client(n: int) -> None:
        results[n] = batcher(list(range(n * 10, n * 10 + n % 5 + 1)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == [2 * i for i in range(n * 10, n * 10 + n % 5 + 1)] for n in range(40))
    assert sum(calls) == sum(n % 5 + 1 for n in range(40))
    assert batcher.batches == len(calls) < 40 and max(calls) <= 64
    assert batcher([]) == []


def test_a_failure_reaches_every_caller_of_the_batch_and_the_batcher_recovers() -> None:
    def fail_on_negative(items: list[int]) -> list[int]:
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return items

    batcher = MicroBatcher(fail_on_negative, wait=0.0)
    with pytest.raises(ValueError, match="negative"):
        batcher([1, -1])
    assert batcher([3]) == [3]
