"""tfzoo's built-in tasks, registered by name; each lives in its own module of this package."""

from tfzoo.cards import Card, Check, Evaluation, Expected
from tfzoo.registration import Preset, register

# `tfzoo tune`'s default search spaces, as data (tfzoo/runs/search_space.py says how to read
# them): around each task's hand-tuned default, wide enough to find it from elsewhere.
LINEAR_SPACE = {
    "agent.learning_rate": {"float": [0.001, 0.1], "log": True},
    "agent.momentum": {"float": [0.0, 0.95]},
}
MNIST_SPACE = {  # The schedule stays the preset's: decay_start needs the default's cosine.
    "agent.learning_rate": {"float": [0.0003, 0.01], "log": True},
    "task.batch_size": {"categorical": [64, 128, 256]},
}
CHAR_SPACE = {
    "agent.learning_rate": {"float": [0.001, 0.01], "log": True},
    "agent.units": {"categorical": [256, 512]},
    "agent.dropout": {"float": [0.0, 0.4]},
    "task.batch_size": {"categorical": [32, 64, 128]},
}
DQN_SPACE = {
    "agent.learning_rate": {"float": [0.0003, 0.003], "log": True},
    "agent.gamma": {"float": [0.95, 0.995]},
    "agent.batch_size": {"categorical": [64, 128, 256]},
    "agent.train_freq": {"categorical": [4, 8, 16]},
    "agent.gradient_steps": {"categorical": [2, 4, 8]},
    "agent.target_update_interval": {"int": [50, 500], "step": 50},
    "agent.hidden_sizes": {"categorical": [[64, 64], [128, 128], [256, 256]]},
    "agent.exploration_fraction": {"float": [0.05, 0.3]},
}

register(
    "linear-regression",
    entry_point="tfzoo.envs.linear_regression:LinearRegression",
    agent="supervised",
    description="The chapter's y = Xw + b on two samples, fitted by gradient descent.",
    presets={
        "handbook": Preset(
            "The chapter's program: Linear (zero-initialised Dense(1)), plain SGD with "
            "learning rate 0.01, 100 full-batch steps.",
            agent={"model": "linear", "optimizer": "sgd", "learning_rate": 0.01},
            steps=100,
        ),
        "default": Preset(
            "Heavy-ball momentum tuned to the data's curvature: the minimum-norm "
            "least-squares fit (training MSE < 1e-6) in 100 full-batch steps.",
            agent={"model": "linear", "optimizer": "sgd", "learning_rate": 0.036,
                   "momentum": 0.68},
            steps=100,
        ),
    },
    search_space=LINEAR_SPACE,
    card=Card(
        expected={
            "handbook": Expected("train_return", -0.1502, "100 SGD steps",
                                 "chapter's program: training MSE 0.1502"),
            "default": Expected("eval_return", 0.0, "100 steps",
                                "tfzoo: MSE < 1e-6 (the least-squares fit)"),
        },
        check=Check("default", steps=100, metric="eval_return", threshold=-1e-4,
                    quick_steps=100, quick_threshold=-1e-4),
    ),
)

