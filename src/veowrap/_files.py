"""File names and atomic, no-clobber writes: the one place veowrap puts files on disk.

- **Names.** An operation name becomes a safe file stem (:func:`file_stem`); the videos of one
  result get ``-1``, ``-2``… suffixes (:func:`video_file_name`, :func:`indexed_path`).
- **Temporary files** live next to their destination, are hidden, and are named
  ``.<name>.veowrap-partial-<pid>-<host>-<random>`` within the file system's name limit
  (:func:`temporary_name`). The pid and a digest of the host name say whose they are, so a
  later save into the same directory removes those whose process is gone
  (:func:`sweep_stale_partials`).
- **Placement** (:class:`PartialFile`): data is written and fsynced in the temporary file, then
  linked to the destination, which fails if a file appeared there meanwhile (never a silent
  overwrite), or replaced over it when overwriting was asked for. Commit and discard are
  mutually exclusive: once a waiting caller has discarded a transfer, it can never appear.
- :func:`write_bytes_atomically` does all of this for bytes in memory (handle files).
- **Reading** what a person names (request and handle files): :func:`read_regular_file`
  refuses a FIFO, a device or a socket instead of blocking on it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

__all__ = [
    "TEMP_MARK",
    "NotARegularFileError",
    "PartialFile",
    "PartialFileDiscarded",
    "file_stem",
    "indexed_path",
    "name_max",
    "place",
    "read_regular_file",
    "sweep_stale_partials",
    "temporary_name",
    "video_file_name",
    "write_bytes_atomically",
]

TEMP_MARK = ".veowrap-partial-"
#: Partial files of a process that is not provably gone are removed once this old.
STALE_AFTER = 24 * 3600.0
_DEFAULT_NAME_MAX = 255
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 100
_PARTIAL = re.compile(
    r"^\..*\.veowrap-partial-(?P<pid>\d{1,10})-(?P<host>[0-9a-f]{8})-[0-9a-f]{8}\Z", re.DOTALL
)
# Before 0.x temporary names carried no owner: `.<name>.veowrap-partial-<8 hex>`.
_LEGACY_PARTIAL = re.compile(r"^\..*\.veowrap-partial-[0-9a-f]{8}\Z", re.DOTALL)
# link() fails with these where the file system has no hard links (FAT, some FUSE and SMB).
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS, errno.EXDEV}
)

# -- names ---------------------------------------------------------------------------------


def file_stem(operation_name: str) -> str:
    """A file stem from an operation name, safe on every file system.

    Names come from the server, so they are reduced to ``[A-Za-z0-9._-]`` (they can never
    leave the directory or be hidden) and kept short (long ones keep a digest to stay
    distinct).
    """
    stem = _UNSAFE.sub("-", operation_name.rsplit("/", 1)[-1]).strip(".-") or "video"
    if len(stem) > _MAX_STEM:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
        stem = f"{stem[: _MAX_STEM - 13]}-{digest}"
    return stem


def video_file_name(operation_name: str, index: int) -> str:
    """The file name of video ``index`` of an operation: ``<stem>.mp4``, ``<stem>-1.mp4``…"""
    return f"{file_stem(operation_name)}{'' if index == 0 else f'-{index}'}.mp4"


def indexed_path(path: Path, index: int) -> Path:
    """``path`` for the first video, ``<stem>-<index><suffix>`` next to it for the others."""
    if index == 0:
        return path
    return path.with_name(f"{path.stem}-{index}{path.suffix}")


def name_max(directory: Path) -> int:
    """The longest file name, in bytes, the file system of ``directory`` takes."""
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or no answer
        return _DEFAULT_NAME_MAX


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def temporary_name(name: str, limit: int = _DEFAULT_NAME_MAX) -> str:
    """A hidden temporary name for ``name`` that fits in ``limit`` bytes.

    The owner (this process and host) and a random part are encoded at the end; the visible
    part is ``name``, shortened with a digest when the whole would be too long.
    """
    tail = f"{TEMP_MARK}{os.getpid()}-{_host_tag()}-{secrets.token_hex(4)}"
    room = min(limit, _DEFAULT_NAME_MAX) - len(tail.encode()) - 1  # 1: the leading dot
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > room:
        digest = hashlib.sha256(encoded).hexdigest()[:8]
        keep = max(0, room - len(digest) - 1)
        visible = encoded[:keep].decode("utf-8", "ignore")  # never half a character
        name = f"{visible}~{digest}"
    return f".{name}{tail}"


# -- stale partial files -------------------------------------------------------------------

_swept: set[str] = set()
_swept_lock = threading.Lock()


def _process_gone(pid: int) -> bool:
    if os.name != "posix" or pid <= 0 or pid == os.getpid():
        return False  # os.kill(pid, 0) means something else on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists, owned by someone else
        return False
    return False


def _stale(name: str, age: float, host: str) -> bool:
    if age > STALE_AFTER:
        return bool(_PARTIAL.match(name) or _LEGACY_PARTIAL.match(name))
    match = _PARTIAL.match(name)
    return bool(match and match["host"] == host and _process_gone(int(match["pid"])))


def sweep_stale_partials(directory: Path, *, force: bool = False) -> list[str]:
    """Removes veowrap's own partial files in ``directory`` that nobody will finish.

    A partial file is stale when the process that wrote it is gone from this host (a
    ``kill -9``, a power cut) or when it is older than :data:`STALE_AFTER`. Other files are
    never touched. Each directory is swept once per process unless ``force`` is given.

    Returns:
        The names removed.
    """
    key = os.path.realpath(directory)
    with _swept_lock:
        if key in _swept and not force:
            return []
        _swept.add(key)
    removed: list[str] = []
    host, now = _host_tag(), time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if TEMP_MARK not in entry.name or not entry.name.startswith("."):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if _stale(entry.name, age, host):
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


# -- placement -----------------------------------------------------------------------------


def place(temporary: Path, destination: Path, *, overwrite: bool) -> None:
    """Puts the finished ``temporary`` file at ``destination`` in one step.

    Without ``overwrite``, a hard link is made (``FileExistsError`` if anything is there,
    even if it appeared a moment ago) and the temporary name removed; where the file system
    has no hard links, the name is reserved with an exclusive create first. With
    ``overwrite``, the file replaces whatever is there.
    """
    if overwrite:
        os.replace(temporary, destination)
        return
    try:
        os.link(temporary, destination)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        _place_by_reservation(temporary, destination)
        return
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def _place_by_reservation(temporary: Path, destination: Path) -> None:
    descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    try:
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(destination)
        raise


def _sync_directory(directory: Path) -> None:
    # Makes the new name durable; not every file system can (or needs to) do this.
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        descriptor = os.open(directory, flags)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class PartialFileDiscarded(Exception):
    """The partial file was discarded (the caller gave up) before it could be committed."""


class PartialFile:
    """A temporary file next to ``destination`` that ends up there whole, or not at all.

    Args:
        destination: Where the file goes when committed.
        mode: Permission bits before the umask (0o666: the user's umask applies, as for any
            file their programs create).

    Raises:
        OSError: The temporary file cannot be created.
    """

    def __init__(self, destination: Path, *, mode: int = 0o666) -> None:
        self.destination = destination
        directory = destination.parent
        self.path = directory / temporary_name(destination.name, name_max(directory))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(self.path, flags, mode)
        self._file = os.fdopen(descriptor, "wb")
        self._lock = threading.Lock()
        self._state: Literal["open", "committed", "discarded"] = "open"

    @property
    def committed(self) -> bool:
        """Whether the file is at its destination."""
        return self._state == "committed"

    def write(self, data: bytes) -> None:
        """Appends ``data``."""
        self._file.write(data)

    def restart(self) -> None:
        """Empties the file for a new attempt."""
        self._file.seek(0)
        self._file.truncate()

    def sync(self) -> None:
        """Flushes the data to disk."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Closes the file (it stays where it is)."""
        with contextlib.suppress(OSError, ValueError):
            self._file.close()

    def commit(self, *, overwrite: bool, allowed: Callable[[], bool] = lambda: True) -> None:
        """Places the file at its destination (see :func:`place`).

        Args:
            overwrite: Replace an existing file instead of refusing.
            allowed: Checked under the lock that :meth:`discard` takes: ``False`` (the
                caller's deadline passed, the caller gave up) discards instead.

        Raises:
            PartialFileDiscarded: It was discarded, or ``allowed`` said no.
            FileExistsError: Without ``overwrite``, something is at the destination.
        """
        self.close()
        with self._lock:
            if self._state != "open" or not allowed():
                self._discard_locked()
                raise PartialFileDiscarded(str(self.destination))
            place(self.path, self.destination, overwrite=overwrite)
            self._state = "committed"
        _sync_directory(self.destination.parent)

    def discard(self) -> bool:
        """Removes the temporary file unless it was committed.

        Returns:
            ``False`` when the file had already been committed (it is at its destination).
        """
        with self._lock:
            if self._state == "committed":
                return False
            self._discard_locked()
            return True

    def _discard_locked(self) -> None:
        self._state = "discarded"
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def write_bytes_atomically(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True, mode: int = 0o666
) -> Path:
    """Writes ``data`` to ``path`` through a fsynced temporary file, in one step.

    Readers see the old file or the new one, never a part; a crash leaves at most a hidden
    partial file, removed by a later save into the directory.

    Args:
        path: The file to write; its directory is created if needed.
        data: The whole content.
        overwrite: Replace an existing file (default); if ``False``, an existing file is kept
            and ``FileExistsError`` raised.
        mode: Permission bits before the umask.

    Returns:
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = PartialFile(target, mode=mode)
    try:
        partial.write(data)
        partial.sync()
        partial.commit(overwrite=overwrite)
    finally:
        partial.close()
        partial.discard()
    return target


# -- reading -------------------------------------------------------------------------------


class NotARegularFileError(OSError):
    """A path names a named pipe, a device or a socket, which veowrap never reads.

    Attributes:
        kind: What it is, in words (``"a named pipe (FIFO)"``…).
    """

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"it is {kind}, not a regular file", path)
        self.kind = kind


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """Reads at most ``limit + 1`` bytes of a regular file, never blocking on anything else.

    A file a person names (a request file, a handle file) may be a FIFO, whose ``open``
    waits for a writer forever, or a device such as ``/dev/zero``. The path is checked with
    ``stat`` first, then opened without blocking and checked again on the open descriptor, so
    one swapped in between is refused too.

    Raises:
        NotARegularFileError: It is a FIFO, a device or a socket.
        IsADirectoryError: It is a directory.
        OSError: It cannot be opened or read (missing, permission denied…).
        ValueError: The path holds a NUL character.
    """
    _check_regular(os.stat(path).st_mode, path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as file:
        _check_regular(os.fstat(descriptor).st_mode, path)
        return file.read(limit + 1)


def _check_regular(mode: int, path: str | os.PathLike[str]) -> None:
    if stat.S_ISREG(mode):
        return
    name = os.fspath(path)
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "it is a directory", name)
    kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    raise NotARegularFileError(str(name), kind)
