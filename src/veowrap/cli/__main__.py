"""``python -m veowrap.cli``: the same as the ``veowrap`` command."""

from veowrap.cli import main

if __name__ == "__main__":
    main()
