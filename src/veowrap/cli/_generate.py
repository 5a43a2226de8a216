"""``veowrap generate PROMPT``: submit, wait with progress, save, print the paths."""

from __future__ import annotations

import contextlib
from typing import Any

import click

from veowrap.cli._destinations import check_output
from veowrap.cli._exit import EXIT_CODES_HELP
from veowrap.cli._failing import guard
from veowrap.cli._jobs import HandleTracker, run_job
from veowrap.cli._options import Output, Target, check_numbers, open_generator, service_options
from veowrap.cli._progress import make_reporter

__all__ = ["generate"]


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("prompt")
@click.option("-m", "--model", help="Model id (default: the platform's default model).")
@click.option(
    "-o",
    "--output",
    default=".",
    show_default=True,
    metavar="PATH",
    help="File or directory to save to (several videos: name-1.mp4, name-2.mp4…).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace existing video files at -o (default: refuse before submitting; exit 7).",
)
@click.option("--image", metavar="PATH", help="First frame (path or gs:// URI).")
@click.option("--last-frame", metavar="PATH", help="Last frame (path or gs:// URI).")
@click.option("--duration", type=int, metavar="S", help="Video length in seconds.")
@click.option("--aspect", metavar="RATIO", help="Aspect ratio: 16:9 or 9:16.")
@click.option("--resolution", metavar="RES", help="720p, 1080p, 4k…")
@click.option("-n", "--count", type=int, metavar="N", help="Number of videos (Vertex AI: 1-4).")
@click.option("--negative-prompt", metavar="TEXT", help="What to keep out of the video.")
@click.option("--seed", type=int, help="Seed, for repeatable results (Vertex AI).")
@click.option(
    "--max-cost", type=float, metavar="USD", help="Refuse to submit if the estimate is higher."
)
@click.option(
    "--timeout",
    type=float,
    metavar="S",
    help="Seconds to wait in all (default 900). On expiry the handle is saved; exit 6.",
)
@click.option(
    "--poll-interval", type=float, metavar="S", help="Poll every S seconds (default: tuned)."
)
@click.option(
    "--cancel-on-interrupt",
    is_flag=True,
    help="On Ctrl-C, cancel the job where the route allows it (default: keep it running).",
)
@click.option(
    "--cancel-on-timeout", is_flag=True, help="Cancel the job when --timeout passes, if possible."
)
@service_options(offline=True)
def generate(
    prompt: str,
    model: str | None,
    output: str,
    overwrite: bool,
    image: str | None,
    last_frame: str | None,
    duration: int | None,
    aspect: str | None,
    resolution: str | None,
    count: int | None,
    negative_prompt: str | None,
    seed: int | None,
    max_cost: float | None,
    timeout: float | None,
    poll_interval: float | None,
    cancel_on_interrupt: bool,
    cancel_on_timeout: bool,
    target: Target,
    out: Output,
) -> None:
    """Generate video(s) from PROMPT, save them, and print their paths.

    A live progress line on stderr shows the elapsed time against the model's typical
    latency. Ctrl-C stops waiting (the job keeps running unless --cancel-on-interrupt), saves
    the handle to <output>.handle.json and prints the `veowrap wait` command that resumes it.
    """
    fields: dict[str, Any] = {
        name: value
        for name, value in {
            "model": model,
            "image": image,
            "last_frame": last_frame,
            "duration_seconds": duration,
            "aspect_ratio": aspect,
            "resolution": resolution,
            "number_of_videos": count,
            "negative_prompt": negative_prompt,
            "seed": seed,
        }.items()
        if value is not None
    }

    def body() -> None:
        check_numbers(
            timeout=timeout, poll_interval=poll_interval, max_cost=max_cost, target=target
        )
        check_output(output, overwrite=overwrite, videos=count or 1)
        with contextlib.ExitStack() as stack:
            generator = stack.enter_context(
                open_generator(target, poll_interval=poll_interval, announce=not out.quiet)
            )
            reporter = make_reporter(out.stderr, quiet=out.quiet, expected=target.expected)
            stack.callback(reporter.close)
            run_job(
                out,
                target=target,
                output=output,
                reporter=reporter,
                # The handle file is written at submission, except offline (that emulator
                # ends with the command, so its jobs cannot be resumed).
                tracker=HandleTracker(output=None if target.offline else output),
                job=lambda hook: generator.generate(
                    prompt,
                    timeout=timeout,
                    on_event=hook,
                    cancel_on_timeout=cancel_on_timeout,
                    budget=max_cost,
                    **fields,
                ),
                cancel=generator.cancel if cancel_on_interrupt else None,
                overwrite=overwrite,
            )

    guard(out, body)
