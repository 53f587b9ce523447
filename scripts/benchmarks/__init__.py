"""The sections of scripts/benchmark.py, one module each, and the README table's filler.

- `mnist.py`: the chapter's MLP and CNN with tfzoo, `model.fit` and the chapter's loop;
- `char_rnn.py`: the chapter's character LSTM with tfzoo and as the chapter writes it;
- `cartpole.py` (and `cartpole_chapter.py`, the chapter's program): tfzoo's DQN against
  Stable-Baselines3 and the chapter;
- `cartpole_ablation.py`: the tuned DQN with each of its stabilisers switched off in turn;
- `reinforce.py`: the example plugin's REINFORCE (examples/tfzoo-reinforce) against tfzoo's
  DQN on CartPole;
- `modes.py`: tfzoo's execution modes (compiled, eager, XLA);
- `versions.py` (and `versions_measure.py`, run in each checkout): this checkout's speed
  against another checkout's;
- `readme_table.py`: the README's "chapter vs tfzoo" table, filled from the sections' JSON
  (`python scripts/benchmarks/readme_table.py`).

`scripts/benchmark.py SECTION` runs a section; scripts/ is on the import path then, so
these modules import as `benchmarks.mnist` and so on.
"""
