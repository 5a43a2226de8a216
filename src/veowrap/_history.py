"""Latency history: how long finished jobs took on this machine, in a small SQLite file.

Each finished job adds one row: when, model, platform, resolution, duration, number of videos,
outcome, and its latency (seconds from submission to the poll that saw it done, with the last
poll that saw it running as a lower bound). No prompt, no request content, no operation name
and no credential is stored. The file lives in the user cache directory
(``$VEOWRAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/veowrap``, else the platform's cache
directory) and keeps the newest :data:`MAX_ROWS` rows.

Turn it off with ``VideoGenerator(..., history=False)`` or ``VEOWRAP_NO_HISTORY=1``. History is
advice: any error reading or writing it is logged at debug level and ignored.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from veowrap._core.latency import MIN_SAMPLES, LatencyDistribution

__all__ = [
    "MAX_ROWS",
    "HistoryRow",
    "LatencyHistory",
    "cache_dir",
    "catalog_prior",
    "disabled_by_env",
    "distribution_for",
]

logger = logging.getLogger("veowrap")

#: Rows kept; older ones are deleted as new ones arrive (about 100 bytes each).
MAX_ROWS = 5000
#: Newest latencies read per key.
_READ_LIMIT = 500
#: Rows between trims of the oldest rows.
_TRIM_EVERY = 32
#: Seconds a key's latencies, once read, serve later waits of the same generator.
_READ_TTL = 60.0
#: Outcomes that measured the job's full latency (a timeout or an interruption did not).
FINISHED = ("succeeded", "filtered", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS latency (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    model TEXT NOT NULL,
    platform TEXT NOT NULL,
    resolution TEXT,
    duration_s REAL,
    videos INTEGER,
    outcome TEXT NOT NULL,
    latency_s REAL NOT NULL,
    lower_s REAL
);
CREATE INDEX IF NOT EXISTS latency_key ON latency (model, platform, videos);
"""


def disabled_by_env() -> bool:
    """Whether ``VEOWRAP_NO_HISTORY`` turns history off (any value but ``""``/``0``)."""
    return os.environ.get("VEOWRAP_NO_HISTORY", "") not in ("", "0")


def cache_dir() -> Path:
    """veowrap's cache directory (not created)."""
    if explicit := os.environ.get("VEOWRAP_CACHE_DIR"):
        return Path(explicit)
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg) / "veowrap"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "veowrap"
    if sys.platform == "win32" and (local := os.environ.get("LOCALAPPDATA")):
        return Path(local) / "veowrap" / "Cache"
    return Path.home() / ".cache" / "veowrap"


@dataclass(frozen=True)
class HistoryRow:
    """One finished job, as stored."""

    model: str
    platform: str
    outcome: str
    latency_s: float
    lower_s: float | None = None
    resolution: str | None = None
    duration_s: float | None = None
    videos: int | None = None

    @property
    def estimate(self) -> float:
        """The latency to learn from: midway between the last pending and the done poll."""
        if self.lower_s is None or self.lower_s > self.latency_s:
            return self.latency_s
        return (self.lower_s + self.latency_s) / 2


