"""Checks of the public settings: numbers, types, paths, keys and operation names.

Every setting a caller can pass (a generator's ``timeout`` and ``max_cost_usd``, a poll
schedule, a retry policy, ``generate_many``'s options, a handle read from a file, the CLI's
options) goes through these functions before anything is sent, so that bad input costs
nothing: each either returns the value, normalised, or raises
:class:`~veowrap.RequestValidationError` naming the field, the value, what is allowed and how
to fix it.

Pure: nothing here touches the network, the file system or a clock.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from veowrap._errors import RequestValidationError

__all__ = [
    "LABEL_KEY_ALLOWED",
    "LABEL_KEY_MAX_CHARS",
    "MAX_KEY_CHARS",
    "MAX_OPERATION_NAME_CHARS",
    "MAX_PROMPT_CHARS",
    "MAX_SECONDS",
    "MAX_VIDEOS",
    "MODEL_ID_ALLOWED",
    "OPERATION_NAME_ALLOWED",
    "batch_key",
    "batch_options",
    "batch_requests",
    "batch_settings",
    "dollars",
    "fraction",
    "label_key_problem",
    "model_id",
    "model_id_problem",
    "number",
    "operation_name",
    "operation_name_problem",
    "path",
    "rate",
    "seconds",
    "whole_number",
]

MAX_SECONDS = 30 * 24 * 3600.0
"""The longest timeout or delay (30 days). Operations are kept about two days, so a longer
wait can only be a mistake; an unbounded one would overflow the clocks it is added to."""

MAX_VIDEOS = 4
"""The most videos one request (and so one operation) may ask for."""

MAX_KEY_CHARS = 200
"""The longest batch ``key``: it becomes a file name, and file systems allow 255 bytes."""

MAX_OPERATION_NAME_CHARS = 8 * 1024
"""The longest operation name accepted (real ones are under 200 characters); servers refuse
longer URLs anyway."""

OPERATION_NAME_ALLOWED = (
    "an operation name such as 'models/M/operations/ID' (Gemini API), "
    "'projects/P/locations/L/publishers/google/models/M/operations/ID' (Vertex AI), "
    "an interaction id, or a handle's JSON"
)

MAX_PROMPT_CHARS = 10_000_000
"""A structural cap on a prompt's length, against absurd input (a file read by mistake), not a
model's limit: those live in the catalog per model, with a source and a grade (Veo documents
1,024 tokens on the Gemini API). It is far above anything a Google model reads: the largest
Gemini context is 1,048,576 tokens, about 4 million characters."""

# RFC 3986 "unreserved" characters: a segment made of these means the same thing in every URL
# it is put into; no '?', '#', '%', ':', space or control character can change the request.
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")

_NUMBER_HINT = "Pass a number (an int or a float), not a string or another type."


def number(
    field: str,
    value: Any,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    allowed: str,
    hint: str | None = None,
) -> float:
    """A finite real number within bounds, as a ``float``.

    Args:
        field: The setting's name, for the message.
        value: What the caller passed.
        minimum: The smallest value allowed (inclusive).
        above: A bound the value must exceed (exclusive).
        maximum: The largest value allowed (inclusive).
        allowed: What is allowed, in words.
        hint: How to fix it, when the default hints do not fit.

    Raises:
        RequestValidationError: Not a number (a ``bool`` or ``str`` is not one), NaN,
            infinite, or out of bounds.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RequestValidationError(
            field,
            value,
            allowed,
            reason=f"it is {_a(value)}, not a number",
            hint=hint or _NUMBER_HINT,
        )
    result = float(value)
    if math.isnan(result):
        raise RequestValidationError(
            field, value, allowed, reason="it is NaN", hint=hint or "Pass a real number."
        )
    if math.isinf(result):
        raise RequestValidationError(
            field, value, allowed, reason="it is infinite", hint=hint or "Pass a finite number."
        )
    if (
        (minimum is not None and result < minimum)
        or (above is not None and result <= above)
        or (maximum is not None and result > maximum)
    ):
        raise RequestValidationError(field, value, allowed, hint=hint or f"Pass {allowed}.")
    return result


