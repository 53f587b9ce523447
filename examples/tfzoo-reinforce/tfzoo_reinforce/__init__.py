"""tfzoo-reinforce: REINFORCE with a learned baseline, and a CartPole task, as a tfzoo plugin."""
