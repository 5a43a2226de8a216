"""Fuzzed ``VideoRequest`` arguments: a request or ``RequestValidationError``, nothing else.

Valid requests then go through what happens before anything is sent — the backend's platform
and route checks, the model catalog, and the conversion into google-genai's arguments or an
interactions body — where, again, only veowrap's typed errors may escape.
"""

from __future__ import annotations

from typing import Any

from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veowrap import RequestValidationError, VeowrapError, VideoRequest
from veowrap.backends._convert import generate_videos_arguments
from veowrap.backends._interactions import create_arguments
from veowrap.backends.genai import GenAIBackend

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 32
FIELDS = list(VideoRequest.model_fields)

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.binary(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
images = st.sampled_from(
    [PNG, JPEG, MP4, b"", b"GIF89a", "gs://b/i.png", "/no/such/file.png", "http://x/y.png"]
)
plausible_fields: dict[str, st.SearchStrategy[Any]] = {
    "prompt": st.text(max_size=40) | st.just("a paper boat"),
    "model": st.sampled_from(
        ["veo-3.1-generate-001", "veo-2.0-generate-001", "gemini-omni-1.2-flash", "x y", "m/n"]
    ),
    "negative_prompt": st.text(max_size=10),
    "number_of_videos": st.integers(-1, 6),
    "duration_seconds": st.integers(-1, 70),
    "aspect_ratio": st.sampled_from(["16:9", "9:16", "1:1", ""]),
    "resolution": st.sampled_from(["360p", "720p", "1080p", "4k", "8k"]),
    "person_generation": st.sampled_from(["allow_all", "allow_adult", "dont_allow", "no"]),
    "seed": st.integers(-5, 2**33),
    "fps": st.integers(-1, 100),
    "generate_audio": st.booleans(),
    "enhance_prompt": st.booleans(),
    "output_gcs_uri": st.sampled_from(["gs://b/o/", "gs://", "s3://b/", "gs://b"]),
    "compression_quality": st.sampled_from(["optimized", "lossless", "max"]),
    "resize_mode": st.sampled_from(["crop", "pad", "zoom"]),
    "labels": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    "image": images,
    "last_frame": images,
    "reference_images": st.lists(images, max_size=4),
    "video": st.sampled_from([MP4, PNG, "gs://b/v.mp4", b""]),
    "mask": st.fixed_dictionaries({"image": images, "mode": st.sampled_from(["insert", "x"])}),
    "webhook": st.fixed_dictionaries({"uris": st.lists(st.just("https://h/"), max_size=2)}),
}
plausible = st.fixed_dictionaries({}, optional=plausible_fields)
random_kwargs = st.dictionaries(
    st.sampled_from([*FIELDS, "bogus", "duration"]), anything, max_size=5
)


def _build(kwargs: dict[str, Any]) -> VideoRequest | None:
    try:
        request = VideoRequest(**kwargs)
    except RequestValidationError as error:
        assert error.field and str(error)
        return None
    assert request.fingerprint() and repr(request)
    return request


@SETTINGS
@given(random_kwargs)
def test_random_arguments_give_a_request_or_a_validation_error(kwargs: dict[str, Any]) -> None:
    _build(kwargs)


@SETTINGS
@given(plausible, st.sampled_from(["vertex", "gemini"]))
def test_plausible_requests_fail_only_with_typed_errors_before_sending(
    kwargs: dict[str, Any], platform: str
) -> None:
    request = _build(kwargs)
    if request is None:
        return
    client = _client(platform)
    backend = GenAIBackend(client)
    model = request.model or backend.default_model()
    try:
        backend.prepare(request, model)
        from veowrap._catalog import check_request

        check_request(request, model, backend.platform, strict=True)
        if backend.route_for(model) == "interactions":
            body = create_arguments(request, model)
            assert body
        else:
            arguments = generate_videos_arguments(types, request, model)
            assert arguments["model"]
    except VeowrapError:
        return


_CLIENTS: dict[str, Any] = {}


def _client(platform: str) -> Any:
    """One client per platform, pointed at a closed loopback port (nothing is ever sent)."""
    if platform not in _CLIENTS:
        from google import genai
        from google.oauth2.credentials import Credentials

        options = types.HttpOptions(base_url="http://127.0.0.1:9")
        _CLIENTS[platform] = (
            genai.Client(
                vertexai=True,
                project="p",
                location="us-central1",
                credentials=Credentials(token="t"),  # type: ignore[no-untyped-call]
                http_options=options,
            )
            if platform == "vertex"
            else genai.Client(api_key="k", http_options=options)
        )
    return _CLIENTS[platform]
