"""The collector pause around each file: always switched back on, never switched on for a
host program that turned it off, and the file's cycles freed once it is done."""

from __future__ import annotations

import gc
import weakref

import pytest

from iolint.collector import paused_collection


class _Node:
    def __init__(self) -> None:
        self.peer: object = self


def test_pause_restores_and_collects() -> None:
    assert gc.isenabled()
    with paused_collection():
        assert not gc.isenabled()
        cycle = _Node()
        ref = weakref.ref(cycle)
        del cycle
        assert ref() is not None  # nothing collects it during the file
    assert gc.isenabled()
    assert ref() is None  # the collection after the file did


def test_pause_restores_after_an_error() -> None:
    with pytest.raises(ValueError), paused_collection():
        raise ValueError("rule bug")
    assert gc.isenabled()


def test_host_that_disabled_the_collector_keeps_it_off() -> None:
    gc.disable()
    try:
        with paused_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_nested_pauses_switch_back_on_once() -> None:
    with paused_collection():
        with paused_collection():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_objects_alive_after_the_file_are_not_pushed_to_the_oldest_generation() -> None:
    # In a flake8 worker, what is alive when the file is done is flake8's own state for that
    # file, about to die: it must stay young, where it is freed cheaply, not reach the
    # generation only full collections traverse.
    with paused_collection():
        alive: list[object] = [object()]
    assert any(o is alive for o in gc.get_objects(generation=1))
    assert not any(o is alive for o in gc.get_objects(generation=2))
