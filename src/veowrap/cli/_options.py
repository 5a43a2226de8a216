"""The options every service command shares, and the generator they build.

One decorator, :func:`service_options`, adds them (where requests go: ``--vertex``,
``--project``, ``--location``, ``--emulator`` and, for ``generate`` and ``batch``,
``--offline``; how results are shown: ``--json``, ``-q``, ``--debug``) and hands the command a
:class:`Target` and an :class:`Output` instead of eight keyword arguments.
:func:`open_generator` turns the target into a ``VideoGenerator``: the environment's
configuration, Vertex AI settings, a running emulator, or an emulator of its own.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import click

from veowrap._progress import Expected

__all__ = [
    "Output",
    "Target",
    "check_numbers",
    "open_generator",
    "service_options",
]

DEFAULT_EMULATOR_KEY = "test-key"
DEFAULT_OFFLINE_LATENCY = 3.0
OFFLINE_POLL_INTERVAL = 0.5


@dataclass
class Target:
    """Where requests go: the environment, Vertex AI settings, an emulator URL, or --offline."""

    vertex: bool = False
    project: str | None = None
    location: str | None = None
    emulator: str | None = None
    offline: bool = False
    offline_latency: float = DEFAULT_OFFLINE_LATENCY

    def flags(self) -> list[str]:
        """The command-line flags that select this target again (for resume commands)."""
        flags: list[str] = []
        if self.emulator:
            flags += ["--emulator", self.emulator]
        if self.vertex:
            flags.append("--vertex")
        if self.project:
            flags += ["--project", self.project]
        if self.location:
            flags += ["--location", self.location]
        return flags

    @property
    def expected(self) -> Expected | None:
        """How long a job takes, when this command knows it exactly (its own emulator)."""
        latency = self.offline_latency
        return (latency, latency, latency) if self.offline else None


@dataclass
class Output:
    """How results and errors are shown."""

    as_json: bool = False
    debug: bool = False
    quiet: bool = False

    @property
    def stderr(self) -> IO[str]:
        """Where progress goes."""
        return sys.stderr


_OFFLINE_OPTIONS = [
    click.option(
        "--offline",
        is_flag=True,
        help="Run against a built-in emulator: no account, nothing billed, a real MP4.",
    ),
    click.option(
        "--offline-latency",
        type=float,
        default=DEFAULT_OFFLINE_LATENCY,
        show_default=True,
        metavar="S",
        help="Seconds the --offline emulator takes per job.",
    ),
]

_TARGET_OPTIONS = [
    click.option(
        "--vertex",
        is_flag=True,
        help="Use Vertex AI (default: GOOGLE_GENAI_USE_VERTEXAI, as genai.Client() does).",
    ),
    click.option("--project", metavar="P", help="Google Cloud project (Vertex AI)."),
    click.option("--location", metavar="L", help="Google Cloud region (Vertex AI)."),
    click.option(
        "--emulator",
        metavar="URL",
        envvar="VEOWRAP_EMULATOR_URL",
        help="Talk to a running `veowrap emulator` (Vertex AI express mode) at URL.",
    ),
]

_OUTPUT_OPTIONS = [
    click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON."),
    click.option("-q", "--quiet", is_flag=True, help="Show no progress on stderr."),
    click.option(
        "--debug", is_flag=True, help="Show tracebacks and veowrap's debug log (no secrets)."
    ),
]


def service_options(*, offline: bool = False) -> Callable[[Callable[..., None]], Any]:
    """Adds the target and output options; the command receives ``target=`` and ``out=``.

    Args:
        offline: Also offer ``--offline`` and ``--offline-latency`` (commands that submit).
    """
    options = [*(_OFFLINE_OPTIONS if offline else []), *_TARGET_OPTIONS, *_OUTPUT_OPTIONS]

    def decorate(command: Callable[..., None]) -> Any:
        @functools.wraps(command)
        def with_settings(**kwargs: Any) -> None:
            target = Target(
                vertex=kwargs.pop("vertex"),
                project=kwargs.pop("project"),
                location=kwargs.pop("location"),
                emulator=kwargs.pop("emulator"),
                offline=kwargs.pop("offline", False),
                offline_latency=kwargs.pop("offline_latency", DEFAULT_OFFLINE_LATENCY),
            )
            out = Output(
                as_json=kwargs.pop("as_json"), debug=kwargs.pop("debug"), quiet=kwargs.pop("quiet")
            )
            command(target=target, out=out, **kwargs)

        decorated: Any = with_settings
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


def check_numbers(
    *,
    timeout: float | None = None,
    poll_interval: float | None = None,
    max_cost: float | None = None,
    target: Target | None = None,
) -> None:
    """Refuses an absurd number option (0, negative, NaN, infinite) before anything else runs.

    The library refuses the same values with the same rules (``veowrap._core.validation``)
    before any network call; checking first here also puts them before the configuration and
    the output path, so a typo is reported as itself (exit 3).

    Raises:
        RequestValidationError: The first option at fault.
    """
    from veowrap._core import validation

    validation.seconds("timeout", timeout, none="the default (900 s)")
    validation.seconds("poll_interval", poll_interval, none="the default schedule", example=10)
    validation.dollars("budget", max_cost)
    if target is not None and target.offline:  # an infinite latency would never finish the job
        validation.seconds(
            "offline_latency", target.offline_latency, optional=False, zero=True, example=3
        )


@contextlib.contextmanager
def open_generator(
    target: Target, *, poll_interval: float | None = None, announce: bool = False
) -> Iterator[Any]:
    """A ``VideoGenerator`` for the target (environment variables fill in the rest).

    Under ``--offline`` a :class:`~veowrap.testing.VeoEmulator` is started first and stopped
    after the generator is closed.

    Args:
        target: Where requests go.
        poll_interval: ``--poll-interval`` (default: the tuned schedule; 0.5 s offline).
        announce: Say on stderr that an --offline emulator answers.

    Raises:
        RequestValidationError: ``--poll-interval`` is not a number of seconds > 0.
    """
    from veowrap._core.schedule import PollSchedule
    from veowrap._sync import VideoGenerator

    check_numbers(poll_interval=poll_interval)
    if poll_interval is None and target.offline:
        poll_interval = OFFLINE_POLL_INTERVAL
    settings: dict[str, Any] = {}
    if poll_interval is not None:
        settings["poll_schedule"] = PollSchedule.fixed(poll_interval)
    if target.offline or target.emulator:
        settings["history"] = False  # an emulator's latency says nothing about the service's
    with contextlib.ExitStack() as stack:
        if target.offline:
            from veowrap.testing import VeoEmulator

            emulator = stack.enter_context(VeoEmulator(latency=target.offline_latency))
            generator = VideoGenerator(client=emulator.client(vertex=True), **settings)
        elif target.emulator:
            generator = VideoGenerator(client=_emulator_client(target.emulator), **settings)
        else:
            # Only an explicit --vertex: passing vertexai=True makes google-genai ignore
            # GOOGLE_GEMINI_BASE_URL, which express-mode set-ups (and the emulator) rely on.
            generator = VideoGenerator(
                vertexai=True if target.vertex else None,
                project=target.project,
                location=target.location,
                **settings,
            )
        stack.callback(generator.close)
        if target.offline and announce:
            click.echo(
                "offline: a local emulator answers (no account, nothing billed, "
                f"{target.offline_latency:g}s per job)",
                err=True,
            )
        yield generator


def _emulator_client(url: str) -> Any:
    """A google-genai client for a running ``veowrap emulator`` (Vertex AI express mode)."""
    from google import genai
    from google.genai import types

    return genai.Client(
        vertexai=True,
        api_key=DEFAULT_EMULATOR_KEY,
        http_options=types.HttpOptions(base_url=url.rstrip("/")),
    )
