"""veowrap: dependable video generation with Google's video models."""

from veowrap._version import __version__

__all__ = ["__version__"]
