"""`SupervisedAgent`: learns any Keras model from the answers a supervised task reveals.

`act` predicts for a batch; `learn` takes one gradient step on the batch it predicted for,
using `info["target"]`. Both run compiled with `tf.function`. This module is the agent and
its config; the task side is `tfzoo.supervised.SupervisedTask`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium
import keras
import numpy as np
import tensorflow as tf

from tfzoo.agents.optimizers import budget_schedule, make_loss, make_optimizer
from tfzoo.compiled import Compiled
from tfzoo.core import Agent, Transition
from tfzoo.distribute import make_strategy
from tfzoo.divergence import LossWatch
from tfzoo.errors import ConfigError, TrainingDivergedError
from tfzoo.exporting import Predictions
from tfzoo.models import make_model, model_spec
from tfzoo.supervised import observation_inputs


@dataclass
class SupervisedConfig:
    """Settings of `SupervisedAgent`, as `make_agent` and `--set` take them."""

    model: str | keras.Model | Callable[[], keras.Model] = "linear"
    """A model name from `tfzoo.model_registry` (`tfzoo.register_model` adds yours), a Keras
    model of your own, or a function returning one (called after `train(seed=...)` seeds
    Keras, so the model's first weights follow the seed)."""

    optimizer: str = "adam"
    """A Keras optimizer name: "sgd", "adam", "adamw", "rmsprop", ..."""

    learning_rate: float = 1e-3
    """The (initial) learning rate."""

    momentum: float = 0.0
    """Momentum of "sgd"; must stay 0 for other optimizers."""

    nesterov: bool = False
    """Nesterov momentum, for "sgd"."""

    schedule: Literal["constant", "cosine"] = "constant"
    """How the learning rate changes: "cosine" decays it to 0 over the run's budget (or over
    `decay_steps`)."""

    decay_steps: int | None = None
    """Steps of the cosine decay; None: the run's whole budget, however it is given (steps,
    episodes or seconds, whichever is further along), so that any budget ends annealed."""

    decay_start: float = 0.0
    """With the cosine over the budget: the fraction of it spent at the full rate before the
    cosine starts (0: it starts at once)."""

    loss: str = "auto"
    """A Keras loss name; "auto" is cross-entropy on logits for classification tasks and
    mean squared error for regression tasks."""

    jit_predictions: bool = False
    """Compile the forward pass that predicts the next batch with XLA: faster for models of
    many small operations (the chapter's unrolled RNN), after a compile of a second or two."""

    divergence_factor: float | None = 1e4
    """Stop with `TrainingDivergedError` when the averaged loss grows to this many times the
    lowest it reached (see `tfzoo.divergence.LossWatch`); None stops only at NaN or infinity."""

    strategy: str | tf.distribute.Strategy = "default"
    """Where training runs: "default" (one device), "mirrored" (every GPU, or every logical
    CPU device, of this machine), "multiworker" (the machines `TF_CONFIG` names), or a
    `tf.distribute.Strategy`. Each step's batch is split across the replicas; see
    `tfzoo.distribute` and docs/scaling-out.md."""


EAGER_PREDICTIONS = 32  # Calls of the prediction function run eagerly before it is traced.


class SupervisedAgent(Agent):
    """Fits `model` to the targets of a supervised task with `optimizer` and `loss`.

    A training step needs one forward pass for the predictions the task scores and one
    forward and backward pass for the update. `learn` runs the update and, in the same
    compiled call, the forward pass for the next batch (`transition.next_observation`),
    with the weights just updated; the next `act` on that very batch returns those
    predictions without another call into TensorFlow. So each step costs one compiled call,
    and the predictions are what `act` would compute (the same weights and inputs; with
    `jit_predictions`, up to XLA's float rounding); the forward pass itself remains, one
    more than in Keras's `fit`, which scores nothing before it learns.

    Args:
        model: Maps a batch of observations to predictions (regression) or logits
            (classification). A function returning the model builds it only at `build`
            (the first `act` or `learn`), after `train(seed=...)` has seeded Keras, so
            its initial weights follow the seed: Keras draws each layer's initializer
            seed when the layer is created.
        optimizer: A Keras optimizer.
        loss: A Keras loss, or any `(targets, outputs) -> loss` function.
        jit_predictions: Compile the forward pass that predicts ahead with XLA.
        learning_rate_schedule: A Keras schedule called with the fraction of the run's
            budget spent (0 to 1, see `Agent.set_budget_spent`) instead of a step, e.g.
            `CosineDecay(1e-3, decay_steps=1)`: each step sets the optimizer's learning rate
            (a number, then) to its value. None: the optimizer's own rate or schedule.
        strategy: A `tf.distribute.Strategy` (or its name, see `tfzoo.distribute`) to train
            with: each step's batch (the global batch) is split evenly across its replicas,
            which sum their gradients, so the update is the one-device update up to float
            rounding. The model and the optimizer's variables are created in its scope (the
            optimizer is re-made there from its config); predictions run on each worker's
            first replica. None uses the strategy in scope, usually the default one.
        observation_space: The task's; an observation is a batch of inputs.
        action_space: The task's; integer actions (`MultiDiscrete`) mean classification,
            where actions are the argmax of the model's logits, and real ones (`Box`)
            regression, where actions are the model's outputs.
    """

    def __init__(
        self,
        model: keras.Model | Callable[[], keras.Model],
        optimizer: keras.optimizers.Optimizer,
        loss: Any,
        *,
        observation_space: gymnasium.spaces.Box,
        action_space: gymnasium.Space,
        jit_predictions: bool = False,
        strategy: str | tf.distribute.Strategy | None = None,
        divergence_factor: float | None = 1e4,
        learning_rate_schedule: keras.optimizers.schedules.LearningRateSchedule | None = None,
    ) -> None:
        super().__init__()
        # A schedule of the budget: each step sets the optimizer's rate from the fraction spent.
        self.learning_rate_schedule = learning_rate_schedule
        self.budget_spent = (None if learning_rate_schedule is None
                             else tf.Variable(0.0, trainable=False, name="budget_spent"))
        self.divergence = LossWatch(divergence_factor)
        self.strategy = make_strategy(strategy)
        self._distributed = (tf.distribute.has_strategy()
                             or self.strategy is not tf.distribute.get_strategy())
        if self._distributed:
            _check_outside_strategy(model, optimizer)
            with self.strategy.scope():  # Keras optimizers bind to the strategy in scope.
                optimizer = type(optimizer).from_config(optimizer.get_config())
        self.optimizer, self.loss = optimizer, loss
        self._sample_losses = _unreduced(loss) if self._distributed else None
        self.model = model if isinstance(model, keras.Model) else None
        self._make_model = None if isinstance(model, keras.Model) else model
        self.classify = not isinstance(action_space, gymnasium.spaces.Box)
        # Specs of a batch of any size: inputs, and targets shaped like the actions.
        inputs = tf.TensorSpec((None, *observation_space.shape[1:]), observation_space.dtype)
        targets = tf.TensorSpec((None, *action_space.shape[1:]),
                                tf.int64 if self.classify else tf.float32)
        self._inputs = inputs
        # Training predicts ahead inside `learn`, so `_predict` serves only each episode's
        # first batch and evaluation: eager calls first, traced only if it is called a lot.
        self._predict = Compiled(self._predict_eagerly, [inputs], eager_calls=EAGER_PREDICTIONS)
        self._predict_ahead = (tf.function(self._predict_eagerly, jit_compile=True)
                               if jit_predictions else self._predict_eagerly)
        self._train_step_and_predict = Compiled(
            self._train_step_and_predict_eagerly, [inputs, targets, inputs]
        )
        self._lookahead = _Lookahead()

    def act(self, observation: np.ndarray, *, explore: bool = True) -> np.ndarray:
        """Predicts for a batch of observations; `explore` makes no difference here."""
        predictions = self._lookahead.take(observation)
        if predictions is None:
            self.build()
            predictions = self._predict(observation)
        return predictions.numpy()

    def export_module(self, task: gymnasium.Env) -> Predictions:
        """The trained model with the task's preprocessing, as `tfzoo export` writes it
        (`tfzoo.exporting.Predictions`; see `Agent.export_module`)."""
        self.build()
        serving_inputs = getattr(task.unwrapped, "serving_inputs", None)
        inputs, preprocess = (serving_inputs() if serving_inputs is not None  # Else not a
                              else observation_inputs(task.observation_space))  # SupervisedTask.
        return Predictions(self.model, inputs, preprocess, classify=self.classify)

    def learn(self, transition: Transition) -> dict[str, float]:
        """Takes one gradient step on the batch just scored, against `info["target"]`."""
        self.build()
        inputs, targets = transition.observation, transition.info["target"]
        next_inputs = transition.next_observation
        # After an episode's last step the predictions are unused (the next act sees a new
        # episode's first batch), but one compiled function for every step traces only once.
        loss, predictions = self._train_step_and_predict(inputs, targets, next_inputs)
        self._lookahead.keep(next_inputs, predictions)
        loss = float(loss)
        if (problem := self.divergence.check(loss)) is not None:
            raise TrainingDivergedError(
                f"Training diverged: the loss {problem} at optimizer step "
                f"{int(self.optimizer.iterations.numpy())}. Lower the learning rate (now "
                f"{float(self.optimizer.learning_rate):g}), e.g. --set learning_rate=..., or "
                f"use a smaller momentum.")
        return {"loss": loss}

    def set_budget_spent(self, fraction: float) -> None:
        """Keeps the fraction of the budget spent, for the learning-rate schedule of the budget."""
        if self.budget_spent is not None:
            self.budget_spent.assign(fraction)

    def schedules(self) -> dict[str, dict[str, Any]]:
        """The learning rate's schedule (see `Agent.schedules`): the Keras schedule's class and
        settings, what it counts ("budget": the fraction of the run's budget spent, "steps":
        the optimizer's steps) and its value now; or "constant"."""
        if self.learning_rate_schedule is not None:
            keras_schedule = keras.optimizers.schedules.serialize(self.learning_rate_schedule)
            now, over = self.learning_rate_schedule(self.budget_spent), "budget"
        else:
            keras_schedule = self.optimizer.get_config()["learning_rate"]
            now, over = self.optimizer.learning_rate, "steps"
        now = float(tf.convert_to_tensor(now))  # A variable, mirrored when distributed, or not.
        if not isinstance(keras_schedule, dict):
            return {"learning_rate": {"shape": "constant", "now": now}}
        settings = {name: value for name, value in keras_schedule["config"].items()
                    if name != "name"}
        return {"learning_rate": {"shape": keras_schedule["class_name"], **settings,
                                  "over": over, "now": now}}

    def restore(self, path) -> None:
        """Restores a checkpoint written by `save` (forgetting any prediction made ahead)."""
        self._lookahead.clear()
        super().restore(path)

    def build(self) -> None:
        """Creates the model's and optimizer's variables now, eagerly, if not done yet.

        Called by the first `act` or `learn` (so `train(seed=...)` seeds the initial
        weights) and before restoring a checkpoint.
        """
        if self.optimizer.built:
            return
        with self.strategy.scope():  # Replicated variables when distributed.
            if self.model is None:
                self.model = self._make_model()
            inputs = tf.zeros((1, *self._inputs.shape[1:]), self._inputs.dtype)
            self.model(inputs, training=False)
            self.optimizer.build(self.model.trainable_variables)
        # Keras tracks some variables, such as Dropout's random state, where a checkpoint
        # does not look; listing them all makes a resumed run draw the same dropout masks.
        self._model_variables = list(self.model.variables)

    def _predict_eagerly(self, inputs: tf.Tensor) -> tf.Tensor:
        outputs = self.model(inputs, training=False)  # (batch, outputs)
        return tf.argmax(outputs, axis=-1) if self.classify else outputs

    def _train_step_eagerly(self, inputs: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            outputs = self.model(inputs, training=True)
            loss = tf.reduce_mean(self.loss(targets, outputs))
        self._apply(tape.gradient(loss, self.model.trainable_variables))
        return loss

    def _apply(self, gradients: list[Any]) -> None:
        """Applies `gradients` (one per trainable variable) with the optimizer, dense.

        A lookup such as `Embedding`'s has sparse gradients (`tf.IndexedSlices`) with a row
        per lookup, so a row read twice appears twice. Keras's optimizers update the slices
        one by one, which for Adam squares the two parts instead of their sum and takes
        bigger steps than Adam. Summed into one dense gradient, the update is Adam's.
        """
        gradients = [tf.convert_to_tensor(gradient) if isinstance(gradient, tf.IndexedSlices)
                     else gradient for gradient in gradients]
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))

    def _distributed_train_step(self, inputs: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        """The train step with the batch split across the strategy's replicas."""
        size, replicas = tf.shape(inputs)[0], self.strategy.num_replicas_in_sync

        def shard(context):  # Replica i takes rows [size * i / n, size * (i + 1) / n).
            replica = context.replica_id_in_sync_group
            start, end = size * replica // replicas, size * (replica + 1) // replicas
            return inputs[start:end], targets[start:end]

        local_inputs, local_targets = (
            self.strategy.experimental_distribute_values_from_function(shard)
        )
        losses = self.strategy.run(
            self._replica_train_step, args=(local_inputs, local_targets, size)
        )
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    def _replica_train_step(self, inputs, targets, global_size) -> tf.Tensor:
        """One replica's share: its rows' loss over the global batch's size, so the
        gradients the optimizer sums across replicas are those of the global mean loss."""
        with tf.GradientTape() as tape:
            outputs = self.model(inputs, training=True)
            losses = self._sample_losses(targets, outputs)  # (rows, *per row)
            per_row = tf.reduce_prod(tf.shape(losses)[1:])
            loss = tf.reduce_sum(losses) / tf.cast(global_size * per_row, losses.dtype)
        self._apply(tape.gradient(loss, self.model.trainable_variables))
        return loss

    def _train_step_and_predict_eagerly(self, inputs, targets, next_inputs):
        if self.learning_rate_schedule is not None:  # This step's rate, from the budget spent.
            self.optimizer.learning_rate.assign(self.learning_rate_schedule(self.budget_spent))
        if self._distributed:
            loss = self._distributed_train_step(inputs, targets)
        else:
            loss = self._train_step_eagerly(inputs, targets)
        return loss, self._predict_ahead(next_inputs)  # Reads the updated weights.


def _check_outside_strategy(model: Any, optimizer: keras.optimizers.Optimizer) -> None:
    """Refuses a model or optimizer whose variables exist already: they would not be replicated."""
    if isinstance(model, keras.Model) and model.built:
        raise ConfigError(
            f"The model {model.name!r} is built already, so its variables live outside the "
            f"distribution strategy. Pass a function that makes the model instead "
            f"(model=lambda: MyModel()), and the agent builds it in the strategy's scope."
        )
    if optimizer.built:
        raise ConfigError("The optimizer is built already; pass a new one with a strategy.")


def _unreduced(loss: Any) -> Any:
    """`loss` returning one value per row (per target) instead of their mean."""
    if isinstance(loss, keras.losses.Loss):
        return type(loss).from_config({**loss.get_config(), "reduction": None})
    return loss  # Keras's loss functions return one value per row already.


class _Lookahead:
    """The predictions `learn` made for the next batch, until `act` takes them.

    A plain object, so that `tf.Module` does not track (and checkpoint) what it holds.
    """

    def __init__(self) -> None:
        self.observation, self.predictions = None, None

    def keep(self, observation: np.ndarray, predictions: tf.Tensor) -> None:
        self.observation, self.predictions = observation, predictions

    def take(self, observation: np.ndarray) -> tf.Tensor | None:
        """The predictions made ahead if they are for this very array; forgets them either way."""
        predictions = self.predictions if observation is self.observation else None
        self.clear()
        return predictions

    def clear(self) -> None:
        self.observation, self.predictions = None, None


def build(task: gymnasium.Env, config: SupervisedConfig) -> SupervisedAgent:
    """Builds a `SupervisedAgent` for `task` from `config` (the registry's entry point)."""
    model = config.model
    if isinstance(model, str):
        model = functools.partial(make_model, model_spec(model).name)
    if not (isinstance(model, keras.Model) or callable(model)):
        raise ConfigError(f"model={model!r} is neither a Keras model nor a function making one.")
    classify = not isinstance(task.action_space, gymnasium.spaces.Box)
    return SupervisedAgent(
        model, make_optimizer(config), make_loss(config.loss, classify),
        observation_space=task.observation_space, action_space=task.action_space,
        jit_predictions=config.jit_predictions, strategy=config.strategy,
        divergence_factor=config.divergence_factor, learning_rate_schedule=budget_schedule(config),
    )
