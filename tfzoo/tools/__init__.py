"""User tools: the `tfzoo` command and what its commands call (doctor, plots, galleries,
recordings, learning checks).

The top layer: it may import everything below it, and nothing imports it.
"""