class LatencyHistory:
    """The SQLite store of latencies (see the module's description).

    Args:
        path: The database file (default: ``history.sqlite3`` in :func:`cache_dir`).
        max_rows: Rows kept.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, max_rows: int = MAX_ROWS):
        self.path = Path(path) if path is not None else cache_dir() / "history.sqlite3"
        self.max_rows = max_rows
        # Latencies read per key, reused for a minute: in a batch every job would otherwise
        # re-read (and re-learn) after each other job's row.
        self._read: dict[tuple[str, str, int | None], tuple[float, list[float]]] = {}
        # One connection per store and process, opened on first use (a job's row then costs
        # an INSERT, not a connection), shared by threads under a lock.
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._connection
            if connection is None or self._pid != os.getpid():  # a forked child reconnects
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False)
                # History is advice: no fsync per job. In WAL mode a crashed process loses at
                # most its last rows, never the file's consistency.
                connection.execute("PRAGMA synchronous = OFF")
                try:
                    connection.execute("PRAGMA journal_mode = WAL")
                    connection.executescript(_SCHEMA)
                except BaseException:
                    connection.close()
                    raise
                self._connection, self._pid = connection, os.getpid()
                # Closed with the store (a generator's store lives as long as the generator).
                weakref.finalize(self, _close_quietly, connection)
            try:
                with connection:
                    yield connection
            except BaseException:
                # Open afresh next time (the file may have been removed or replaced).
                self._connection = None
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
                raise

    def close(self) -> None:
        """Closes the store's connection (it reopens on the next use)."""
        with self._lock:
            if self._connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.close()
                self._connection = None

    def record(self, row: HistoryRow) -> bool:
        """Adds ``row`` and trims the oldest beyond ``max_rows``; ``False`` if it failed."""
        try:
            with self._connect() as db:
                cursor = db.execute(
                    "INSERT INTO latency (at, model, platform, resolution, duration_s, videos,"
                    " outcome, latency_s, lower_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        time.time(),
                        row.model,
                        row.platform,
                        row.resolution,
                        row.duration_s,
                        row.videos,
                        row.outcome,
                        row.latency_s,
                        row.lower_s,
                    ),
                )
                # Trimmed now and then, not on every row: the bound holds within a few rows.
                if (cursor.lastrowid or 0) % _TRIM_EVERY == 0 or self.max_rows < _TRIM_EVERY:
                    db.execute(
                        "DELETE FROM latency WHERE id <= (SELECT MAX(id) FROM latency) - ?",
                        (self.max_rows,),
                    )
            return True
        except (sqlite3.Error, OSError) as error:
            logger.debug("could not record latency history in %s: %s", self.path, error)
            return False

    def rows(
        self, model: str | None = None, platform: str | None = None, videos: int | None = None
    ) -> list[HistoryRow]:
        """The newest finished rows (a full latency measured), optionally for one key."""
        where = [f"outcome IN ({', '.join('?' * len(FINISHED))})"]
        values: list[object] = list(FINISHED)
        for column, value in (("model", model), ("platform", platform), ("videos", videos)):
            if value is not None:
                where.append(f"{column} = ?")
                values.append(value)
        if not self.path.exists():
            return []
        try:
            with self._connect() as db:
                found = db.execute(
                    "SELECT model, platform, outcome, latency_s, lower_s, resolution, duration_s,"
                    f" videos FROM latency WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                    (*values, _READ_LIMIT),
                ).fetchall()
        except (sqlite3.Error, OSError) as error:
            logger.debug("could not read latency history in %s: %s", self.path, error)
            return []
        return [HistoryRow(*row) for row in found]

    def latencies(self, model: str, platform: str, videos: int | None = None) -> list[float]:
        """The learnable latencies for one key (newest first), read at most once a minute."""
        key = (model, platform, videos)
        now = time.monotonic()
        cached = self._read.get(key)
        if cached is not None and now - cached[0] < _READ_TTL:
            return cached[1]
        found = [row.estimate for row in self.rows(model, platform, videos)]
        self._read[key] = (now, found)
        return found


def _close_quietly(connection: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        connection.close()


def distribution_for(
    model: str | None,
    platform: str,
    videos: int | None = None,
    history: LatencyHistory | None = None,
    *,
    min_samples: int = MIN_SAMPLES,
) -> LatencyDistribution | None:
    """The latency distribution for a job: history where it has enough samples, else the
    catalog's prior, else ``None``.

    History is looked up for the exact number of videos first, then for the model and
    platform; both need ``min_samples`` latencies.
    """
    if model is None:
        return None
    prior = catalog_prior(model, platform)
    if history is None:
        return prior
    try:
        if videos is not None:
            exact = history.latencies(model, platform, videos)
            if len(exact) >= min_samples:
                return _learned(tuple(exact))
        measured = history.latencies(model, platform)
        return _learned(tuple(measured)) if len(measured) >= min_samples else prior
    except Exception:  # history is advice: whatever is in the file, the prior still serves
        logger.debug("could not learn from the latency history", exc_info=True)
        return prior


@functools.lru_cache(maxsize=128)
def catalog_prior(model: str, platform: str) -> LatencyDistribution | None:
    """The catalog's latency figures for ``model`` on ``platform`` as a distribution."""
    try:
        from veowrap._catalog import latency

        figures = latency(model, platform)  # type: ignore[arg-type]
        return None if figures is None else LatencyDistribution.from_range(*figures)
    except Exception:  # an unknown or odd model keeps no prior
        return None


@functools.lru_cache(maxsize=32)
def _learned(samples: tuple[float, ...]) -> LatencyDistribution:
    # The same samples give the same object, so the schedule built from it is cached too.
    return LatencyDistribution.from_samples(samples)
