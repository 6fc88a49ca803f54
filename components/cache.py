"""The app's one cache of results, bounded in bytes and shared by every session.

Streamlit's `st.cache_data` bounds entries, not bytes: 128 runs of a program
that sends back the largest record the server accepts would hold gigabytes.
Here every cached function states what an entry costs (`size_of`), the
least recently used entries go once the total passes the budget
(`AUTOGRAD_EXPLORER_CACHE_MB`, 256 MB by default), and a result larger than
the whole budget is returned without being kept.

Entries are shared, not copied: what a cached function returns (records,
figures, bytes) is never changed by its readers. While one session computes
an entry, another asking for the same one waits for it instead of running
the same program a second time.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from graphs.sandbox.config import from_environment

DEFAULT_MB = 256
Result = TypeVar("Result")


class Store:
    """Entries by key, least recently used first, and their total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.total = 0
        self.lock = threading.Lock()
        self.computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return False, None
            self.entries.move_to_end(key)
            return True, found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        with self.lock:
            if key in self.entries or size > self.max_bytes:
                return
            self.entries[key] = (value, size)
            self.total += size
            while self.total > self.max_bytes:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.total -= dropped

    def key_lock(self, key: Hashable) -> threading.Lock:
        with self.lock:
            return self.computing.setdefault(key, threading.Lock())

    def done(self, key: Hashable) -> None:
        with self.lock:
            self.computing.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.total = 0


def budget_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The cache's budget from `AUTOGRAD_EXPLORER_CACHE_MB` (an operator's setting)."""
    found = from_environment(os.environ if environ is None else environ, {"cache_mb": "int"})
    return int(found.get("cache_mb", DEFAULT_MB)) * 1024 * 1024


STORE = Store(budget_bytes())


def cached(size_of: Callable[[Any], int]) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Cache a function of hashable arguments in `STORE`; `size_of(result)` is its cost in bytes."""

    def decorate(fn: Callable[..., Result]) -> Callable[..., Result]:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: Hashable, **kwargs: Hashable) -> Result:
            key = (name, args, tuple(sorted(kwargs.items())))
            hit, value = STORE.get(key)
            if hit:
                return value
            try:
                with STORE.key_lock(key):  # a second session asking the same waits here
                    hit, value = STORE.get(key)
                    if not hit:
                        value = fn(*args, **kwargs)
                        STORE.put(key, value, size_of(value))
            finally:
                STORE.done(key)
            return value

        return wrapper

    return decorate
