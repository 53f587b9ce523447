"""char-rnn: the chapter's Nietzsche-writing LSTM, through tfzoo's public API.

Title: Writing Nietzsche-style text with a character LSTM
Description: The chapter reads Nietzsche's text as characters, trains an LSTM cell unrolled
over windows of 40 characters to predict the next one (1000 batches of 50, Adam 1e-3),
then writes 400 characters at the "diversities" 0.2, 0.5, 1.0 and 1.2 by sampling from
softmax(logits / temperature). Here that program is the `char-rnn` task and its agent.

    python scripts/char_rnn.py --data-dir DIR
    python scripts/char_rnn.py --preset default --data-dir DIR

DIR holds Keras's `nietzsche.txt`; without it, the text is looked for in $TFZOO_DATA_DIR and
the Keras cache, then downloaded. `--text FILE` learns any UTF-8 text instead.
"""

from __future__ import annotations

import argparse

import numpy as np

import tfzoo

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--preset", choices=["handbook", "default"], default="handbook")
parser.add_argument("--data-dir", default=None)
parser.add_argument("--text", default=None, help="a UTF-8 text file to learn instead")
parser.add_argument("--steps", type=int, default=None, help="default: the preset's")
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()
settings = {"data_dir": arguments.data_dir, "text_path": arguments.text}

"""
## The data

The chapter's `DataLoader` lower-cases the text, numbers its distinct characters in sorted
order, and draws random windows of 40 with the character after each. The task does the
same with a `Vocabulary`, keeping the last 10% of the text apart to test on.
"""

task = tfzoo.make("char-rnn", preset=arguments.preset, **settings)
vocabulary = task.unwrapped.vocabulary
print(f"{len(vocabulary)} distinct characters: {vocabulary.characters!r}")
observation, _ = task.reset(seed=arguments.seed)
print(f"a batch of windows: {observation.shape}; the first reads "
      f"{vocabulary.decode(observation[0])!r}")

"""
## The model and its training

The `handbook` preset builds the chapter's `RNN`: characters one-hot encoded, an
`LSTMCell(256)` stepped through the window in a Python loop, and a `Dense` layer from its
last output to the vocabulary. (A one-hot vector times the cell's kernel is one row of the
kernel, so tfzoo's `RNN` looks the rows up instead of multiplying: the same numbers.) The
agent trains it with Adam and sparse softmax cross-entropy, one batch per step; the return
of a pass is next-character accuracy.
"""

preset = tfzoo.spec("char-rnn").preset(arguments.preset)
print(f"char-rnn / {arguments.preset}: {preset.description}")
agent = tfzoo.make_agent("char-rnn", task, preset=arguments.preset)
tfzoo.train(agent, task, steps=arguments.steps or preset.steps, seed=arguments.seed)

"""
## How well it predicts

On the held-out text: next-character accuracy (the return of a test pass) and the
cross-entropy in nats and bits per character.
"""

test_task = tfzoo.make("char-rnn", preset=arguments.preset, **settings,
                       **tfzoo.spec("char-rnn").evaluation.task)
accuracy = tfzoo.evaluate(agent, test_task)
metrics = agent.evaluation_metrics(test_task)
print(f"test accuracy {accuracy:.4f}, {metrics['nats_per_char']:.3f} nats "
      f"({metrics['bits_per_char']:.3f} bits) per character")

"""
## Writing

As in the chapter: take a random window of text, and for each temperature write 400
characters, each drawn from `softmax(logits / temperature)` and fed back in. Low
temperatures repeat the likeliest words; high ones invent new ones.
"""

windows = test_task.unwrapped.inputs
prompt = vocabulary.decode(windows[np.random.default_rng(arguments.seed).integers(len(windows))])
print(f"prompt: {prompt!r}")
for temperature in [0.2, 0.5, 1.0, 1.2]:
    print(f"\ndiversity {temperature}:")
    tfzoo.generate(agent, prompt, 400, temperature, seed=arguments.seed,
                   stream=lambda character: print(character, end="", flush=True))
    print()
