"""The shared LRU cache: eviction order, size bound and many threads, checked against functools."""

import functools
import random
import threading

from resnet_core.lru import LRU


def test_the_value_used_longest_ago_goes_first():
    gone = []
    cache = LRU(3, on_evict=lambda k, v: gone.append((k, v)))
    for k in "abc":
        cache.put(k, k.upper())
    assert cache.get("a") == "A"            # a is now the most recent; b is the oldest
    cache.put("d", "D")
    assert gone == [("b", "B")] and cache.keys() == ["c", "a", "d"]
    cache.put("e", "E")
    assert gone == [("b", "B"), ("c", "C")] and "c" not in cache and len(cache) == 3


def test_put_keeps_the_first_value_stored():
    cache = LRU(2)
    assert cache.put("k", 1) == 1
    assert cache.put("k", 2) == 1 and cache.get("k") == 1
    assert cache.get("missing") is None and cache.get("missing", 7) == 7


def test_misses_match_functools_lru_cache():
    # The same access pattern through functools' LRU (the reference) and ours: both must need
    # a fresh value at exactly the same accesses, so they agree on what is kept.
    rng = random.Random(0)
    keys = [rng.randrange(12) for _ in range(2000)]
    made = []

    @functools.lru_cache(maxsize=5)
    def reference(k):
        return k

    cache = LRU(5)
    for k in keys:
        before = reference.cache_info().misses
        reference(k)
        cache.get_or_make(k, lambda k=k: made.append(k) or k)
        assert len(made) == reference.cache_info().misses, f"disagree after {before} misses"
        assert len(cache) <= 5


def test_clear_forgets_everything_and_a_smaller_size_applies_at_the_next_put():
    cache = LRU(4)
    for i in range(4):
        cache.put(i, i)
    cache.size = 2
    cache.put(9, 9)
    assert cache.keys() == [3, 9]
    cache.clear()
    assert len(cache) == 0 and 3 not in cache


def test_many_threads_never_overfill_it_and_agree_on_each_value():
    cache = LRU(8)
    evicted = []
    cache.on_evict = lambda k, v: evicted.append(k)
    seen: dict[int, set[int]] = {}
    alive = []                  # keeps every handed-out value alive, so no id is reused
    lock = threading.Lock()
    start = threading.Barrier(6)
    errors = []

    def work(seed):
        rng = random.Random(seed)
        start.wait()
        for _ in range(3000):
            k = rng.randrange(16)
            value = cache.get_or_make(k, lambda: object())
            size = len(cache)
            if size > 8:
                errors.append(size)
            with lock:
                alive.append(value)
                seen.setdefault(k, set()).add(id(value))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) == 8
    # each value handed out was the one stored (not a racing thread's spare): there are no
    # more distinct values than stores, counted as those evicted plus those still held
    stored = len(evicted) + len(cache)
    assert sum(len(v) for v in seen.values()) <= stored
    # what is still cached is what a fresh look-up returns
    for k in cache.keys():
        assert cache.get(k) is cache.get(k)
