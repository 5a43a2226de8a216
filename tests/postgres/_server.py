"""A real PostgreSQL server for the tests, started from the machine's binaries.

``initdb`` into a temporary folder, ``pg_ctl start`` on a free port, listening only on a unix
socket in that folder. PostgreSQL refuses to run as root: under root the server runs as the
``postgres`` user (Debian's package creates it) or else ``nobody``. Without the binaries the
caller skips with a reason that ``tests/conftest.py`` does not allow in CI (VEOWRAP_STRICT_SKIPS),
so CI fails loudly instead of silently not testing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MISSING = "PostgreSQL server binaries (initdb, pg_ctl) not found"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class Server:
    """A running server; ``dsn(database)`` connects to one of its databases."""

    bin: Path
    root: Path
    port: int
    user: str | None

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://veowrap@/{database}?host={self.socket_dir}&port={self.port}"

    def _as_server(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *command] if self.user else list(command)

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            self._as_server(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), *args),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self.pg_ctl("-o", options, "-l", str(self.root / "data" / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stops the server at once (every connection breaks) and starts it again."""
        self.stop("immediate")
        self.start()

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.dsn(name)


def start() -> Server:
    """initdb and start a server in a fresh temporary folder (short: socket paths are short)."""
    folder = binaries()
    if folder is None:
        raise FileNotFoundError(MISSING)
    root = Path(tempfile.mkdtemp(prefix="vwpg-"))
    os.chmod(root, 0o755)  # the server's user must reach its data and socket folders
    user = _server_user()
    for name in ("data", "sock"):
        (root / name).mkdir()
        if user is not None:
            shutil.chown(root / name, user)
    server = Server(bin=folder, root=root, port=_free_port(), user=user)
    subprocess.run(
        server._as_server(
            str(folder / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "veowrap",
            "-E", "UTF8", "--no-sync",
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    server.start()
    return server


def destroy(server: Server) -> None:
    try:
        server.stop("immediate")
    finally:
        shutil.rmtree(server.root, ignore_errors=True)
