"""``veowrap batch FILE -o DIR``: many requests from JSONL/CSV, paced, journaled, resumable."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import click

from veowrap._destination import check_directory
from veowrap._errors import JournalError, RequestValidationError
from veowrap.cli._describe import os_reason
from veowrap.cli._exit import EXIT_CODES_HELP, ExitCode
from veowrap.cli._failing import fail, guard, redact
from veowrap.cli._jobs import logging_to
from veowrap.cli._options import Output, Target, check_numbers, open_generator, service_options
from veowrap.cli._progress import BatchProgress

__all__ = ["batch"]


class _BatchGroup(click.Group):
    """``veowrap batch FILE …`` runs a batch; ``veowrap batch status …`` shows one's counts."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] != ["status"]:
            args = ["run", *args]  # the batch itself: FILE and its options
        return super().parse_args(ctx, args)


class _RunCommand(click.Command):
    """The batch run, whose usage reads ``veowrap batch [OPTIONS] FILE`` (its name is implied)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        path = ctx.parent.command_path if ctx.parent is not None else ctx.command_path
        formatter.write_usage(path, " ".join(self.collect_usage_pieces(ctx)))


@click.group(cls=_BatchGroup)
def batch() -> None:
    """Run a batch from FILE (``veowrap batch FILE -o DIR``), or show one's status."""


