"""Cost estimates from the catalog's published prices, and a budget guard run before submitting.

Prices are per second of output video. Most come from third-party pages and are marked
unconfirmed in the catalog; every estimate carries its price's date, source and that flag, so
a caller can decide how much to trust it. Safety-filtered videos are not billed, so an estimate
is an upper bound for a request that gets filtered.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from veowrap._catalog import Catalog, load_catalog
from veowrap._core import validation
from veowrap._environment import platform_from_environment
from veowrap._errors import BudgetExceededError, RequestValidationError
from veowrap._handle import Platform
from veowrap._request import VideoRequest

__all__ = ["CostEstimate", "check_budget", "estimate_cost"]

_FALLBACK_SECONDS = 8  # Veo 3.x and Omni default to 8 s; used for models the catalog lacks.
_FALLBACK_RESOLUTION = "720p"


@dataclass(frozen=True)
class CostEstimate:
    """The estimated cost of one request.

    Attributes:
        model: The model priced.
        platform: The platform priced.
        amount_usd: ``seconds * videos * price_per_second``, or ``None`` when no price is known.
        seconds: Output seconds per video (the request's or the model's default).
        videos: Videos the request asks for.
        resolution: Output resolution priced (the request's or the model's default).
        audio: Whether the price assumes audio.
        price_per_second: The catalog price used, or ``None``.
        as_of: When that price was read.
        source: Where it was read.
        confirmed: ``False`` when the price comes only from third-party pages.
        caveat: A sentence saying how far to trust the figure.
        currency: Always ``"USD"``.
    """

    model: str
    platform: Platform
    amount_usd: float | None
    seconds: int
    videos: int
    resolution: str
    audio: bool
    price_per_second: float | None
    as_of: datetime.date | None
    source: str | None
    confirmed: bool
    caveat: str
    currency: str = "USD"


def estimate_cost(
    request: VideoRequest,
    model: str | None = None,
    platform: Platform | None = None,
    *,
    catalog: Catalog | None = None,
    environ: Mapping[str, str] | None = None,
) -> CostEstimate:
    """Estimates what ``request`` costs on ``model`` and ``platform``.

    Unset fields take the model's defaults: its default duration (8 s for Veo 3.x), one video,
    its default resolution (720p) and its default audio setting.

    Args:
        request: The request to price.
        model: The model id it will be sent to (default: ``request.model``).
        platform: ``"gemini"`` or ``"vertex"``. By default, the only platform that offers the
            model, else the one the environment configures for ``genai.Client()``
            (``GOOGLE_GENAI_USE_VERTEXAI``); a generator's own
            :meth:`~veowrap.VideoGenerator.estimate_cost` knows its platform.
        catalog: A catalog to price from; the packaged one by default.
        environ: The environment to read (``os.environ``).

    Returns:
        The estimate; ``amount_usd`` is ``None`` when the catalog has no price for the model,
        resolution and audio setting.

    Raises:
        RequestValidationError: No model is named, or the platform cannot be told.

    Example:
        >>> e = estimate_cost(VideoRequest(prompt="a kite", duration_seconds=6,
        ...                                model="veo-3.1-generate-001"), platform="vertex")
        >>> round(e.amount_usd, 2), e.confirmed
        (2.4, False)
    """
    catalog = catalog or load_catalog()
    model = model or request.model
    if model is None:
        raise RequestValidationError(
            "model",
            None,
            "a model id",
            reason="the request names no model",
            hint="Set VideoRequest(model=...) or call estimate_cost(request, model); "
            "veowrap.models() lists them.",
        )
    if platform is None:
        platform = _platform_for(catalog, model, environ)
    caps = catalog.capabilities(model, platform)
    videos = request.number_of_videos or 1
    if caps is None:
        return CostEstimate(
            model=model,
            platform=platform,
            amount_usd=None,
            seconds=request.duration_seconds or _FALLBACK_SECONDS,
            videos=videos,
            resolution=request.resolution or _FALLBACK_RESOLUTION,
            audio=bool(request.generate_audio),
            price_per_second=None,
            as_of=None,
            source=None,
            confirmed=False,
            caveat=f"{model!r} is not in veowrap's catalog, so its price is unknown.",
        )
    seconds = request.duration_seconds or caps.default_duration or _FALLBACK_SECONDS
    resolution = request.resolution or caps.default_resolution or _FALLBACK_RESOLUTION
    if request.generate_audio is not None:
        audio = request.generate_audio
    else:
        audio = caps.audio == "always" or (caps.audio == "optional" and caps.default_audio)
    price = caps.price_for(resolution, audio)
    per_second = price.usd_per_second if price is not None else None
    if price is None or per_second is None:
        caveat = f"No published price for {caps.model} at {resolution} was found."
        amount = None
    else:
        # Rounded to a hundredth of a cent: the prices themselves are not more precise.
        amount = round(seconds * videos * per_second, 4)
        caveat = f"Estimate from published prices as of {price.as_of} ({price.source})"
        caveat += "; unconfirmed" if not price.confirmed else ""
        caveat += "; filtered videos are not billed."
    return CostEstimate(
        model=caps.model,
        platform=platform,
        amount_usd=amount,
        seconds=seconds,
        videos=videos,
        resolution=resolution,
        audio=audio,
        price_per_second=per_second,
        as_of=price.as_of if price is not None else None,
        source=price.source if price is not None else None,
        confirmed=price.confirmed if price is not None else False,
        caveat=caveat,
    )


def _platform_for(catalog: Catalog, model: str, environ: Mapping[str, str] | None) -> Platform:
    info = catalog.get(model)
    offered: list[Platform] = sorted(info.platforms) if info is not None else []
    if len(offered) == 1:
        return offered[0]
    configured = platform_from_environment(environ)
    if configured is not None and (configured in offered or not offered):
        return configured
    raise RequestValidationError(
        "platform",
        None,
        "'gemini' or 'vertex'",
        reason=f"{model} is priced on {' and '.join(offered) or 'no platform veowrap knows'}, "
        "and the environment configures neither",
        hint="Pass platform='vertex' or platform='gemini', or use "
        "generator.estimate_cost(request).",
    )


def check_budget(
    estimates: Sequence[CostEstimate], budget_usd: float, *, allow_unknown: bool = False
) -> None:
    """Refuses a request or batch whose estimated cost exceeds ``budget_usd``.

    A request without a known price cannot be shown to fit the budget, so it is refused too,
    unless ``allow_unknown=True`` (then it counts as $0 and only the known part is checked).

    Args:
        estimates: One estimate per request about to be submitted.
        budget_usd: The most the batch may cost, in dollars.
        allow_unknown: Whether requests without a known price may go ahead.

    Raises:
        BudgetExceededError: The known total exceeds the budget, or a price is unknown and
            ``allow_unknown`` is ``False``. Nothing has been submitted.
        RequestValidationError: ``budget_usd`` is negative or not a number.
    """
    validation.dollars("budget_usd", budget_usd)
    known = round(sum(e.amount_usd for e in estimates if e.amount_usd is not None), 4)
    unknown = [e for e in estimates if e.amount_usd is None]
    if unknown and not allow_unknown:
        names = ", ".join(sorted({e.model for e in unknown}))
        raise BudgetExceededError(
            f"The cost of {len(unknown)} of {len(estimates)} request(s) is unknown (no "
            f"published price for {names}), so veowrap cannot show the batch fits the budget "
            f"of ${budget_usd:.2f}; nothing was submitted. Pass allow_unknown=True to let "
            "unpriced requests through.",
            estimated_usd=known,
            budget_usd=budget_usd,
        )
    if known > budget_usd:
        raise BudgetExceededError(
            f"Estimated cost ${known:.2f} of {len(estimates)} request(s) exceeds the budget "
            f"of ${budget_usd:.2f}; nothing was submitted.",
            estimated_usd=known,
            budget_usd=budget_usd,
        )
