"""The app's result cache (`components.cache`): bounded in bytes, shared, computed once."""

from __future__ import annotations

import threading
import time

import pytest

from components import cache


@pytest.fixture
def store(monkeypatch) -> cache.Store:
    small = cache.Store(max_bytes=100)
    monkeypatch.setattr(cache, "STORE", small)
    return small


def test_least_recently_used_entries_go_once_the_budget_is_passed(store):
    calls = []

    @cache.cached(len)
    def text(n: int) -> str:
        calls.append(n)
        return "x" * n

    text(40), text(40), text(30)
    assert calls == [40, 30] and store.total == 70
    text(40)  # now the most recent: 30 goes first
    text(50)
    assert store.total == 90 and [key[1] for key in store.entries] == [(40,), (50,)]
    text(30)
    assert calls == [40, 30, 50, 30] and store.total <= store.max_bytes


def test_a_result_larger_than_the_budget_is_returned_but_not_kept(store):
    @cache.cached(len)
    def text(n: int) -> str:
        return "y" * n

    assert text(500) == "y" * 500 and store.total == 0 and not store.entries


def test_two_sessions_asking_the_same_wait_for_one_computation(store):
    calls = []

    @cache.cached(lambda _: 1)
    def slow(key: str) -> str:
        calls.append(key)
        time.sleep(0.3)
        return key.upper()

    found = []
    threads = [threading.Thread(target=lambda: found.append(slow("a"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["a"] and found == ["A"] * 4 and not store.computing


def test_a_failure_is_not_kept_and_leaves_no_lock(store):
    @cache.cached(lambda _: 1)
    def broken(n: int) -> int:
        raise RuntimeError(n)

    with pytest.raises(RuntimeError):
        broken(1)
    assert not store.entries and not store.computing


def test_the_budget_is_an_operator_setting():
    assert cache.budget_bytes({}) == cache.DEFAULT_MB * 1024 * 1024
    assert cache.budget_bytes({"AUTOGRAD_EXPLORER_CACHE_MB": "64"}) == 64 * 1024 * 1024
