"""``veowrap doctor``: what veowrap sees here, with each fix in command-line words."""

from __future__ import annotations

import dataclasses

import click

from veowrap._version import __version__
from veowrap.cli._describe import in_command_line_words
from veowrap.cli._exit import ExitCode
from veowrap.cli._failing import emit_json

__all__ = ["doctor"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Show what veowrap sees here: packages, platform, credentials (names only), routes.

    Makes no network call and prints no secret. Exits 8 when a problem is an error.
    """
    try:
        from veowrap._doctor import doctor as run_doctor
    except ImportError:
        text = f"veowrap {__version__}: the doctor is not available in this version."
        if as_json:
            emit_json({"ok": None, "veowrap_version": __version__, "note": text})
        else:
            click.echo(text)
        return
    report = run_doctor()
    # The library's fixes speak Python (``client=``); here they name options and variables.
    report.problems = [
        dataclasses.replace(
            problem,
            summary=in_command_line_words(problem.summary),
            fix=in_command_line_words(problem.fix),
        )
        for problem in report.problems
    ]
    if as_json:
        emit_json({"ok": report.ok, **dataclasses.asdict(report)})
    else:
        click.echo(str(report))
    if not report.ok:
        raise SystemExit(ExitCode.CONFIGURATION)
