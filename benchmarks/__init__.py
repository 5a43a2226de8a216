"""veowrap's benchmarks: run ``python -m benchmarks`` (or ``--quick``); see README.md here.

Each benchmark measures veowrap against a baseline measured in the same run, on the same
machine, against the local emulator (``veowrap.testing.VeoEmulator``, 127.0.0.1 only).
"""
