"""tfzoo's version: one place, read by the package, its build and the run directories it writes."""

__version__ = "0.2.0"