def seconds(
    field: str,
    value: Any,
    *,
    optional: bool = True,
    zero: bool = False,
    none: str = "no limit",
    example: float = 300,
) -> float | None:
    """A duration in seconds: finite, > 0 (or >= 0 with ``zero``), at most :data:`MAX_SECONDS`.

    Args:
        field: The setting's name (``timeout``, ``poll_interval``…).
        value: What the caller passed.
        optional: Whether ``None`` is allowed; it is returned as is.
        zero: Whether 0 is allowed.
        none: What ``None`` means, for the message.
        example: A sensible value, for the hint.

    Raises:
        RequestValidationError: Anything else.

    Example:
        >>> seconds("timeout", 90)
        90.0
    """
    if value is None and optional:
        return None
    bound = ">= 0" if zero else "> 0"
    allowed = f"a number of seconds {bound} and at most {MAX_SECONDS:,.0f} (30 days)"
    hint = f"Pass a finite number of seconds, e.g. {_name(field)}={example:g}"
    if optional:
        allowed += f", or None for {none}"
        hint += f", or None for {none}"
    return number(
        field,
        value,
        minimum=0.0 if zero else None,
        above=None if zero else 0.0,
        maximum=MAX_SECONDS,
        allowed=allowed,
        hint=hint + ".",
    )


def fraction(field: str, value: Any, *, below_one: bool = True) -> float:
    """A number in [0, 1) (or [0, 1] without ``below_one``), such as a jitter."""
    bound = "< 1" if below_one else "<= 1"
    result = number(field, value, minimum=0.0, maximum=1.0, allowed=f"a number >= 0 and {bound}")
    if below_one and result >= 1.0:
        raise RequestValidationError(
            field, value, f"a number >= 0 and {bound}", hint=f"Pass a number >= 0 and {bound}."
        )
    return result


def whole_number(
    field: str,
    value: Any,
    *,
    minimum: int,
    maximum: int | None = None,
    example: int | None = None,
    hint: str | None = None,
) -> int:
    """An ``int`` (not a ``bool``, not a float) within bounds."""
    hint = hint or f"Pass an int, e.g. {_name(field)}={minimum if example is None else example}."
    allowed = f"a whole number >= {minimum}"
    if maximum is not None:
        allowed = f"a whole number from {minimum} to {maximum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RequestValidationError(
            field,
            value,
            allowed,
            reason=f"it is {_a(value)}, not a whole number",
            hint=hint,
        )
    result = int(value)
    if result < minimum or (maximum is not None and result > maximum):
        raise RequestValidationError(field, value, allowed, hint=hint)
    return result


def dollars(field: str, value: Any) -> float | None:
    """A budget in US dollars: a finite number >= 0, or ``None`` (no budget)."""
    if value is None:
        return None
    return number(
        field,
        value,
        minimum=0.0,
        allowed="a number of dollars >= 0, or None for no budget",
        hint=f"Pass the most you want to spend, e.g. {field}=5.0.",
    )


def rate(field: str, value: Any) -> float | None:
    """A rate per minute: a finite number > 0, or ``None`` (unpaced).

    The calls it spaces may be at most :data:`MAX_SECONDS` apart, so the smallest rate is one
    per 30 days: anything slower only ever waits.
    """
    if value is None:
        return None
    result = number(
        field,
        value,
        above=0.0,
        allowed="a number > 0 (calls per minute), or None for no pacing",
        hint=f"Pass your quota, e.g. {field}=10, or None to send as fast as concurrency allows.",
    )
    if 60.0 / result > MAX_SECONDS:
        raise RequestValidationError(
            field,
            value,
            "at least one call per 30 days",
            reason="calls this rare would only ever wait",
            hint=f"Pass your quota in calls per minute, e.g. {field}=10.",
        )
    return result


