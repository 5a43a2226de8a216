"""``veowrap models``: the packaged model catalog as a table or JSON."""

from __future__ import annotations

import datetime

import click

from veowrap.cli._failing import emit_json

__all__ = ["models"]


@click.command()
@click.option(
    "--platform",
    type=click.Choice(["vertex", "gemini"]),
    help="Only models offered on this platform.",
)
@click.option("--all", "show_all", is_flag=True, help="Include models that have shut down.")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog entries as JSON.")
@click.option(
    "--explain",
    "explain_model",
    metavar="MODEL",
    help="Show every rule of MODEL with its grade (documented refuses, reported warns) and source.",
)
@click.option(
    "--latency",
    "show_latency",
    is_flag=True,
    help="Show latency quantiles: the catalog's prior next to what this machine's history learned.",
)
def models(
    platform: str | None,
    show_all: bool,
    as_json: bool,
    explain_model: str | None,
    show_latency: bool,
) -> None:
    """List the models: seconds, resolutions, status, typical latency and price.

    One row per model and platform, from the catalog packaged with veowrap. With --explain
    MODEL, every rule of that model instead, each with its grade and source. With --latency,
    the latency distribution per model: the catalog's p10/p50/p90 and, where the local history
    has enough finished jobs, the learned ones.
    """
    from veowrap._catalog import models as catalog_models
    from veowrap._progress import format_seconds

    if explain_model is not None:
        _explain(explain_model, platform, as_json)
        return

    today = datetime.date.today()
    entries = [
        (info, caps)
        for info in catalog_models()
        for name, caps in info.platforms.items()
        if (platform is None or name == platform) and (show_all or caps.is_live(today))
    ]
    if show_latency:
        _latency_table([(info.id, caps.platform) for info, caps in entries], as_json)
        return
    if as_json:
        emit_json(
            [
                {"id": info.id, "display_name": info.display_name, **caps.model_dump(mode="json")}
                for info, caps in entries
            ]
        )
        return
    header = ("MODEL", "PLATFORM", "ROUTE", "SECONDS", "RESOLUTIONS", "STATUS", "TYPICAL", "USD/S")
    rows: list[tuple[str, ...]] = [header]
    for info, caps in entries:
        lifecycle = caps.lifecycle
        if lifecycle.is_shut_down(today):
            state = f"shut down {lifecycle.shutdown}"
        elif lifecycle.shutdown:
            state = f"{lifecycle.stage} until {lifecycle.shutdown}"
        else:
            state = lifecycle.stage
        prices = [p.usd_per_second for p in caps.prices if p.usd_per_second is not None]
        price = (
            "?"
            if not prices
            else f"{min(prices):.2f}"
            + (f"-{max(prices):.2f}" if max(prices) != min(prices) else "")
        )
        rows.append(
            (
                info.id,
                caps.platform,
                caps.route,
                ",".join(str(d) for d in caps.durations),
                ",".join(caps.resolutions),
                state,
                format_seconds(caps.latency.median_s),
                price,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _explain(model: str, platform: str | None, as_json: bool) -> None:
    from veowrap._catalog import load_catalog
    from veowrap._catalog._explain import explain

    catalog = load_catalog()
    info = catalog.get(model)
    if info is None:
        close = catalog.closest_ids(model)
        guess = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise click.UsageError(f"{model!r} is not in veowrap's catalog.{guess}")
    entries = [
        (name, caps)
        for name, caps in info.platforms.items()
        if platform is None or name == platform
    ]
    if not entries:
        raise click.UsageError(f"{info.id} is not offered on {platform} in veowrap's catalog.")
    if as_json:
        emit_json(
            [
                {
                    "id": info.id,
                    "platform": name,
                    "rules": [
                        {"rule": row.rule, "says": row.says, **row.evidence.model_dump(mode="json")}
                        for row in explain(caps)
                    ],
                }
                for name, caps in entries
            ]
        )
        return
    for index, (name, caps) in enumerate(entries):
        if index:
            click.echo("")
        click.echo(f"{info.id} on {name} (route: {caps.route})")
        for row in explain(caps):
            evidence = row.evidence
            click.echo(f"  {row.rule}: {row.says}")
            click.echo(f"    [{evidence.grade}, read {evidence.date}] {evidence.source}")
            if evidence.conflict:
                click.echo(f"    sources conflict: {evidence.conflict}")
    click.echo("")
    click.echo("documented rules refuse before anything is sent; reported rules warn and send.")


def _latency_table(keys: list[tuple[str, str]], as_json: bool) -> None:
    from veowrap._core.latency import MIN_SAMPLES, LatencyDistribution
    from veowrap._history import LatencyHistory, disabled_by_env, distribution_for
    from veowrap._progress import format_seconds

    history = None if disabled_by_env() else LatencyHistory()
    records: list[dict[str, object]] = []
    for model, platform in keys:
        prior = distribution_for(model, platform)
        samples = history.latencies(model, platform) if history is not None else []
        learned = LatencyDistribution.from_samples(samples) if samples else None
        records.append(
            {
                "model": model,
                "platform": platform,
                "catalog": _quantiles(prior),
                "history": _quantiles(learned),
                "samples": len(samples),
                "in_use": "history" if len(samples) >= MIN_SAMPLES else "catalog",
            }
        )
    if as_json:
        emit_json(records)
        return

    def cells(figures: object) -> str:
        if not isinstance(figures, dict):
            return "-"
        return "/".join(format_seconds(figures[q]) for q in ("p10", "p50", "p90"))

    header = ("MODEL", "PLATFORM", "CATALOG p10/p50/p90", "LEARNED p10/p50/p90", "JOBS", "USED")
    rows: list[tuple[str, ...]] = [header]
    for record in records:
        rows.append(
            (
                str(record["model"]),
                str(record["platform"]),
                cells(record["catalog"]),
                cells(record["history"]),
                str(record["samples"]),
                str(record["in_use"]),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    where = "off (VEOWRAP_NO_HISTORY)" if history is None else str(history.path)
    click.echo(
        f"\nHistory: {where}. It replaces the catalog's figures for a model once it holds "
        f"{MIN_SAMPLES} finished jobs."
    )


def _quantiles(distribution: object) -> dict[str, float] | None:
    from veowrap._core.latency import LatencyDistribution

    if not isinstance(distribution, LatencyDistribution):
        return None
    return {
        name: round(distribution.quantile(q), 1)
        for name, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
    }
