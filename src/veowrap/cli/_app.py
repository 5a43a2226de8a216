"""The ``veowrap`` group, and the one place where its commands are registered.

Each command lives in a module of its own (``_generate``, ``_wait_status``, ``_batch_command``,
``_models``, ``_doctor_command``, ``_emulator_command``, ``_webhooks_command``); the options
they share come from one decorator (:func:`veowrap.cli._options.service_options`). Results go
to stdout (paths, one per line, or JSON with ``--json``); progress, warnings and errors go to
stderr. Errors are one line and a hint, never a traceback unless ``--debug``.
"""

from __future__ import annotations

from typing import Any

import click

from veowrap._version import __version__
from veowrap.cli._batch_command import batch
from veowrap.cli._doctor_command import doctor
from veowrap.cli._emulator_command import emulator
from veowrap.cli._exit import EXIT_CODES_HELP
from veowrap.cli._generate import generate
from veowrap.cli._models import models
from veowrap.cli._wait_status import cancel, status, wait
from veowrap.cli._webhooks_command import webhooks

__all__ = ["cli"]

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group("veowrap", context_settings=CONTEXT_SETTINGS, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="veowrap")
def cli() -> None:
    """Generate videos with Google's Veo and Gemini video models.

    \b
    Try it with no account:   veowrap generate --offline "a paper boat on a rainy street"
    Real run (Vertex AI):     veowrap generate --vertex --project P --location us-central1 \\
                                  -m veo-3.1-generate-001 -o boat.mp4 "a paper boat"

    Credentials come from the same environment variables as genai.Client()
    (GEMINI_API_KEY/GOOGLE_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_CLOUD_PROJECT,
    GOOGLE_CLOUD_LOCATION, GOOGLE_GEMINI_BASE_URL). `veowrap doctor` shows what is set.
    """


for _command in (generate, wait, status, cancel, batch, models, doctor, emulator, webhooks):
    cli.add_command(_command)