def path(field: str, value: Any) -> str | os.PathLike[str]:
    """A file-system path: a non-empty ``str`` or ``os.PathLike`` without a NUL character."""
    allowed = "a path (str or os.PathLike) without NUL characters"
    if not isinstance(value, str | os.PathLike):
        raise RequestValidationError(
            field, value, allowed, reason=f"it is {_a(value)}", hint="Pass a str or a Path."
        )
    text = os.fspath(value)
    if not isinstance(text, str):
        raise RequestValidationError(
            field, value, allowed, reason="it is a bytes path", hint="Pass a str or a Path."
        )
    if not text:
        raise RequestValidationError(
            field, value, allowed, reason="it is empty", hint="Pass the path of a file."
        )
    if "\x00" in text:
        raise RequestValidationError(
            field,
            value,
            allowed,
            reason="it holds a NUL character",
            hint="No file system accepts NUL in a name; check how the path was built.",
        )
    return value


def batch_key(field: str, value: Any) -> str:
    """A batch item's key: a non-blank ``str`` of at most :data:`MAX_KEY_CHARS` characters."""
    if not isinstance(value, str):
        raise RequestValidationError(
            field,
            value,
            "a string",
            reason=f"it is {_a(value)}",
            hint='Keys name the saved videos, e.g. "boat" for boat.mp4; pass str(key).',
        )
    if not value.strip():
        raise RequestValidationError(
            field,
            value,
            "a key that is not blank",
            hint="Give a name, or leave the key out to have one made from the request.",
        )
    if len(value) > MAX_KEY_CHARS:
        raise RequestValidationError(
            field,
            value,
            f"at most {MAX_KEY_CHARS} characters",
            reason=f"the key has {len(value):,} characters",
            hint="Keys name the saved videos; use a shorter one.",
        )
    problem = text_problem(value)
    if problem is not None:
        raise RequestValidationError(
            field, value, "text that UTF-8 can encode", reason=problem, hint=_TEXT_HINT
        )
    _no_nul(field, value, "Keys name the saved videos and journal rows; remove the NUL.")
    return value


MAX_BATCH_NAME_CHARS = 200
"""The longest batch name of a PostgreSQL journal."""