def _register_mnist(id: str, *, network: str, model: str, accuracy: float, time: str,
                    chapter: float, tuning: str, epochs: int, tuned_accuracy: float,
                    tuned_time: str, tuned_seeds: str, threshold: float,
                    quick_steps: int) -> None:
    """Registers one of the chapter's MNIST classifiers: its program as the handbook preset
    and a tuned default, both trained by the supervised agent with Adam 1e-3.

    Args:
        id: The task id.
        network, model: The chapter's network in words, and its name in the model registry.
        accuracy, time, chapter: The handbook's expected accuracy and time; the chapter's.
        tuning, epochs: What the default adds to the chapter's model, and its epochs.
        tuned_accuracy, tuned_time, tuned_seeds: The default's expected accuracy and time,
            and the seeds its accuracy is the mean of.
        threshold, quick_steps: The handbook accuracy `tfzoo check` requires; its quick steps.
    """
    tuned_steps = epochs * 469  # Batches of 128 in the 60,000 training images, per epoch.
    register(
        id,
        entry_point="tfzoo.envs.mnist:MNIST",
        agent="supervised",
        description=f"The chapter's {model.upper()} on MNIST digits; the return on the test "
                    f"split is accuracy.",
        evaluation=Evaluation({"split": "test", "batch_size": 500}, gallery="images"),
        agent_kwargs={"optimizer": "adam"},
        presets={
            "handbook": Preset(
                f"The chapter's program: {network}, Adam 1e-3, 1000 batches of 50.",
                task={"batch_size": 50}, agent={"model": model, "learning_rate": 1e-3},
                steps=1000,
            ),
            "default": Preset(
                f"Tuned for accuracy per second: {tuning}, images shifted by up to 2 pixels in "
                f"training, batches of 128, Adam 1e-3 for the first three quarters of the "
                f"budget ({epochs} epochs), then a cosine decay to 0 over the last quarter.",
                task={"batch_size": 128},
                agent={"model": f"{model}-tuned", "learning_rate": 1e-3, "schedule": "cosine",
                       "decay_start": 0.75},
                steps=tuned_steps,
            ),
        },
        search_space=MNIST_SPACE,
        card=Card(
            expected={
                "handbook": Expected("eval_return", accuracy, f"1000 batches of 50, {time}",
                                     f"chapter: {chapter}; scripts/benchmark.py mnist, seeds 0-2"),
                "default": Expected("eval_return", tuned_accuracy, f"{epochs} epochs, {tuned_time}",
                                    f"scripts/benchmark.py mnist, seeds {tuned_seeds}"),
            },
            check=Check("handbook", steps=1000, metric="eval_return", threshold=threshold,
                        quick_steps=quick_steps, quick_threshold=0.7),
        ),
    )


_register_mnist(
    "mnist-mlp", network="MLP (Dense 100 ReLU, Dense 10)", model="mlp",
    accuracy=0.9478, time="2 s", chapter=0.9479,
    tuning="two hidden layers of 512 with dropout 0.2", epochs=9,
    tuned_accuracy=0.9875, tuned_time="45 s", tuned_seeds="0-2", threshold=0.93,
    quick_steps=100,
)
_register_mnist(
    "mnist-cnn", network="CNN (two 5x5 conv + pool, Dense 1024, Dense 10)", model="cnn",
    accuracy=0.9858, time="39 s", chapter=0.9881,
    tuning="the chapter's CNN with dropout 0.5 before its last layer", epochs=8,
    tuned_accuracy=0.9958, tuned_time="5.3 min", tuned_seeds="0-1", threshold=0.975,
    quick_steps=30,
)

register(
    "char-rnn",
    entry_point="tfzoo.envs.char_rnn:CharText",
    agent="char-model",
    description="Next-character prediction on Nietzsche; test return is accuracy, plus bits/char.",
    evaluation=Evaluation({"split": "test", "batch_size": 500, "shuffle": False, "stride": None}),
    # A pass over the train split is ~10,000 batches: episodes of 100 batches give progress
    # rows, checkpoints and callbacks along the way (a test pass is a few batches).
    max_episode_steps=100,
    presets={
        "handbook": Preset(
            "The chapter's program: RNN (LSTMCell 256 unrolled over windows of 40, last "
            "character only; FastRNN, the same numbers faster), Adam 1e-3, 1000 batches of "
            "50 windows.",
            task={"window": 40, "batch_size": 50, "target": "last"},
            agent={"model": "rnn-fast", "units": 256, "learning_rate": 1e-3,
                   "jit_predictions": True},
            steps=1000,
        ),
        "default": Preset(
            "Tuned for test bits per character in under a quarter of an hour: CharLSTM "
            "(embedding 64, LSTM 512, dropout 0.25) predicting every position of windows of "
            "100 drawn from anywhere in the text, 1060 batches of 64, Adam 4e-3 for the first "
            "three quarters of the budget, then a cosine decay to 0 over the last quarter.",
            task={"window": 100, "batch_size": 64, "target": "all"},
            agent={"model": "char-lstm", "units": 512, "dropout": 0.25, "learning_rate": 4e-3,
                   "schedule": "cosine", "decay_start": 0.75},
            steps=1060,
        ),
    },
    search_space=CHAR_SPACE,
    card=Card(
        expected={
            "handbook": Expected("eval_bits_per_char", 3.48, "1000 batches of 50, 55-68 s",
                                 "chapter: 2.37 nats (3.42 bits); scripts/benchmark.py char-rnn"),
            "default": Expected("eval_bits_per_char", 1.921, "1060 batches of 64, 10-13 min",
                                "scripts/benchmark.py char-rnn, seed 0"),
        },
        check=Check("handbook", steps=1000, metric="eval_bits_per_char", threshold=3.7,
                    quick_steps=40, quick_threshold=4.5, higher_is_better=False),
    ),
)

