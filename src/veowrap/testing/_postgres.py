"""A throwaway PostgreSQL server for tests and benchmarks, started from the machine's binaries.

``initdb`` into a temporary folder, ``pg_ctl start`` on a free port, listening only on a unix
socket in that folder (nothing on the network). PostgreSQL refuses to run as root: under root
the server runs as the ``postgres`` user (Debian's package creates it) or else ``nobody``.
Durability settings are relaxed (``fsync=off``): the data is thrown away afterwards.

    server = PostgresServer.start()
    try:
        dsn = server.create_database("demo")
        ...
    finally:
        server.destroy()
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
class PostgresServer:
    """A running throwaway server; :meth:`dsn` connects to one of its databases.

    Attributes:
        bin: The folder of the server's binaries.
        root: The temporary folder holding its data and socket.
        port: Its port (on the unix socket only).
        user: The user the server runs as (``None``: this process's user).
    """

    bin: Path
    root: Path
    port: int
    user: str | None

    @property
    def socket_dir(self) -> Path:
        """The folder of the server's unix socket."""
        return self.root / "sock"

    def dsn(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL of ``database`` (user ``veowrap``, no password)."""
        return f"postgresql://veowrap@/{database}?host={self.socket_dir}&port={self.port}"

    def _as_server(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *command] if self.user else list(command)

    def pg_ctl(self, *args: str) -> None:
        """Runs ``pg_ctl`` on this server's data folder, as the server's user."""
        subprocess.run(
            self._as_server(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), *args),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def run(self) -> None:
        """Starts the server (again) and waits until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self.pg_ctl("-o", options, "-l", str(self.root / "data" / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stops the server (``immediate``: as if it crashed)."""
        self.pg_ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stops the server at once (every connection breaks) and starts it again."""
        self.stop("immediate")
        self.run()

    def create_database(self, name: str) -> str:
        """Creates an empty database (``name``: letters, digits, ``_``); returns its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as db:
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def destroy(self) -> None:
        """Stops the server at once and deletes its folder."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @classmethod
    def start(cls) -> PostgresServer:
        """Runs ``initdb`` and starts a server in a new temporary folder.

        Raises:
            FileNotFoundError: The PostgreSQL server binaries are not installed.
            subprocess.CalledProcessError: ``initdb`` or ``pg_ctl`` failed.
        """
        return _start()


def _start() -> PostgresServer:
    # A short folder: a unix socket's path must fit in about 100 bytes.
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
    server = PostgresServer(bin=folder, root=root, port=_free_port(), user=user)
    subprocess.run(
        server._as_server(
            str(folder / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "veowrap",
            "-E", "UTF8", "--no-sync",
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    server.run()
    return server
