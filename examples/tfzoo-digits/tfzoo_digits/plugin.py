"""What this plugin registers: the model `digits-mlp` and the task `digits`, with its presets
and reference card. Registration imports nothing heavy: the entry points are strings, imported
the first time the task is made."""

import tfzoo
from tfzoo.cards import Card, Check, Expected

tfzoo.register_model("digits-mlp", "tfzoo_digits.digits:small_mlp",
                     description="Flatten, Dense 256 ReLU, dropout 0.2, Dense 10.")

tfzoo.register(
    "digits",
    entry_point="tfzoo_digits.digits:Digits",
    agent="supervised",  # tfzoo's own agent: any Keras model, fitted to the revealed targets.
    description="scikit-learn's 8x8 digits (a tfzoo-digits plugin); test return is accuracy.",
    evaluation=tfzoo.Evaluation({"split": "test", "batch_size": None}, gallery="images"),
    agent_kwargs={"optimizer": "adam"},
    presets={
        "handbook": tfzoo.Preset(
            "The chapter's MNIST program on these digits: MLP (Dense 100 ReLU, Dense 10), "
            "Adam 1e-3, 1000 batches of 50.",
            task={"batch_size": 50}, agent={"model": "mlp", "learning_rate": 1e-3},
            steps=1000,
        ),
        "quick": tfzoo.Preset(
            "A few seconds, for trying the plugin out: the handbook's settings for 200 batches.",
            task={"batch_size": 50}, agent={"model": "mlp", "learning_rate": 1e-3},
            steps=200,
        ),
        "default": tfzoo.Preset(
            "Tuned: digits-mlp (Dense 256, dropout 0.2), batches of 32, Adam 2e-3 for three "
            "quarters of the budget then a cosine decay to 0, 1,500 batches (36 epochs).",
            task={"batch_size": 32},
            agent={"model": "digits-mlp", "learning_rate": 2e-3, "schedule": "cosine",
                   "decay_start": 0.75},
            steps=1500,
        ),
    },
    card=Card(
        expected={
            "handbook": Expected("eval_return", 0.977, "1000 batches of 50, 2 s",
                                 "tfzoo train digits --preset handbook, seeds 0-2"),
            "default": Expected("eval_return", 0.9815, "1500 batches of 32, 2-3 s",
                                "tfzoo train digits, seeds 0-2: 0.9822, 0.9800, 0.9822"),
        },
        check=Check("handbook", steps=1000, metric="eval_return", threshold=0.95,
                    quick_steps=200, quick_threshold=0.85),
    ),
)
