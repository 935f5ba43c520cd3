"""Task parameters: validation and seed generation."""

import pytest

from annostream_kernel.errors import InvalidArgument
from annostream_tasks.domain.model import Iteration, Order, validate_labels, validate_task_name


def test_random_order_without_seed_gets_a_generated_seed() -> None:
    seeds = {Iteration.build(Order.RANDOM, None, 0, 0).random_seed for _ in range(5)}
    assert len(seeds) > 1


def test_given_seed_is_kept() -> None:
    assert Iteration.build(Order.RANDOM, 42, 0, 0).random_seed == 42


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"limit": -1}, "iteration.limit"), ({"clip_length": -2}, "iteration.clip_length")],
)
def test_bad_iteration_values_name_the_field(kwargs: dict, field: str) -> None:
    args = {"order": Order.SEQUENTIAL, "seed": None, "limit": 0, "clip_length": 0, **kwargs}
    with pytest.raises(InvalidArgument) as err:
        Iteration.build(**args)
    assert err.value.field == field


def test_task_name_is_required_and_bounded() -> None:
    with pytest.raises(InvalidArgument, match="name"):
        validate_task_name("   ")
    with pytest.raises(InvalidArgument, match="at most 200"):
        validate_task_name("x" * 201)
    assert validate_task_name("  Cars  ") == "Cars"


def test_labels_are_deduplicated_and_validated() -> None:
    assert validate_labels(["car", "car", "bus"]) == ["car", "bus"]
    with pytest.raises(InvalidArgument) as err:
        validate_labels(["ok", ""])
    assert err.value.field == "default_labels[1]"
