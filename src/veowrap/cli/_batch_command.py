"""``veowrap batch FILE -o DIR``: many requests from JSONL/CSV, paced, journaled, resumable."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import click

from veowrap._destination import check_directory
from veowrap._errors import JournalError, RequestValidationError
from veowrap.cli._app import (
    Output,
    Target,
    _guard,
    build_generator,
    check_numbers,
    cli,
    fail,
    output_options,
    redact,
    target_options,
)
from veowrap.cli._describe import os_reason
from veowrap.cli._exit import EXIT_CODES_HELP, ExitCode

__all__ = ["batch"]


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "output_dir", required=True, metavar="DIR", help="Where videos are saved."
)
@click.option(
    "--journal",
    metavar="FILE",
    help="SQLite journal (default: DIR/veowrap-journal.sqlite). Rerun with it to resume.",
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
@target_options
@output_options
def batch(
    file: Path,
    output_dir: str,
    journal: str | None,
    rpm: float | None,
    concurrency: int,
    timeout: float | None,
    max_cost: float | None,
    poll_interval: float | None,
    resend_uncertain: bool,
    retry_failed: bool,
    overwrite: bool,
    vertex: bool,
    project: str | None,
    location: str | None,
    emulator: str | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Generate every request in FILE (JSONL or CSV) into DIR, with a journal.

    Each JSONL line (or CSV row) holds VideoRequest fields (prompt, model, duration_seconds, …)
    and an optional key; videos are saved as DIR/<key>.mp4. Submissions are paced at --rpm and
    every step is journaled first: rerunning the same command after a crash skips finished
    items, resumes submitted ones and reports uncertain submissions instead of paying twice.
    Before anything is sent, FILE is read and every request checked (exit 3, naming the
    line), and DIR and the journal are checked (exit 7). Exits 0 when every item succeeded, 9
    when some did not.
    """
    out = Output(as_json=as_json, debug=debug, quiet=quiet)
    target = Target(vertex=vertex, project=project, location=location, emulator=emulator)

    def body() -> None:
        from veowrap._batch import summarize
        from veowrap._core import validation
        from veowrap._request_files import read_request_file

        # The numbers first: a typo must not create DIR or be hidden behind a file's errors.
        check_numbers(poll_interval=poll_interval)
        validation.batch_settings(
            concurrency=concurrency, requests_per_minute=rpm, timeout=timeout, budget=max_cost
        )
        read = read_request_file(file)
        requests, keys = [item.request for item in read], [item.key for item in read]
        directory = check_directory(output_dir)  # before anything is sent
        journal_path = Path(journal) if journal else directory / "veowrap-journal.sqlite"
        generator = build_generator(target, poll_interval=poll_interval)
        started = time.monotonic()
        items: list[Any] = []
        bar = None
        try:
            try:
                # validates every request and opens the journal before anything is sent
                outcomes = generator.generate_many(
                    requests,
                    keys=keys,
                    concurrency=concurrency,
                    requests_per_minute=rpm,
                    journal=journal_path,
                    output_dir=directory,
                    timeout=timeout,
                    resend_uncertain=resend_uncertain,
                    retry_failed=retry_failed,
                    budget=max_cost,
                    # generate_many(overwrite=) comes with the batch branch.
                    **({"overwrite": True} if overwrite else {}),
                )
            except (sqlite3.Error, OSError) as error:  # opening the journal is all it touches
                raise _journal_error(journal_path, error, started=False) from error
            except RequestValidationError as error:  # the model or platform refused a request
                raise _on_its_line(error, read, file, generator) from None
            bar = _bar(len(requests), quiet or as_json)
            for item in outcomes:
                items.append(item)
                if bar is not None:
                    bar.update(1)
                if not as_json:
                    _print_item(item)
        except sqlite3.Error as error:
            raise _journal_error(journal_path, error, started=True) from error
        except KeyboardInterrupt as error:
            if bar is not None:
                bar.close()
                bar = None
            fail(
                out,
                error,
                notes=(
                    f"note: {len(items)} of {len(requests)} items finished; submitted jobs keep "
                    f"running and are recorded in the journal {str(journal_path)!r}. Rerun the "
                    "same command to pick them up (nothing is paid twice).",
                ),
            )
        finally:
            if bar is not None:
                bar.close()
            generator.close()
        summary = summarize(items, time.monotonic() - started)
        if as_json:
            click.echo(json.dumps(_json(items, summary), indent=2))
        elif not quiet:
            click.echo(str(summary), err=True)
        if summary.succeeded < summary.total:
            raise SystemExit(ExitCode.SERVICE)

    _guard(out, body)


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


def _bar(total: int, hidden: bool) -> Any:
    if hidden:
        return None
    from veowrap._progress import _load_tqdm

    return _load_tqdm()(total=total, unit="video", desc="batch", leave=False, file=sys.stderr)


def _print_item(item: Any) -> None:
    if item.ok:
        for path in item.paths:
            click.echo(str(path))
        return
    click.echo(redact(f"{item.key}: {type(item.error).__name__}: {item.error.message}"), err=True)


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
            "estimated_cost_usd": summary.estimated_cost_usd,
            "wall_seconds": summary.wall_seconds,
        },
    }