def batch_name(field: str, value: Any) -> str:
    """A batch's name: a non-blank ``str`` of at most 200 characters, without NUL.

    PostgreSQL text cannot hold NUL: refused here, before any database is asked.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_BATCH_NAME_CHARS:
        raise RequestValidationError(
            field,
            value,
            f"a non-blank name of at most {MAX_BATCH_NAME_CHARS} characters",
            hint='Name the batch, e.g. batch="spring-campaign".',
        )
    _no_nul(field, value, 'Name the batch without it, e.g. batch="spring-campaign".')
    return value


def _no_nul(field: str, value: str, hint: str) -> None:
    """Refuses a NUL character: journals (SQLite, PostgreSQL text) cannot keep it."""
    if "\x00" in value:
        raise RequestValidationError(
            field,
            value,
            "text without NUL characters",
            reason=f"it holds a NUL character at position {value.index(chr(0)) + 1}",
            hint=hint,
        )


_TEXT_HINT = (
    "A lone surrogate (\\ud800-\\udfff) usually comes from text cut in the middle of a "
    "character or decoded with errors='surrogateescape'; fix the text at its source."
)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as UTF-8 (a lone surrogate), or ``None`` when it can."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"it has a lone surrogate U+{ord(value[error.start]):04X} at position {error.start + 1}"
        )
    return None


def batch_requests(requests: Any) -> Iterable[Any]:
    """The ``requests`` of ``generate_many``: an iterable of requests, never a lone one.

    A ``str`` is refused rather than taken as one prompt: it is iterable, and read as a batch
    it would pay for one video per character. A lone ``VideoRequest`` or a mapping is refused
    for the same reason (iterating them yields field names). The iterable is not consumed.
    """
    allowed = "an iterable (a list, say) of VideoRequest objects or prompt strings"
    hint = "Wrap a single request in a list: generate_many([request]); or use generate()."
    kind = type(requests).__name__
    if isinstance(requests, str | bytes | bytearray):
        raise RequestValidationError(
            "requests",
            requests,
            allowed,
            reason="it is a single string, whose characters would each become a request",
            hint=hint,
        )
    from pydantic import BaseModel  # only batches need it: building a generator does not

    if isinstance(requests, BaseModel | Mapping):
        raise RequestValidationError(
            "requests", requests, allowed, reason=f"it is a single {kind}", hint=hint
        )
    if not isinstance(requests, Iterable):
        raise RequestValidationError(
            "requests", requests, allowed, reason=f"it is {_a(requests)}", hint=hint
        )
    return requests


def batch_settings(
    *, concurrency: Any, requests_per_minute: Any, timeout: Any, budget: Any
) -> None:
    """Checks the numbers of a batch: concurrency, rate, per-item timeout and budget.

    Raises:
        RequestValidationError: The first setting at fault.
    """
    whole_number("concurrency", concurrency, minimum=1, example=4)
    rate("requests_per_minute", requests_per_minute)
    seconds("timeout", timeout, none="the generator's timeout")
    dollars("budget", budget)


def batch_options(
    requests: Any,
    *,
    keys: Any,
    concurrency: Any,
    requests_per_minute: Any,
    timeout: Any,
    budget: Any,
) -> None:
    """Checks ``generate_many``'s options, before its requests are read or anything is sent.

    Raises:
        RequestValidationError: The first option at fault.
    """
    batch_requests(requests)
    if keys is not None:
        if isinstance(keys, str | bytes) or not isinstance(keys, Sequence):
            raise RequestValidationError(
                "keys",
                keys,
                "a list with one key (a string, or None) per request",
                reason=f"it is {_a(keys)}",
                hint='Pass a list, e.g. keys=["boat", "kite"].',
            )
        for index, key in enumerate(keys):
            if key is not None:
                batch_key(f"keys[{index}]", key)
    batch_settings(
        concurrency=concurrency,
        requests_per_minute=requests_per_minute,
        timeout=timeout,
        budget=budget,
    )


def operation_name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be an operation name sent to the service, or ``None`` if it can.

    An operation name ends up in the path of a request that carries credentials, so only
    relative paths of plain segments pass: letters, digits, ``.``, ``_``, ``~`` and ``-``,
    separated by single slashes, with no ``.`` or ``..`` segment. That rules out traversal to
    another API path (``../../files/x``), an absolute URL, a query or fragment, percent
    escapes, and CR/LF header injection, whatever the platform.
    """
    if not isinstance(name, str):
        return f"it is {_a(name)}, not a string"
    if not name:
        return "it is empty"
    if len(name) > MAX_OPERATION_NAME_CHARS:
        return f"it is {len(name):,} characters long"
    for segment in name.split("/"):
        if not segment:
            return "it has an empty path segment (a leading, trailing or double slash)"
        if segment in (".", ".."):
            return f"it has a {segment!r} path segment"
        if not _SEGMENT.fullmatch(segment):
            bad = next(c for c in segment if not _SEGMENT.fullmatch(c))
            return f"it holds the character {bad!r}"
    return None


def operation_name(field: str, name: Any, *, hint: str | None = None) -> str:
    """Refuses an operation name that is unsafe to send (see :func:`operation_name_problem`)."""
    problem = operation_name_problem(name)
    if problem is not None:
        raise RequestValidationError(
            field,
            name,
            OPERATION_NAME_ALLOWED,
            reason=problem,
            hint=hint
            or "Use the handle veowrap saved (its .handle.json) or the operation name it printed.",
        )
    assert isinstance(name, str)
    return name


