"""The options of ``generate_many``/``generate_all``, typed for type checkers and IDEs.

``AsyncVideoGenerator.generate_many`` spells them out as parameters (that is where they are
documented); ``generate_all`` and the sync generator take the same keywords, and
``tests/core/test_request_fields.py`` keeps this ``TypedDict`` in step with that signature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from veowrap._events import Event
    from veowrap._journal import Journal
    from veowrap.webhooks import Inbox

__all__ = ["BatchOptions"]


class BatchOptions(TypedDict, total=False):
    """Keyword options of a batch; see :meth:`AsyncVideoGenerator.generate_many`."""

    keys: Sequence[str | None] | None
    concurrency: int
    requests_per_minute: float | None
    journal: Journal | str | PathLike[str] | None
    output_dir: str | PathLike[str] | None
    timeout: float | None
    on_event: Callable[[Event], None] | None
    resend_uncertain: bool
    retry_failed: bool
    budget: float | None
    overwrite: bool
    webhooks: Inbox | None