@batch.command("status")
@click.option(
    "--journal",
    required=True,
    metavar="FILE|URL",
    help="The batch's journal: an SQLite file or a postgresql:// URL.",
)
@click.option("--batch", "batch_name", metavar="NAME", help="The batch's name (PostgreSQL).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def batch_status(journal: str, batch_name: str | None, as_json: bool) -> None:
    """Count a batch's items per state (any worker, any time; nothing is sent).

    Exit codes: 0 when every item is done, 9 when some are not (yet), 7 when the journal
    cannot be used.
    """
    from veowrap._journals import is_postgres, open_journal

    _register_journal_password(journal)
    spec: str | Path = journal if is_postgres(journal) else Path(journal)
    if not is_postgres(journal) and not Path(journal).is_file():
        raise click.UsageError(f"no journal at {journal!r} (pass the batch's --journal)")
    try:
        opened = open_journal(spec, batch=batch_name)
    except (JournalError, RequestValidationError) as error:
        click.echo(f"error: {redact(error.message)}", err=True)
        if error.hint:
            click.echo(f"hint: {error.hint}", err=True)
        raise SystemExit(
            ExitCode.USAGE if isinstance(error, RequestValidationError) else ExitCode.LOCAL_FILES
        ) from None
    try:
        counts = opened.counts()
    finally:
        opened.close()
    total = sum(counts.values())
    if as_json:
        click.echo(json.dumps({"journal": str(opened.path), "total": total, "states": counts}))
    else:
        click.echo(f"{opened.path}: {total} items")
        for state, count in counts.items():
            click.echo(f"  {state:<11} {count}")
    if counts["done"] < total:
        raise SystemExit(ExitCode.SERVICE)


@batch.command("run", cls=_RunCommand, epilog=EXIT_CODES_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "output_dir", required=True, metavar="DIR", help="Where videos are saved."
)
@click.option(
    "--journal",
    metavar="FILE|URL",
    help="SQLite journal (default: DIR/veowrap-journal.sqlite). Rerun with it to resume. A "
    "postgresql:// URL makes this run one worker of a batch any number of runs share.",
)
@click.option(
    "--batch",
    "batch_name",
    metavar="NAME",
    help="The batch's name in a PostgreSQL journal (the first run loads it, later ones join).",
)
@click.option("--rpm", type=float, metavar="N", help="Submissions per minute (your quota).")
@click.option("--concurrency", type=int, default=4, show_default=True, metavar="N")
@click.option("--timeout", type=float, metavar="S", help="Seconds each job may wait.")
@click.option("--max-cost", type=float, metavar="USD", help="Refuse the batch if it costs more.")
@click.option(
    "--poll-interval", type=float, metavar="S", help="Poll every S seconds (default: tuned)."
)
@click.option(
    "--resend-uncertain", is_flag=True, help="Re-send items whose submission is uncertain."
)
@click.option("--retry-failed", is_flag=True, help="Re-submit items that failed earlier.")
@click.option(
    "--overwrite", is_flag=True, help="Replace existing video files in DIR (default: refuse)."
)
@service_options(offline=True)
def batch_run(
    file: Path,
    output_dir: str,
    journal: str | None,
    batch_name: str | None,
    rpm: float | None,
    concurrency: int,
    timeout: float | None,
    max_cost: float | None,
    poll_interval: float | None,
    resend_uncertain: bool,
    retry_failed: bool,
    overwrite: bool,
    target: Target,
    out: Output,
) -> None:
    """Generate every request in FILE (JSONL or CSV) into DIR, with a journal.

    Each JSONL line (or CSV row) holds VideoRequest fields (prompt, model, duration_seconds, …)
    and an optional key; videos are saved as DIR/<key>.mp4. Submissions are paced at --rpm and
    every step is journaled first: rerunning the same command after a crash skips finished
    items, resumes submitted ones and reports uncertain submissions instead of paying twice.
    Before anything is sent, FILE is read and every request checked (exit 3, naming the
    line), and DIR and the journal are checked (exit 7). Exits 0 when every item succeeded, 9
    when some did not.

    With --journal postgresql://… and --batch NAME, any number of runs (on any machines) share
    the batch: each item is sent once, by one of them, at one shared --rpm; a run that dies
    leaves its jobs to the others. `veowrap batch status --journal … --batch NAME` counts the
    items per state.
    """

    _register_journal_password(journal)

    def body() -> None:
        from veowrap._batch import summarize
        from veowrap._core import validation
        from veowrap._request_files import read_request_file

        # The numbers first: a typo must not create DIR or be hidden behind a file's errors.
        check_numbers(poll_interval=poll_interval, target=target)
        validation.batch_settings(
            concurrency=concurrency, requests_per_minute=rpm, timeout=timeout, budget=max_cost
        )
        read = read_request_file(file)
        requests, keys = [item.request for item in read], [item.key for item in read]
        directory = check_directory(output_dir)  # before anything is sent
        from veowrap._journals import is_postgres

        shared = journal is not None and is_postgres(journal)
        journal_path = Path(journal) if journal else directory / "veowrap-journal.sqlite"
        journal_spec: str | Path = journal if shared and journal is not None else journal_path
        started = time.monotonic()
        items: list[Any] = []
        with (
            open_generator(
                target, poll_interval=poll_interval, announce=not out.quiet
            ) as generator,
            BatchProgress(out.stderr, len(requests), hidden=out.quiet or out.as_json) as progress,
            logging_to(progress, out.debug),
        ):
            try:
                try:
                    # validates every request and opens the journal before anything is sent
                    outcomes = generator.generate_many(
                        requests,
                        keys=keys,
                        concurrency=concurrency,
                        requests_per_minute=rpm,
                        journal=journal_spec,
                        batch=batch_name,
                        output_dir=directory,
                        timeout=timeout,
                        resend_uncertain=resend_uncertain,
                        retry_failed=retry_failed,
                        budget=max_cost,
                        overwrite=overwrite,
                    )
                except (sqlite3.Error, OSError) as error:  # opening the journal is all it does
                    raise _journal_error(journal_path, error, started=False) from error
                except RequestValidationError as error:  # the model or platform refused one
                    raise _on_its_line(error, read, file, generator) from None
                progress.start()
                for item in outcomes:
                    items.append(item)
                    progress.advance()
                    if not out.as_json:
                        _print_item(item, progress)
            except sqlite3.Error as error:
                raise _journal_error(journal_path, error, started=True) from error
            except KeyboardInterrupt as error:
                progress.close(interrupted=True)
                fail(
                    out,
                    error,
                    notes=(_interrupted_note(len(items), len(requests), journal_spec, target),),
                )
        summary = summarize(items, time.monotonic() - started)
        if out.as_json:
            click.echo(json.dumps(_json(items, summary), indent=2))
        elif not out.quiet:
            click.echo(str(summary), err=True)
        if summary.succeeded < summary.total:
            raise SystemExit(ExitCode.SERVICE)

    guard(out, body)


def _interrupted_note(finished: int, total: int, journal: str | Path, target: Target) -> str:
    """The one line that says how to go on after Ctrl-C."""
    if target.offline:
        return (
            f"note: {finished} of {total} items finished. The --offline emulator stopped with "
            "this command and took its jobs with it, so a rerun cannot finish them: start again "
            "with a new --journal (or -o DIR), or run `veowrap emulator` and use --emulator URL "
            "for a batch that can be resumed."
        )
    return (
        f"note: {finished} of {total} items finished; submitted jobs keep running and are "
        f"recorded in the journal {str(journal)!r}. Rerun the same command to pick them up "
        "(nothing is paid twice)."
    )


def _on_its_line(
    error: RequestValidationError, read: list[Any], file: Path, generator: Any
) -> RequestValidationError:
    """The same refusal, naming the line of the request at fault (``jobs.jsonl:7.duration``)."""
    for item in read:
        try:
            generator.validate(item.request)  # the checks generate_many has just run
        except RequestValidationError as located:
            return RequestValidationError(
                f"{file.name}:{item.line}.{located.field}",
                located.value,
                located.allowed,
                reason=located.reason,
                hint=located.hint,
            )
    return error


def _register_journal_password(journal: str | None) -> None:
    """Makes every message of this command hide a --journal URL's password, from the start."""
    from veowrap._journals import is_postgres

    if journal is not None and is_postgres(journal):
        from veowrap._core.dsn import passwords
        from veowrap._redact import register_secrets

        register_secrets(passwords(journal))


def _journal_error(path: Path, error: Exception, *, started: bool) -> JournalError:
    """A typed error for a journal that fails (corrupt, locked, not a database, unwritable)."""
    if path.is_dir():
        reason = "it is a directory"
    elif isinstance(error, FileExistsError | NotADirectoryError):
        reason = "a part of its path is a file, not a directory"
    elif isinstance(error, OSError):
        reason = os_reason(error)
    else:
        reason = str(error).rstrip(".")
    if started:
        hint = (
            "Rerun the same command to resume once the journal is usable again; what it "
            "recorded is kept."
        )
    else:
        hint = "Pass --journal with this batch's journal or a new file name (nothing was sent)."
    return JournalError(
        f"The batch journal {str(path)!r} cannot be used: {reason}.", path=str(path), hint=hint
    )


def _print_item(item: Any, progress: BatchProgress) -> None:
    if item.ok:
        for path in item.paths:
            progress.echo(str(path))
        return
    progress.message(redact(f"{item.key}: {type(item.error).__name__}: {item.error.message}"))


def _json(items: list[Any], summary: Any) -> dict[str, Any]:
    return {
        "items": [
            {
                "index": item.index,
                "key": item.key,
                "ok": item.ok,
                "skipped": item.skipped,
                "paths": [str(path) for path in item.paths],
                "handle": json.loads(item.handle.to_json()) if item.handle else None,
                "error": None
                if item.ok
                else {"type": type(item.error).__name__, "message": redact(item.error.message)},
            }
            for item in sorted(items, key=lambda item: item.index)
        ],
        "summary": {
            "total": summary.total,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "uncertain": summary.uncertain,
            "skipped": summary.skipped,
            "sent": summary.sent,
            "estimated_cost_usd": summary.estimated_cost_usd,
            "wall_seconds": summary.wall_seconds,
        },
    }
