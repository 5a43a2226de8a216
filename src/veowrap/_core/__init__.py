"""The brain of veowrap: pure, I/O-free decisions shared by the sync and async generators.

Nothing in this package opens a socket, sleeps or reads a clock; drivers pass the time in.
"""
