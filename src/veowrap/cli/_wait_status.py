"""The commands that take a HANDLE: ``wait``, ``status`` and ``cancel``."""

from __future__ import annotations

import click

from veowrap.cli._destinations import check_output
from veowrap.cli._exit import EXIT_CODES_HELP
from veowrap.cli._failing import emit_json, guard, handle_json, redact
from veowrap.cli._handles import load_handle
from veowrap.cli._jobs import HandleTracker, run_job
from veowrap.cli._options import Output, Target, check_numbers, open_generator, service_options
from veowrap.cli._progress import make_reporter

__all__ = ["cancel", "status", "wait"]


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("handle")
@click.option(
    "-o", "--output", default=".", show_default=True, metavar="PATH", help="File or directory."
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace existing video files at -o (default: refuse before waiting; exit 7).",
)
@click.option("--timeout", type=float, metavar="S", help="Seconds to wait (default 900).")
@click.option(
    "--poll-interval", type=float, metavar="S", help="Poll every S seconds (default: tuned)."
)
@click.option(
    "--cancel-on-interrupt", is_flag=True, help="On Ctrl-C, cancel the job where possible."
)
@service_options()
def wait(
    handle: str,
    output: str,
    overwrite: bool,
    timeout: float | None,
    poll_interval: float | None,
    cancel_on_interrupt: bool,
    target: Target,
    out: Output,
) -> None:
    """Wait for a submitted job, save its video(s) and print their paths.

    HANDLE is a .handle.json file (as `veowrap generate` saves on Ctrl-C or timeout), a
    handle's JSON, or an operation name.
    """

    def body() -> None:
        check_numbers(timeout=timeout, poll_interval=poll_interval)
        operation, source = load_handle(handle)
        check_output(
            output, overwrite=overwrite, videos=operation.expected_videos or 1, handle=operation
        )
        with (
            open_generator(target, poll_interval=poll_interval) as generator,
            make_reporter(out.stderr, quiet=out.quiet, handle=operation) as reporter,
        ):
            run_job(
                out,
                target=target,
                output=output,
                reporter=reporter,
                tracker=HandleTracker(operation),
                job=lambda hook: generator.wait(operation, timeout=timeout, on_event=hook),
                cancel=generator.cancel if cancel_on_interrupt else None,
                handle_file=source,
                overwrite=overwrite,
            )

    guard(out, body)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("handle")
@service_options()
def status(handle: str, target: Target, out: Output) -> None:
    """Show a job's state with one status read (exit 0 whatever the state).

    HANDLE is a .handle.json file, a handle's JSON, or an operation name.
    """

    def body() -> None:
        operation, _ = load_handle(handle)
        with open_generator(target) as generator:
            current = generator.status(operation)
        state = current.state
        if current.done and state == "succeeded" and not current.videos and current.filtered_count:
            state = "filtered"
        error = None
        if current.error_code is not None or current.error_message:
            error = {"code": current.error_code, "message": current.error_message}
        if out.as_json:
            emit_json(
                {
                    "name": current.name,
                    "done": current.done,
                    "state": state,
                    "videos": len(current.videos),
                    "filtered_count": current.filtered_count,
                    "filtered_reasons": list(current.filtered_reasons),
                    "error": error,
                    "handle": handle_json(operation),
                }
            )
            return
        rows = [
            ("operation", current.name),
            ("platform", f"{operation.platform} ({operation.route})"),
            ("model", operation.model or "unknown"),
            ("state", state),
        ]
        if current.done:
            rows.append(("videos", str(len(current.videos))))
        if current.filtered_count:
            rows.append(
                ("filtered", f"{current.filtered_count}: " + "; ".join(current.filtered_reasons))
            )
        if error:
            rows.append(("error", f"{error['code']}: {error['message']}"))
        for label, value in rows:
            click.echo(f"{label:<10} {redact(str(value))}")

    guard(out, body)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("handle")
@service_options()
def cancel(handle: str, target: Target, out: Output) -> None:
    """Cancel a job where its route allows it (Gemini interactions; not Veo operations).

    HANDLE is a .handle.json file, a handle's JSON, or an operation name. Cancelling a Veo
    operation exits 8: google-genai cannot cancel those; the job finishes on its own.
    """

    def body() -> None:
        operation, _ = load_handle(handle)
        with open_generator(target) as generator:
            generator.cancel(operation)
        if out.as_json:
            emit_json({"cancelled": True, "handle": handle_json(operation)})
        else:
            click.echo(f"cancelled {operation.name}")

    guard(out, body)
