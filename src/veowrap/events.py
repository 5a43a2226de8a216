"""Events reported to ``on_event`` hooks while a generation runs.

Each is a frozen dataclass with a ``kind`` field: ``submitted``, ``polled``, ``retrying``,
``completed`` or ``failed``.
"""

from veowrap._events import Completed, Event, Failed, Polled, Retrying, Submitted

__all__ = ["Completed", "Event", "Failed", "Polled", "Retrying", "Submitted"]
