"""Shared fixtures: registries restored after each test, and a clean TensorFlow execution mode."""

from __future__ import annotations

import pytest
import tensorflow as tf

import tfzoo


@pytest.fixture(autouse=True)
def restore_registries():
    """Lets a test register tasks and agents without leaking them into other tests."""
    tasks, agents = dict(tfzoo.registry), dict(tfzoo.agent_registry)
    yield
    tfzoo.registry.clear()
    tfzoo.registry.update(tasks)
    tfzoo.agent_registry.clear()
    tfzoo.agent_registry.update(agents)


@pytest.fixture
def eager():
    """Runs every tf.function eagerly for the duration of a test."""
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)