MODEL_ID_ALLOWED = (
    "a model id such as 'veo-3.1-generate-001', optionally as 'models/ID', "
    "'publishers/google/models/ID' or "
    "'projects/P/locations/L/publishers/google/models/ID' (Vertex AI)"
)

# The resource names google-genai passes through as they are (t_model): a publisher model
# name, with or without the project and location it lives in.
_PUBLISHER_NAME = re.compile(
    r"(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/google/models/(?P<id>[^/]+)"
)


def model_id_problem(model: Any) -> str | None:
    """Why ``model`` cannot name a model in a request, or ``None`` if it can.

    A model id ends up in a URL path, so each segment must be plain (letters, digits, ``.``,
    ``_``, ``~``, ``-``); ``..`` anywhere is refused because google-genai refuses it (with a
    ``ValueError`` that would otherwise surface mid-submit), as it refuses ``?`` and ``&``.
    """
    if not isinstance(model, str):
        return f"it is {_a(model)}, not a string"
    bare = model.removeprefix("models/")
    match = _PUBLISHER_NAME.fullmatch(bare)
    segments = [s for s in match.groups() if s is not None] if match else bare.split("/")
    if match is None and len(segments) > 1:
        return "it has a '/' outside a 'models/' or 'publishers/google/models/' prefix"
    for segment in segments:
        if not segment:
            return "it is empty"
        if not _SEGMENT.fullmatch(segment):
            bad = next(c for c in segment if not _SEGMENT.fullmatch(c))
            return f"it holds the character {bad!r}"
    if ".." in model:
        return "it holds '..'"
    return None


def model_id(field: str, model: Any) -> str:
    """A model id, normalised: ``models/`` and ``publishers/google/models/`` prefixes dropped.

    Both prefixes say nothing the platform does not add back (google-genai prefixes a bare id
    with ``models/`` on the Gemini API and ``publishers/google/models/`` on Vertex AI). A full
    ``projects/P/locations/L/publishers/google/models/ID`` name is kept as given: its project
    and location may differ from the client's.

    Raises:
        RequestValidationError: See :func:`model_id_problem`.

    Example:
        >>> model_id("model", "publishers/google/models/veo-3.1-generate-001")
        'veo-3.1-generate-001'
    """
    problem = model_id_problem(model)
    if problem is not None:
        raise RequestValidationError(
            field,
            model,
            MODEL_ID_ALLOWED,
            reason=problem,
            hint="Copy the id from docs/models.md or `veowrap models`.",
        )
    assert isinstance(model, str)
    bare = model.removeprefix("models/")
    if bare.startswith("publishers/"):
        return bare.removeprefix("publishers/google/models/")
    return bare


LABEL_KEY_MAX_CHARS = 63
LABEL_KEY_ALLOWED = (
    "a label key of 1-63 characters starting with a lower-case letter or an international character"
)


def label_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a Google Cloud label key, or ``None`` if it can.

    Google: "Keys must start with a lowercase letter or international character", 1 to 63
    characters (https://cloud.google.com/resource-manager/docs/creating-managing-labels,
    "Requirements for labels"); the APIs spell it ``[\\p{Ll}\\p{Lo}]…``: a lower-case letter
    (``é``) or a letter without case (``日``). Only the first character and the length are
    checked: the service judges the rest.
    """
    if not key:
        return "it is empty"
    if len(key) > LABEL_KEY_MAX_CHARS:
        return f"it is {len(key)} characters long"
    if unicodedata.category(key[0]) not in ("Ll", "Lo"):
        return f"it starts with {key[0]!r}"
    return None


def _name(field: str) -> str:
    """The keyword a field is passed as: ``PollSchedule.interval`` → ``interval``."""
    return field.rsplit(".", 1)[-1]


def _a(value: Any) -> str:
    """``a str``, ``an int``…: the type of ``value`` in words."""
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"
