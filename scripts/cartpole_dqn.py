"""cartpole-dqn: the chapter's deep Q-learning on CartPole, through tfzoo's public API.

Title: Balancing a pole with deep Q-learning
Description: The chapter trains a Q-network (Dense 24, Dense 24, Dense 2) to balance
CartPole: it acts epsilon-greedily (epsilon falls from 1 to 0.01 over 100 episodes), keeps
the last 10,000 transitions in a replay buffer, and after every step takes one Adam step
(1e-3) on a batch of 32 towards `r + gamma * max_a Q(s', a)`, with gamma 1 and a reward of
-10 when an episode ends, for 500 episodes. Here that program is the `cartpole-dqn` task
and the `dqn` agent.

    python scripts/cartpole_dqn.py                      # the chapter's 500 episodes
    python scripts/cartpole_dqn.py --preset default     # tuned: solved in far fewer steps
"""

from __future__ import annotations

import argparse

import numpy as np

import tfzoo

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--preset", choices=["handbook", "default"], default="handbook")
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()

"""
## The game

The chapter plays CartPole-v1 through the old gym API, where `reset()` returned only the
observation and `step` one `done` flag. tfzoo uses Gymnasium's CartPole-v1 as it is, which
tells a fall (`terminated`) from the 500-step time limit (`truncated`). The `handbook`
preset adds the chapter's -10 on the last step, at a fall or at the limit alike, as its
single `done` flag did.
"""

task = tfzoo.make("cartpole-dqn", preset=arguments.preset)
print(f"observations: {task.observation_space}, actions: {task.action_space}")

"""
## The agent

The `dqn` agent holds the chapter's pieces: the Q-network, the replay buffer and the
epsilon schedule. The `handbook` preset sets them as the chapter does: no target network
(targets come from the network being trained), the mean squared error, gamma 1, and the
time limit treated as an end, since the old API could not tell it apart.
"""

agent = tfzoo.make_agent("cartpole-dqn", task, preset=arguments.preset)
print(agent.config)

"""
## Training

The loop is tfzoo's one act -> step -> learn loop: `act` explores epsilon-greedily, and
`learn` stores the transition and takes the gradient step. The chapter prints each
episode's score (the step index `t` at the end, one less than the episode's length).
"""


class PrintScores(tfzoo.Callback):
    def on_episode_end(self, record, state):
        if record["episode"] % 25 == 0:
            print(f"episode {record['episode']}, epsilon {record.get('epsilon', 1.0):.3f}, "
                  f"score {record['length'] - 1}")


chosen = tfzoo.spec("cartpole-dqn").preset(arguments.preset)
history = tfzoo.train(agent, task, steps=chosen.steps, episodes=chosen.episodes,
                      seed=arguments.seed, callbacks=[PrintScores()])
scores = [record["length"] - 1 for record in history.episodes]
if len(scores) >= 100:
    best = max(np.mean(scores[i:i + 100]) for i in range(len(scores) - 99))
    print(f"best 100-episode average score: {best:.1f}")

"""
## Watching the result

Greedy play (no exploration) on CartPole's own rewards: the return is the number of steps
the pole stayed up, at most 500. `tfzoo play RUN_DIR --record cartpole.gif` draws it.
"""

evaluation = tfzoo.make("cartpole-dqn")
print(f"greedy return over 10 episodes: {tfzoo.evaluate(agent, evaluation, episodes=10):.1f}")
