"""A sweep's due users split into batches that workers share: every user in exactly one batch, none larger
than the batch size."""

import pytest

from app.rules.batching import split_into_batches

SIZE = 500


def test_no_due_users_make_no_batch():
    assert split_into_batches([], SIZE) == []


def test_exactly_one_batch_of_users_makes_one_batch():
    users = list(range(1, SIZE + 1))
    assert split_into_batches(users, SIZE) == [users]


def test_one_user_more_than_a_batch_makes_a_second_batch_of_one():
    users = list(range(1, SIZE + 2))
    assert split_into_batches(users, SIZE) == [users[:SIZE], [SIZE + 1]]


def test_one_user_fewer_than_a_batch_makes_one_batch():
    users = list(range(1, SIZE))
    assert split_into_batches(users, SIZE) == [users]


@pytest.mark.parametrize("count", [1, 2, 999, 1000, 1001, 2501])
def test_every_user_lands_in_exactly_one_batch_in_the_order_given(count):
    users = [7 * n + 3 for n in range(count)]
    batches = split_into_batches(users, SIZE)
    assert [user for batch in batches for user in batch] == users
    assert all(1 <= len(batch) <= SIZE for batch in batches)
    assert len(batches) == -(-count // SIZE)


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="at least one user"):
        split_into_batches([1, 2], 0)
