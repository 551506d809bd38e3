"""Identifiers: the documented shape, ordered by creation time, unique within a millisecond."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from store.ids import base62, new_id

SHAPE = re.compile(r"cs_[0-9A-Za-z]{32}")
# Milliseconds from 1970 to the year 6000, and the same millisecond more than once.
instants = st.integers(min_value=0, max_value=130_000_000_000_000)


@given(st.lists(instants, min_size=2, max_size=50))
def test_ids_sort_as_their_creation_times(times: list[int]) -> None:
    ids = [new_id("cs", now_ms=ms) for ms in times]
    assert all(SHAPE.fullmatch(i) for i in ids)
    by_id = sorted(range(len(ids)), key=lambda i: ids[i])
    assert [times[i] for i in by_id] == sorted(times)


def test_ids_of_one_millisecond_differ_after_the_time() -> None:
    ids = {new_id("cs", now_ms=1_795_000_000_000) for _ in range(1000)}
    assert len(ids) == 1000
    assert len({i[:11] for i in ids}) == 1  # one time prefix, 24 random characters each


def test_the_clock_is_used_by_default() -> None:
    before = new_id("evt", now_ms=0)
    made = new_id("evt")
    assert made.startswith("evt_") and made > before
    assert made < new_id("evt", now_ms=10**14)


def test_secrets_are_random_throughout() -> None:
    keys = {base62(40) for _ in range(200)}
    assert len(keys) == 200 and all(len(k) == 40 for k in keys)
    assert len({k[:8] for k in keys}) > 150  # no shared time prefix
