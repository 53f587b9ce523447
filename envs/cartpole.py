"""The task `cartpole-dqn`: Gymnasium's CartPole-v1, optionally with the chapter's failure reward.

The environment is Gymnasium's own; this module adds only the wrapper that gives the
chapter's -10 on the step that ends an episode.
"""

from __future__ import annotations

import gymnasium


class EndReward(gymnasium.Wrapper):
    """Replaces the reward of the step that ends an episode, e.g. the chapter's -10 on failure.

    Args:
        env: The environment to wrap.
        reward: The reward of the last step instead of the environment's.
        on_time_limit: Also replace it when a time limit cuts the episode short
            (`truncated`), as the chapter did: the old gym API's single `done` flag could
            not tell a failure from the time limit.
    """

    def __init__(self, env: gymnasium.Env, reward: float, on_time_limit: bool = False) -> None:
        super().__init__(env)
        self.end_reward, self.on_time_limit = float(reward), on_time_limit

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        if terminated or (truncated and self.on_time_limit):
            reward = self.end_reward
        return observation, reward, terminated, truncated, info


def make_cartpole(
    *, end_reward: float | None = None, end_reward_on_time_limit: bool = False,
    render_mode: str | None = None,
) -> gymnasium.Env:
    """Gymnasium's CartPole-v1 (episodes of at most 500 steps, solved at a return of 475).

    Args:
        end_reward: The reward of the step that ends an episode instead of CartPole's 1.0
            (the chapter's: -10.0); None keeps CartPole's rewards.
        end_reward_on_time_limit: Give `end_reward` at the 500-step time limit too.
        render_mode: "rgb_array" to record frames, "human" to watch in a window (needs
            pygame: pip install 'tfzoo[render]'), or None.
    """
    env = gymnasium.make("CartPole-v1", render_mode=render_mode)
    if end_reward is not None:
        env = EndReward(env, end_reward, end_reward_on_time_limit)
    return env