CARTPOLE_SOLVED = 475.0  # Gymnasium's reward threshold for CartPole-v1.
# The chapter's DQN settings: its CartPole program's, the handbook preset of both DQN tasks.
CHAPTER_DQN = {"hidden_sizes": (24, 24), "learning_rate": 1e-3, "gamma": 1.0, "batch_size": 32,
               "buffer_size": 10_000, "learning_starts": 0, "train_freq": 1, "gradient_steps": 1,
               "target_update_interval": 0, "double_dqn": False, "loss": "mse",
               "max_grad_norm": None, "exploration_start": 1.0, "exploration_end": 0.01,
               "exploration_duration": 99, "exploration_unit": "episodes",
               "exploration_fraction": None, "exploration_repeat": None,
               "learning_rate_end": None, "bootstrap_truncated": False}

register(
    "cartpole-dqn",
    entry_point="tfzoo.envs.cartpole:make_cartpole",
    agent="dqn",
    description="Gymnasium's CartPole-v1 balanced by DQN; solved at a mean return of 475.",
    # On CartPole's own rewards, 100 episodes. DQN on CartPole can collapse after solving it:
    # runs evaluate every 1,000 steps (10 greedy episodes) and keep the best policy, as
    # rl-baselines3-zoo keeps best_model.
    evaluation=Evaluation({"end_reward": None}, episodes=100, interval=1000,
                          interval_episodes=10),
    reward_threshold=CARTPOLE_SOLVED,
    presets={
        "handbook": Preset(
            "The chapter's program: QNetwork (Dense 24, 24, 2), Adam 1e-3, gamma 1, reward "
            "-10 when an episode ends, replay of 10,000, batches of 32, one gradient step "
            "per environment step, no target network, epsilon 1 -> 0.01 over 100 "
            "episodes, 500 episodes.",
            task={"end_reward": -10.0, "end_reward_on_time_limit": True},
            agent=CHAPTER_DQN, episodes=500,
        ),
        "default": Preset(
            "Tuned to solve CartPole in few steps and seconds, and to stay solved: QNetwork "
            "(128, 128), gamma 0.98, MSE, a target network copied every 50 gradient steps, 4 "
            "gradient steps of 256 every 4 environment steps, epsilon 1 -> 0.02 over the "
            "first tenth of the budget, 30,000 steps. What keeps the final policy solved "
            "(scripts/benchmark.py cartpole-ablation, seeds 0-9: collapses without each): no "
            "gradient steps after a training episode that returned 475 until one returns less "
            "(every seed collapses without), Adam's learning rate falling linearly from 2e-3 "
            "to 1e-4 over the budget, batches of 256 (not 64), gradient clipping at norm 10 "
            "and the target network.",
            agent={"hidden_sizes": (128, 128), "learning_rate": 2e-3, "learning_rate_end": 1e-4,
                   "gamma": 0.98, "batch_size": 256, "buffer_size": 100_000,
                   "learning_starts": 1000, "train_freq": 4,
                   "gradient_steps": 4, "target_update_interval": 50, "double_dqn": False,
                   "loss": "mse", "exploration_end": 0.02, "exploration_fraction": 0.1,
                   "exploration_repeat": None, "solved_return": CARTPOLE_SOLVED},
            steps=30_000,
        ),
    },
    search_space=DQN_SPACE,
    card=Card(
        expected={
            "handbook": Expected("best 100-episode score", 499.0, "500 episodes",
                                 "chapter: 196 after 238 episodes; scripts/benchmark.py "
                                 "cartpole, seed 0"),
            "default": Expected("eval_return", 500.0, "30,000 steps, 5-22 s",
                                "the final policy, not the best kept: IQM over seeds 0-9 of "
                                "scripts/benchmark.py cartpole-ablation, 10 of 10 >= 475, "
                                "no collapse, first 475 at a median 13,217 steps"),
        },
        # The final policy is judged, not the best one kept: a collapse fails the check.
        check=Check("default", steps=30_000, metric="eval_return", threshold=CARTPOLE_SOLVED,
                    quick_steps=3000, quick_threshold=100.0),
    ),
)

