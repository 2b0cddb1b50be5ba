"""How a sweep splits its due users into batches that any number of workers share: pages of at most `size`."""

from __future__ import annotations

from collections.abc import Sequence


def split_into_batches(user_ids: Sequence[int], size: int) -> list[list[int]]:
    """Consecutive pages of the due users, in the order given, each at most `size` long; none for no users.

    Every user lands in exactly one batch, so two workers never judge the same user for the same sweep.
    """
    if size < 1:
        raise ValueError(f"a batch holds at least one user, not {size}")
    return [list(user_ids[start:start + size]) for start in range(0, len(user_ids), size)]
