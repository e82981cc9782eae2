"""The memo of reference data each process holds while a version token in the shared cache stays the same."""

import pytest
from django.core.cache import cache

from core.cache import SharedVersionMemo


class Counter:
    def __init__(self) -> None:
        self.builds = 0

    def __call__(self) -> list[int]:
        self.builds += 1
        return [self.builds]


@pytest.mark.django_db
def test_a_process_builds_once_and_again_only_after_a_change_anywhere():
    build_here, build_there = Counter(), Counter()
    here = SharedVersionMemo("test:memo", build_here)
    there = SharedVersionMemo("test:memo", build_there)  # the same data held by another process
    assert here.get() == here.get() == [1] and build_here.builds == 1
    assert there.get() == [1]
    there.forget()  # a change made through the other process
    assert here.get() == [2] and there.get() == [2]
    assert here.get() == [2] and build_here.builds == 2


def test_an_emptied_cache_makes_every_process_build_again():
    build = Counter()
    memo = SharedVersionMemo("test:memo", build)
    memo.get()
    cache.clear()
    assert memo.get() == [2]


def test_a_copy_lives_at_most_max_age(monkeypatch):
    import core.cache

    clock = [1000.0]
    monkeypatch.setattr(core.cache.time, "monotonic", lambda: clock[0])
    build = Counter()
    memo = SharedVersionMemo("test:memo", build, max_age=60)
    memo.get()
    clock[0] += 59
    assert memo.get() == [1]
    clock[0] += 2
    assert memo.get() == [2]


@pytest.mark.django_db(transaction=True)
def test_forgetting_inside_a_transaction_forgets_again_at_commit():
    """A process that rebuilt from the old rows between the change and its commit must build once more."""
    from django.db import transaction

    build = Counter()
    memo = SharedVersionMemo("test:memo", build)
    memo.get()
    with transaction.atomic():
        memo.forget()
        assert memo.get() == [2]  # read while the change is not committed yet: the old rows
    assert memo.get() == [3]  # the commit gave the token a new value once more


@pytest.mark.django_db(transaction=True)
def test_what_a_changing_transaction_reads_is_not_kept_when_it_rolls_back():
    from django.db import transaction

    rows = ["Billing"]  # the table as the memo's build reads it
    memo = SharedVersionMemo("test:memo", lambda: list(rows))
    assert memo.get() == ["Billing"]
    with pytest.raises(RuntimeError), transaction.atomic():
        rows.append("Phantom")  # saved inside the transaction: only it sees the row
        memo.forget()
        assert memo.get() == ["Billing", "Phantom"]  # it reads its own change
        raise RuntimeError("the save fails after all")
    rows.remove("Phantom")  # rolled back
    assert memo.get() == ["Billing"]  # not the rolled-back row, kept by this process for minutes
    rows.append("Returns")
    assert memo.get() == ["Billing"]  # kept again once no change is open (until the next forget)