MOUNTAIN_CAR_SOLVED = -110.0  # Gymnasium's reward threshold for MountainCar-v0.

register(
    "mountaincar-dqn",
    entry_point="tfzoo.envs.mountain_car:make_mountain_car",
    agent="dqn",
    description="Gymnasium's MountainCar-v0 driven by DQN; solved at a mean return of -110.",
    # The final policy still churns after it first reaches the flag (see the card), so runs
    # keep the best policy; 30 episodes an evaluation, so that the one kept is the best
    # policy and not the one that met the luckiest ten starts.
    evaluation=Evaluation(episodes=100, interval=5000, interval_episodes=30),
    reward_threshold=MOUNTAIN_CAR_SOLVED,
    presets={
        "handbook": Preset(
            "The chapter's CartPole program on MountainCar: QNetwork (Dense 24, 24, 3), Adam "
            "1e-3, gamma 1, replay of 10,000, batches of 32, one gradient step per "
            "environment step, no target network, epsilon 1 -> 0.01 over 100 episodes "
            "(one-step random actions), 500 episodes.",
            agent=CHAPTER_DQN, episodes=500,
        ),
        "default": Preset(
            "The dqn agent's own defaults, 120,000 steps: rl-baselines3-zoo's MountainCar-v0 "
            "settings (QNetwork (256, 256), gamma 0.98, Huber, 8 gradient steps of 128 every "
            "16 environment steps, replay of 10,000, epsilon 1 -> 0.07 over the first fifth), "
            "and what exploring and keeping the policy took (scripts/benchmark.py "
            "mountaincar): each random action held for a zeta(2)-distributed number of steps "
            "(ez-greedy), so that random driving builds up the momentum to reach the flag; the "
            "target network copied every 100 gradient steps (not 300), so that the value of "
            "reaching it spreads back sooner; Adam's rate falling from 2e-3 to 1e-4 over the "
            "budget, so that late updates churn the policy less.",
            steps=120_000,
        ),
    },
    search_space=DQN_SPACE,
    card=Card(
        expected={
            "handbook": Expected("eval_return", -200.0, "500 episodes, 103 s",
                                 "the final policy never reaches the flag; the best kept: "
                                 "-139.8; tfzoo train mountaincar-dqn --preset handbook, seed 0"),
            "default": Expected("eval_return", -101.4, "120,000 steps, 95-127 s",
                                "the final policy, mean over seeds 0-4 of scripts/benchmark.py "
                                "mountaincar: 4 of 5 >= -110 (the worst -110.5); the best "
                                "kept: mean -98.1, 5 of 5 >= -110"),
        },
        # The best policy kept is judged: the final one churns (its figure above).
        check=Check("default", steps=120_000, metric="best_eval_return",
                    threshold=MOUNTAIN_CAR_SOLVED, quick_steps=40_000, quick_threshold=-190.0),
    ),
)
