"""A small least-recently-used cache that many threads may share.

The web process serves a whole classroom from one set of caches (prepared datasets, models to
inspect, live figures), and Streamlit runs each session's script in its own thread, so every
read and write goes through one lock. Building a value is slow and happens outside the lock: two
sessions may both build the same value, and the first one stored is the one everybody keeps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class LRU(Generic[K, V]):
    """At most `size` values by key; storing one more forgets the one used longest ago.

    `on_evict(key, value)` runs for each value forgotten to make room, under `lock`; a caller
    that keeps other state in step with the cache holds the same (re-entrant) lock around it.
    """

    def __init__(self, size: int, on_evict: Callable[[K, V], None] | None = None):
        self.size = size
        self.on_evict = on_evict
        self.lock = threading.RLock()
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default=None):
        """The value for `key` (now the most recently used), else `default`."""
        with self.lock:
            value = self._items.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        """Store `value` unless `key` already has one; return the value kept."""
        with self.lock:
            kept = self._items.setdefault(key, value)
            self._items.move_to_end(key)
            while len(self._items) > max(self.size, 0):
                old_key, old = self._items.popitem(last=False)
                if self.on_evict is not None:
                    self.on_evict(old_key, old)
            return kept

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value for `key`, made by `make()` (outside the lock) and stored when missing."""
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = self.put(key, make())
        return value

    def pop(self, key: K, default=None):
        """Forget `key` (without calling `on_evict`); its value, else `default`."""
        with self.lock:
            return self._items.pop(key, default)

    def clear(self) -> None:
        """Forget every value (without calling `on_evict`)."""
        with self.lock:
            self._items.clear()

    def __contains__(self, key: object) -> bool:
        with self.lock:
            return key in self._items

    def __len__(self) -> int:
        with self.lock:
            return len(self._items)

    def keys(self) -> list[K]:
        """The keys, least recently used first."""
        with self.lock:
            return list(self._items)
