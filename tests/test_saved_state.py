"""Python state in checkpoints: counters and generators come back as they were, and a checkpoint
that holds other kinds of values (another agent's, or a damaged one) is refused by name."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from tfzoo.saved_state import SavedArrays, SavedAttributes


def test_attributes_and_a_generator_survive_a_checkpoint(tmp_path):
    saved = SavedAttributes(steps=7, rate=0.5, generator=np.random.default_rng(3))
    saved.generator.random(5)  # Moves the generator on: its state, not its seed, is kept.
    expected = saved.generator.random(4)
    saved.generator = np.random.default_rng(3)
    saved.generator.random(5)
    path = tf.train.Checkpoint(progress=saved).write(str(tmp_path / "checkpoint"))

    copy = SavedAttributes(steps=0, rate=0.0, generator=np.random.default_rng(99))
    tf.train.Checkpoint(progress=copy).read(path).assert_consumed()
    assert (copy.steps, copy.rate) == (7, 0.5)
    np.testing.assert_array_equal(copy.generator.random(4), expected)


@pytest.mark.parametrize("saved, message", [
    ({"steps": "7", "generator": None}, "steps='7' is not of type int"),
    ({"steps": 1.5, "generator": None}, "steps=1.5 is not of type int"),
    ({"steps": True, "generator": None}, "steps=True is not of type int"),
    ({"steps": 1, "generator": {"bit_generator": "MT19937"}}, "generator is not a PCG64"),
    ({"steps": 1}, r"holds \['steps'\], not the expected \['generator', 'steps'\]"),
    ([1, 2], r"holds list, not the expected"),
])
def test_values_of_another_kind_are_refused_by_name(saved, message):
    record = SavedAttributes(steps=0, generator=np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        record.deserialize(json.dumps(saved))
    assert record.steps == 0  # Nothing was half-restored before the check failed.


def test_arrays_go_through_their_owners_functions():
    kept = {}
    arrays = SavedArrays(lambda: {"position": 2, "values": np.arange(3.0)}, kept.update)
    arrays.deserialize(arrays.serialize())
    assert int(kept["position"]) == 2
    np.testing.assert_array_equal(kept["values"], [0.0, 1.0, 2.0])
