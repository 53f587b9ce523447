"""tfzoo's built-in tasks, registered by name; each lives in its own module of this package."""

from tfzoo.registration import Preset, register

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
)
