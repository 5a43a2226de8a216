"""Property test: any request against any catalog model fails only in documented ways."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from veowrap._catalog import check_request, models
from veowrap._cost import estimate_cost
from veowrap._errors import RequestValidationError, UnsupportedCapabilityError
from veowrap._request import ReferenceImage, VideoMask, VideoRequest

_MODEL_IDS = [m.id for m in models()] + ["not-a-model", "models/veo-3.1-generate-001"]
_IMAGE = "gs://bucket/frame.png"


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


requests: st.SearchStrategy[dict[str, Any]] = st.builds(
    dict,
    prompt=_maybe(st.text(alphabet="abc ", min_size=1, max_size=40).filter(str.strip)),
    negative_prompt=_maybe(st.just("blur")),
    number_of_videos=_maybe(st.integers(1, 4)),
    duration_seconds=_maybe(st.integers(1, 12)),
    aspect_ratio=_maybe(st.sampled_from(["16:9", "9:16"])),
    resolution=_maybe(st.sampled_from(["360p", "720p", "1080p", "4k"])),
    person_generation=_maybe(st.sampled_from(["allow_all", "allow_adult", "dont_allow"])),
    generate_audio=_maybe(st.booleans()),
    seed=_maybe(st.integers(0, 10)),
    image=_maybe(st.just(_IMAGE)),
    last_frame=_maybe(st.just("gs://bucket/last.png")),
    reference_images=st.lists(
        st.builds(
            ReferenceImage,
            image=st.just("gs://bucket/ref.png"),
            reference_type=st.sampled_from(["asset", "style"]),
        ),
        max_size=3,
    ).map(tuple),
    video=_maybe(st.just("gs://bucket/clip.mp4")),
    mask=_maybe(st.just(VideoMask(image="gs://bucket/mask.png", mode="remove"))),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    fields=requests,
    model=st.sampled_from(_MODEL_IDS),
    platform=st.sampled_from(["gemini", "vertex"]),
    today=st.dates(datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)),
    strict=st.booleans(),
)
def test_check_request_raises_only_documented_errors(
    fields: dict[str, Any], model: str, platform: Any, today: datetime.date, strict: bool
) -> None:
    try:
        request = VideoRequest(**fields)
    except RequestValidationError:
        assume(False)
        raise
    try:
        warnings = check_request(request, model, platform, strict=strict, today=today)
    except (RequestValidationError, UnsupportedCapabilityError) as error:
        assert strict, "strict=False must never raise"
        assert str(error)
    else:
        assert all(isinstance(w, str) and w for w in warnings)
    estimate = estimate_cost(request, model, platform)
    assert estimate.amount_usd is None or estimate.amount_usd >= 0
