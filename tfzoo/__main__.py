"""`python -m tfzoo`: the same as the `tfzoo` command."""

from tfzoo.tools.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
