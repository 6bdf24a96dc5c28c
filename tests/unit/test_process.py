"""A long-running process settles its memory once started: start-up objects frozen out of the
collector's sight, collections made rarer as the settings say."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from infra.process import settle_memory
from infra.settings import Settings


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_start_up_made_and_sets_the_thresholds(collector: None) -> None:
    settle_memory(Settings(env="test", gc_threshold="1234,7,9"))
    assert gc.get_threshold() == (1234, 7, 9)
    assert gc.get_freeze_count() > 0


def test_an_empty_threshold_keeps_pythons_own(collector: None) -> None:
    before = gc.get_threshold()
    settle_memory(Settings(env="test", gc_threshold=""))
    assert gc.get_threshold() == before


@pytest.mark.parametrize("value", ["fast", "1,2", "1,2,3,4", "-1,2,3"])
def test_a_threshold_that_is_not_three_counts_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="gc_threshold"):
        Settings(env="test", gc_threshold=value)
