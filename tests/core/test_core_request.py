"""`VideoRequest` validation, media sniffing, fingerprints, and the catalog's access rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veowrap._catalog import load_catalog
from veowrap._core.validation import MAX_PROMPT_CHARS
from veowrap._errors import RequestValidationError
from veowrap._media import Image, Video, sniff_mime_type
from veowrap._request import ReferenceImage, VideoMask, VideoRequest, Webhook

# Tiny but real file headers.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
MOV = b"\x00\x00\x00\x14ftypqt  \x20\x05\x03\x00qt  "
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
GCS_PNG = "gs://bucket/frames/first.png"
FILES_URI = "https://generativelanguage.googleapis.com/v1beta/files/abc123"
IMAGE_ALLOWED = "a path to an existing file, bytes, or a gs:// / Files API URI"


def build(**kwargs: Any) -> VideoRequest:
    kwargs.setdefault("prompt", "a paper boat on a rainy street")
    return VideoRequest(**kwargs)


# ------------------------------------------------------------------------------------ good values

# id, keyword arguments, attribute, expected value
GOOD: list[tuple[str, dict[str, Any], str, Any]] = [
    ("prompt", {"prompt": "a fox"}, "prompt", "a fox"),
    ("prompt-at-limit", {"prompt": "x" * 8000}, "prompt", "x" * 8000),
    ("negative-prompt", {"negative_prompt": "blur"}, "negative_prompt", "blur"),
    ("model", {"model": "veo-3.1-generate-001"}, "model", "veo-3.1-generate-001"),
    ("model-prefix-dropped", {"model": "models/veo-3.0-generate-preview"},
     "model", "veo-3.0-generate-preview"),
    ("model-publisher-prefix-dropped", {"model": "publishers/google/models/veo-3.1-generate-001"},
     "model", "veo-3.1-generate-001"),
    ("model-full-vertex-name-kept",
     {"model": "projects/p-1/locations/us-central1/publishers/google/models/veo-3.1-generate-001"},
     "model", "projects/p-1/locations/us-central1/publishers/google/models/veo-3.1-generate-001"),
    ("prompt-over-veo-limit", {"prompt": "x" * 9000}, "prompt", "x" * 9000),
    ("label-cjk", {"labels": {"日本_team": "v"}}, "labels", {"日本_team": "v"}),
    ("label-accent", {"labels": {"équipe": "v"}}, "labels", {"équipe": "v"}),
    ("one-video", {"number_of_videos": 1}, "number_of_videos", 1),
    ("four-videos", {"number_of_videos": 4}, "number_of_videos", 4),
    ("duration-min", {"duration_seconds": 1}, "duration_seconds", 1),
    ("duration-8", {"duration_seconds": 8}, "duration_seconds", 8),
    ("duration-max", {"duration_seconds": 60}, "duration_seconds", 60),
    ("duration-from-integral-float", {"duration_seconds": 8.0}, "duration_seconds", 8),
    ("aspect-16-9", {"aspect_ratio": "16:9"}, "aspect_ratio", "16:9"),
    ("aspect-9-16", {"aspect_ratio": "9:16"}, "aspect_ratio", "9:16"),
    ("resolution-720p", {"resolution": "720p"}, "resolution", "720p"),
    ("resolution-4k", {"resolution": "4k"}, "resolution", "4k"),
    ("person-generation", {"person_generation": "allow_adult"},
     "person_generation", "allow_adult"),
    ("seed-zero", {"seed": 0}, "seed", 0),
    ("seed-max", {"seed": 4_294_967_295}, "seed", 4_294_967_295),
    ("fps", {"fps": 24}, "fps", 24),
    ("generate-audio-false", {"generate_audio": False}, "generate_audio", False),
    ("enhance-prompt", {"enhance_prompt": True}, "enhance_prompt", True),
    ("output-gcs-uri", {"output_gcs_uri": "gs://bucket/videos/"},
     "output_gcs_uri", "gs://bucket/videos/"),
    ("compression", {"compression_quality": "lossless"}, "compression_quality", "lossless"),
    ("resize-mode", {"resize_mode": "pad"}, "resize_mode", "pad"),
    ("labels", {"labels": {"team": "video", "env": "prod"}},
     "labels", {"team": "video", "env": "prod"}),
    ("labels-63-chars", {"labels": {"a" * 63: "x"}}, "labels", {"a" * 63: "x"}),
    ("webhook", {"webhook": {"uris": ["https://example.com/hook"]}},
     "webhook", Webhook(uris=("https://example.com/hook",))),
    ("webhook-string", {"webhook": "https://example.com/hook"},
     "webhook", Webhook(uris=("https://example.com/hook",))),
    ("image-png", {"image": PNG}, "image", Image(data=PNG, mime_type="image/png")),
    ("image-gcs", {"image": GCS_PNG}, "image", Image(uri=GCS_PNG)),
    ("image-files-uri", {"image": FILES_URI}, "image", Image(uri=FILES_URI)),
    ("image-and-last-frame", {"image": PNG, "last_frame": JPEG},
     "last_frame", Image(data=JPEG, mime_type="image/jpeg")),
    ("image-only", {"prompt": None, "image": WEBP},
     "image", Image(data=WEBP, mime_type="image/webp")),
    ("video-only", {"prompt": None, "video": MP4},
     "video", Video(data=MP4, mime_type="video/mp4")),
    ("video-gcs", {"video": "gs://b/clip.mp4"}, "video", Video(uri="gs://b/clip.mp4")),
    ("reference-bare", {"reference_images": [PNG]},
     "reference_images", (ReferenceImage(image=PNG),)),
    ("reference-style", {"reference_images": [{"image": JPEG, "reference_type": "style"}]},
     "reference_images", (ReferenceImage(image=JPEG, reference_type="style"),)),
    ("three-references", {"reference_images": [PNG, JPEG, WEBP]},
     "inputs", ("text", "reference_images")),
    ("mask", {"video": MP4, "mask": {"image": PNG, "mode": "remove"}},
     "mask", VideoMask(image=PNG, mode="remove")),
    ("inputs", {"image": PNG, "last_frame": PNG}, "inputs", ("text", "image", "last_frame")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "attribute", "expected"), [pytest.param(*row[1:], id=row[0]) for row in GOOD]
)
def test_good_values(kwargs: dict[str, Any], attribute: str, expected: Any) -> None:
    assert getattr(build(**kwargs), attribute) == expected


def test_reference_image_counts_are_left_to_the_catalog() -> None:
    # How many a model takes is a graded catalog rule (Veo: 3, documented; Omni: 5, reported),
    # so the request itself takes any count.
    request = build(reference_images=[PNG] * 7)
    assert len(request.reference_images) == 7
    catalog = load_catalog()
    with pytest.raises(RequestValidationError, match="at most 3"):
        catalog.check_request(build(reference_images=[PNG] * 4), "veo-3.1-generate-001", "vertex")
    (note,) = catalog.check_request(request, "gemini-omni-1.2-flash", "gemini")
    assert "at most 5" in note and "Source:" in note and "sent" in note


def test_defaults_are_unset() -> None:
    request = VideoRequest(prompt="x")
    assert request.aspect_ratio is None
    assert request.reference_images == ()
    assert request.inputs == ("text",)


# ------------------------------------------------------------------------------------- bad values

# id, keyword arguments, field, value, words that must appear in the error
BAD: list[tuple[str, dict[str, Any], str, Any, str]] = [
    ("blank-prompt", {"prompt": ""}, "prompt", "", "must not be blank"),
    ("whitespace-prompt", {"prompt": "  \n\t"}, "prompt", "  \n\t", "must not be blank"),
    ("absurd-prompt", {"prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "prompt",
     "x" * (MAX_PROMPT_CHARS + 1), "at most 10,000,000"),
    ("prompt-not-text", {"prompt": 5}, "prompt", 5, "valid string"),
    ("blank-negative-prompt", {"negative_prompt": " "}, "negative_prompt", " ", "blank"),
    ("model-with-space", {"model": "veo 3"}, "model", "veo 3", "holds the character ' '"),
    ("model-with-slash", {"model": "a/b"}, "model", "a/b", "has a '/' outside"),
    ("model-only-prefix", {"model": "models/"}, "model", "models/", "it is empty"),
    ("model-other-publisher", {"model": "publishers/acme/models/x"}, "model",
     "publishers/acme/models/x", "has a '/' outside"),
    ("model-query", {"model": "veo-3.1-generate-001?alt=media"}, "model",
     "veo-3.1-generate-001?alt=media", "holds the character '?'"),
    ("model-dot-dot", {"model": "veo-3.1..generate-001"}, "model", "veo-3.1..generate-001",
     "holds '..'"),
    ("model-empty-project", {"model": "projects//locations/l/publishers/google/models/m"},
     "model", "projects//locations/l/publishers/google/models/m", "has a '/' outside"),
    ("zero-videos", {"number_of_videos": 0}, "number_of_videos", 0,
     "Allowed: a value greater than or equal to 1"),
    ("five-videos", {"number_of_videos": 5}, "number_of_videos", 5,
     "Allowed: a value less than or equal to 4"),
    ("videos-as-words", {"number_of_videos": "two"}, "number_of_videos", "two", "valid integer"),
    ("zero-duration", {"duration_seconds": 0}, "duration_seconds", 0, "greater than or equal to 1"),
    ("long-duration", {"duration_seconds": 61}, "duration_seconds", 61, "less than or equal to 60"),
    ("fractional-duration", {"duration_seconds": 8.5}, "duration_seconds", 8.5,
     "fractional part"),
    ("aspect-4-3", {"aspect_ratio": "4:3"}, "aspect_ratio", "4:3", "Allowed: '16:9' or '9:16'"),
    ("resolution-8k", {"resolution": "8k"}, "resolution", "8k",
     "Allowed: '360p', '720p', '1080p' or '4k'"),
    ("person-generation", {"person_generation": "everyone"}, "person_generation", "everyone",
     "'allow_all', 'allow_adult' or 'dont_allow'"),
    ("negative-seed", {"seed": -1}, "seed", -1, "greater than or equal to 0"),
    ("seed-too-big", {"seed": 2**32}, "seed", 2**32, "less than or equal to 4294967295"),
    ("zero-fps", {"fps": 0}, "fps", 0, "greater than or equal to 1"),
    ("fps-too-high", {"fps": 61}, "fps", 61, "less than or equal to 60"),
    ("audio-maybe", {"generate_audio": "maybe"}, "generate_audio", "maybe", "valid boolean"),
    ("enhance-2", {"enhance_prompt": 2}, "enhance_prompt", 2, "valid boolean"),
    ("s3-output", {"output_gcs_uri": "s3://bucket/"}, "output_gcs_uri", "s3://bucket/",
     "Allowed: a gs://bucket/prefix/ URI"),
    ("bare-gs-output", {"output_gcs_uri": "gs://"}, "output_gcs_uri", "gs://",
     "Cloud Storage prefix"),
    ("compression-high", {"compression_quality": "high"}, "compression_quality", "high",
     "'optimized' or 'lossless'"),
    ("resize-stretch", {"resize_mode": "stretch"}, "resize_mode", "stretch", "'crop' or 'pad'"),
    ("label-upper", {"labels": {"Team": "a"}}, "labels", {"Team": "a"}, "lower-case letter"),
    ("label-empty", {"labels": {"": "a"}}, "labels", {"": "a"}, "1-63 characters"),
    ("label-digit", {"labels": {"9a": "a"}}, "labels", {"9a": "a"}, "lower-case letter"),
    ("label-upper-accent", {"labels": {"Équipe": "a"}}, "labels", {"Équipe": "a"},
     "international character"),
    ("label-underscore", {"labels": {"_a": "a"}}, "labels", {"_a": "a"}, "starts with '_'"),
    ("label-64", {"labels": {"a" * 64: "a"}}, "labels", {"a" * 64: "a"}, "1-63 characters"),
    ("label-value-not-text", {"labels": {"a": 1}}, "labels.a", 1, "valid string"),
    ("webhook-http", {"webhook": "http://example.com/h"}, "webhook.uris", ("http://example.com/h",),
     "https:// URL"),
    ("image-garbage", {"image": b"not an image"}, "image", b"not an image",
     "cannot tell the image's type"),
    ("image-gif", {"image": GIF}, "image", GIF, "image/png, image/jpeg, image/webp"),
    ("image-empty", {"image": b""}, "image", b"", "empty (0 bytes)"),
    ("image-is-video", {"image": MP4}, "image", MP4, "cannot tell the image's type"),
    ("image-missing-path", {"image": "/nonexistent/first.png"}, "image",
     "/nonexistent/first.png", "no file at '/nonexistent/first.png'"),
    ("image-wrong-mime", {"image": {"uri": GCS_PNG, "mime_type": "image/gif"}}, "image",
     {"uri": GCS_PNG, "mime_type": "image/gif"}, "mime_type 'image/gif' is not one of"),
    ("image-data-and-uri", {"image": {"data": PNG, "uri": GCS_PNG}}, "image",
     {"data": PNG, "uri": GCS_PNG}, "exactly one of data"),
    ("image-number", {"image": 12}, "image", 12, IMAGE_ALLOWED),
    ("video-is-image", {"prompt": None, "video": PNG}, "video", PNG,
     "cannot tell the video's type"),
    ("video-image-mime", {"video": {"data": MP4, "mime_type": "image/png"}}, "video",
     {"data": MP4, "mime_type": "image/png"}, "not one of video/mp4"),
    ("references-as-text", {"reference_images": "cat.png"}, "reference_images", "cat.png",
     "valid tuple"),
    ("unknown-field", {"promt": "a fox"}, "promt", "a fox", "unknown field"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "field", "value", "words"), [pytest.param(*row[1:], id=row[0]) for row in BAD]
)
def test_bad_values(kwargs: dict[str, Any], field: str, value: Any, words: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(**kwargs)
    error = caught.value
    assert error.field == field
    assert error.value == value
    assert words in str(error)
    assert f"{field}=" in error.message
    assert "Allowed: " in error.message
    assert isinstance(error, ValueError), "callers may catch ValueError"


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(prompt="x" * (MAX_PROMPT_CHARS + 1))
    assert len(caught.value.message) < 300
    assert len(caught.value.value) == MAX_PROMPT_CHARS + 1, "the attribute keeps the whole value"


@pytest.mark.parametrize(
    ("kwargs", "field", "allowed"),
    [
        pytest.param(
            {"mask": {"image": PNG, "mode": "paint"}},
            "mask.mode",
            "'insert', 'remove', 'remove_static' or 'outpaint'",
            id="mask-mode",
        ),
        pytest.param(
            {"reference_images": [{"image": PNG, "reference_type": "mood"}]},
            "reference_images.0.reference_type",
            "'asset' or 'style'",
            id="reference-type",
        ),
        pytest.param({"webhook": {"uris": []}}, "webhook.uris", "at least 1", id="webhook-uris"),
    ],
)
def test_nested_fields_are_named_with_dots(
    kwargs: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(**kwargs)
    assert caught.value.field == field
    assert allowed in caught.value.allowed


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"mask": {"image": PNG, "mode": "paint"}}, id="mask-mode"),
        pytest.param({"reference_images": [{"image": PNG, "reference_type": "mood"}]}, id="ref"),
        pytest.param({"webhook": {"uris": []}}, id="webhook-uris"),
        pytest.param({"webhook": {"uris": ["https://x"], "secret": "s"}}, id="webhook-extra"),
    ],
)
def test_nested_errors_are_still_request_validation_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(**kwargs)
    assert caught.value.field.split(".")[0] == next(iter(kwargs))


def test_overlong_path_string_is_a_request_error() -> None:
    with pytest.raises(RequestValidationError):
        build(image="frame-" * 60 + ".png")


# --------------------------------------------------------------------------------- combinations

# id, keyword arguments (no default prompt), field, words
COMBINATIONS: list[tuple[str, dict[str, Any], str, str]] = [
    ("nothing", {}, "prompt", "a prompt, an image or a video to extend"),
    ("only-negative-prompt", {"negative_prompt": "blur"}, "prompt", "a prompt, an image"),
    ("last-frame-alone", {"prompt": "x", "last_frame": PNG}, "last_frame",
     "together with a first frame"),
    ("image-and-video", {"image": PNG, "video": MP4}, "image", "not both"),
    ("references-and-image", {"prompt": "x", "image": PNG, "reference_images": [JPEG]},
     "reference_images", "text prompt only"),
    ("references-and-video", {"prompt": "x", "video": MP4, "reference_images": [JPEG]},
     "reference_images", "text prompt only"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "field", "words"), [pytest.param(*row[1:], id=row[0]) for row in COMBINATIONS]
)
def test_combinations(kwargs: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        VideoRequest(**kwargs)
    assert caught.value.field == field
    assert words in caught.value.allowed


def test_last_frame_error_hints_at_image() -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(last_frame=PNG)
    assert caught.value.hint == "Pass image= for the first frame as well."


def test_reference_combination_reports_a_count() -> None:
    with pytest.raises(RequestValidationError) as caught:
        build(image=PNG, reference_images=[JPEG, WEBP])
    assert caught.value.value == "2 image(s)"


# --------------------------------------------------------------------------------- media inputs

# id, content, media class, expected mime type (None: refused)
SNIFF: list[tuple[str, bytes, type[Image] | type[Video], str | None]] = [
    ("png", PNG, Image, "image/png"),
    ("jpeg", JPEG, Image, "image/jpeg"),
    ("webp", WEBP, Image, "image/webp"),
    ("mp4", MP4, Video, "video/mp4"),
    ("quicktime", MOV, Video, "video/quicktime"),
    ("webm", WEBM, Video, "video/webm"),
    ("gif-image", GIF, Image, None),
    ("png-as-video", PNG, Video, None),
    ("mp4-as-image", MP4, Image, None),
    ("riff-not-webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", Image, None),
    ("truncated-png", PNG[:4], Image, None),
    ("text", b"hello world", Video, None),
]


@pytest.mark.parametrize(
    ("content", "kind", "mime"), [pytest.param(*row[1:], id=row[0]) for row in SNIFF]
)
def test_mime_sniffing(content: bytes, kind: type[Image] | type[Video], mime: str | None) -> None:
    if mime is None:
        with pytest.raises(ValueError, match="cannot tell"):
            kind.model_validate(content)
    else:
        assert kind.model_validate(content).mime_type == mime
        assert sniff_mime_type(content) == mime


@pytest.mark.parametrize(
    ("content", "mime"),
    [(bytearray(PNG), "image/png"), (memoryview(JPEG), "image/jpeg")],
)
def test_bytes_like_inputs(content: Any, mime: str) -> None:
    assert build(image=content).image == Image(data=bytes(content), mime_type=mime)


def test_explicit_mime_type_skips_sniffing() -> None:
    image = Image(data=b"raw pixels", mime_type="image/png")
    assert image.mime_type == "image/png"


@pytest.mark.parametrize("as_text", [True, False], ids=["str-path", "path-object"])
@pytest.mark.parametrize(
    ("content", "mime"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")],
    ids=["png", "jpeg", "webp"],
)
def test_path_inputs(tmp_path: Path, content: bytes, mime: str, as_text: bool) -> None:
    path = tmp_path / "frame.bin"  # the suffix does not matter: content decides
    path.write_bytes(content)
    request = build(image=str(path) if as_text else path)
    assert request.image == Image(data=content, mime_type=mime)


def test_video_path_input(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4)
    assert VideoRequest(video=path).video == Video(data=MP4, mime_type="video/mp4")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda tmp: tmp / "missing.png", id="missing"),
        pytest.param(lambda tmp: tmp, id="directory"),
        pytest.param(lambda tmp: str(tmp / "missing.png"), id="missing-str"),
    ],
)
def test_missing_paths(tmp_path: Path, make: Any) -> None:
    with pytest.raises(RequestValidationError, match="no file at") as caught:
        build(image=make(tmp_path))
    assert caught.value.field == "image"
    assert caught.value.allowed == IMAGE_ALLOWED


def test_path_to_a_non_image_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not really a png")
    with pytest.raises(RequestValidationError, match="cannot tell the image's type"):
        build(image=path)


def test_oversized_inline_image(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("veowrap._media.MAX_IMAGE_BYTES", 64)
    assert build(image=PNG).image is not None
    with pytest.raises(RequestValidationError, match="at most 64 bytes"):
        build(image=PNG + b"\x00" * 64)


def test_media_repr_is_short() -> None:
    assert (
        repr(Image(data=PNG * 1000)) == f"Image({len(PNG) * 1000:,} bytes, mime_type='image/png')"
    )
    assert repr(Video(uri="gs://b/v.mp4")) == "Video(uri='gs://b/v.mp4', mime_type=None)"


def test_is_gcs() -> None:
    assert Image(uri=GCS_PNG).is_gcs
    assert not Image(uri=FILES_URI).is_gcs
    assert not Image(data=PNG).is_gcs


# ---------------------------------------------------------------------------- fingerprint, repr


def test_fingerprint_is_stable() -> None:
    one = build(duration_seconds=8, image=PNG, labels={"a": "1", "b": "2"})
    two = VideoRequest(
        labels={"b": "2", "a": "1"}, image=PNG, duration_seconds=8, prompt=one.prompt
    )
    assert one.fingerprint() == two.fingerprint()
    assert len(one.fingerprint()) == 32
    assert int(one.fingerprint(), 16) >= 0


def test_fingerprint_is_the_same_for_a_path_and_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "frame.png"
    path.write_bytes(PNG)
    assert build(image=path).fingerprint() == build(image=PNG).fingerprint()


def test_fingerprint_ignores_the_models_prefix() -> None:
    assert build(model="models/veo-3").fingerprint() == build(model="veo-3").fingerprint()


# id, changed keyword arguments
CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("prompt", {"prompt": "a paper boat on a sunny street"}),
    ("duration", {"duration_seconds": 6}),
    ("aspect", {"aspect_ratio": "9:16"}),
    ("seed", {"seed": 1}),
    ("negative-prompt", {"negative_prompt": "rain"}),
    ("image-bytes", {"image": JPEG}),
    ("image-uri", {"image": GCS_PNG}),
    ("labels", {"labels": {"a": "2"}}),
    ("model", {"model": "veo-3.1-fast"}),
]


@pytest.mark.parametrize("change", [pytest.param(row[1], id=row[0]) for row in CHANGES])
def test_fingerprint_is_sensitive(change: dict[str, Any]) -> None:
    base: dict[str, Any] = {
        "duration_seconds": 8,
        "image": PNG,
        "labels": {"a": "1"},
        "model": "veo-3",
    }
    assert build(**base).fingerprint() != build(**{**base, **change}).fingerprint()


def test_repr_is_short_and_skips_unset_fields() -> None:
    request = build(duration_seconds=8, image=PNG * 50_000)
    text = repr(request)
    assert text.startswith("VideoRequest(prompt='a paper boat on a rainy street'")
    assert "duration_seconds=8" in text
    assert f"Image({len(PNG) * 50_000:,} bytes, mime_type='image/png')" in text
    assert "None" not in text and "reference_images" not in text
    assert len(text) < 200


def test_request_is_frozen() -> None:
    request = build()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type varies by version
        request.prompt = "other"


# ------------------------------------------------------------------------------ platform rules

# id, keyword arguments, platform, refused field (None: accepted), words in allowed
PLATFORM: list[tuple[str, dict[str, Any], str, str | None, str]] = [
    ("seed-on-gemini", {"seed": 1}, "gemini", "seed", "only on Vertex AI"),
    ("fps-on-gemini", {"fps": 24}, "gemini", "fps", "only on Vertex AI"),
    ("audio-on-gemini", {"generate_audio": True}, "gemini", "generate_audio", "only on Vertex"),
    ("audio-false-on-gemini", {"generate_audio": False}, "gemini", "generate_audio", "Vertex"),
    ("gcs-output-on-gemini", {"output_gcs_uri": "gs://b/"}, "gemini", "output_gcs_uri", "Vertex"),
    ("compression-on-gemini", {"compression_quality": "optimized"}, "gemini",
     "compression_quality", "Vertex"),
    ("labels-on-gemini", {"labels": {"a": "b"}}, "gemini", "labels", "Vertex"),
    ("resize-on-gemini", {"resize_mode": "crop"}, "gemini", "resize_mode", "Vertex"),
    ("mask-on-gemini", {"prompt": None, "video": MP4, "mask": {"image": PNG, "mode": "insert"}},
     "gemini", "mask", "Vertex"),
    ("style-ref-on-gemini",
     {"reference_images": [PNG, {"image": JPEG, "reference_type": "style"}]}, "gemini",
     "reference_images.1.reference_type", "'asset' on the Gemini API"),
    ("gcs-image-on-gemini", {"image": GCS_PNG}, "gemini", "image", "gs:// URIs only on Vertex"),
    ("gcs-last-frame-on-gemini", {"image": PNG, "last_frame": "gs://b/last.png"}, "gemini",
     "last_frame", "gs:// URIs only on Vertex"),
    ("webhook-on-vertex", {"webhook": {"uris": ["https://example.com/h"]}}, "vertex",
     "webhook", "only on the Gemini API"),
    ("plain-on-gemini", {"duration_seconds": 8, "aspect_ratio": "9:16"}, "gemini", None, ""),
    ("asset-refs-on-gemini", {"reference_images": [PNG, JPEG]}, "gemini", None, ""),
    ("files-uri-image-on-gemini", {"image": FILES_URI}, "gemini", None, ""),
    ("bytes-image-on-gemini", {"image": PNG, "last_frame": JPEG}, "gemini", None, ""),
    ("webhook-on-gemini", {"webhook": {"uris": ["https://example.com/h"]}}, "gemini", None, ""),
    ("vertex-only-on-vertex",
     {"seed": 7, "fps": 24, "generate_audio": True, "output_gcs_uri": "gs://b/",
      "compression_quality": "lossless", "labels": {"a": "b"}, "resize_mode": "pad"},
     "vertex", None, ""),
    ("style-and-gcs-on-vertex",
     {"reference_images": [{"image": GCS_PNG, "reference_type": "style"}]}, "vertex", None, ""),
    ("gcs-image-on-vertex", {"image": GCS_PNG, "last_frame": "gs://b/l.png"}, "vertex", None, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "platform", "field", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in PLATFORM],
)
def test_check_platform(
    kwargs: dict[str, Any], platform: Any, field: str | None, words: str
) -> None:
    request = build(**kwargs)
    if field is None:
        check_platform(request, platform)
        return
    with pytest.raises(RequestValidationError) as caught:
        check_platform(request, platform)
    assert caught.value.field == field
    assert words in caught.value.allowed


def check_platform(request: VideoRequest, platform: Any, route: Any = "operations") -> None:
    model = "gemini-omni-1.2-flash" if route == "interactions" else "veo-3.1-generate-001"
    load_catalog().check_access(request, model, platform, route)


# id, keyword arguments, platform, refused field (None: accepted), words in allowed
INTERACTIONS: list[tuple[str, dict[str, Any], str, str | None, str]] = [
    ("last-frame", {"image": PNG, "last_frame": JPEG}, "gemini", "last_frame",
     "Interactions API route used by 'gemini-omni-1.2-flash'"),
    ("negative-prompt", {"negative_prompt": "rain"}, "vertex", "negative_prompt", "Interactions"),
    ("two-videos", {"number_of_videos": 2}, "gemini", "number_of_videos", "one video per call"),
    ("style-ref", {"reference_images": [{"image": PNG, "reference_type": "style"}]}, "vertex",
     "reference_images.0.reference_type", "'asset' with the Interactions API"),
    ("gcs-output-on-gemini", {"output_gcs_uri": "gs://b/"}, "gemini", "output_gcs_uri",
     "only on Vertex AI"),
    ("gcs-output-on-vertex", {"output_gcs_uri": "gs://b/"}, "vertex", None, ""),
    ("plain", {"duration_seconds": 8, "resolution": "1080p"}, "gemini", None, ""),
    ("asset-refs", {"reference_images": [PNG, JPEG]}, "gemini", None, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "platform", "field", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in INTERACTIONS],
)
def test_interactions_route_refusals(
    kwargs: dict[str, Any], platform: Any, field: str | None, words: str
) -> None:
    request = build(**kwargs)
    if field is None:
        check_platform(request, platform, "interactions")
        return
    with pytest.raises(RequestValidationError) as caught:
        check_platform(request, platform, "interactions")
    assert caught.value.field == field
    assert words in caught.value.allowed


def test_every_access_combination_names_its_source() -> None:
    access = load_catalog().access
    assert set(access.combinations) == {
        f"{p}/{r}" for p in ("gemini", "vertex") for r in ("operations", "interactions")
    }
    assert all(rules.source for rules in access.combinations.values())
    assert set(access.default_models) == {"gemini", "vertex"}


def test_vertex_only_error_hints_at_vertex() -> None:
    with pytest.raises(RequestValidationError) as caught:
        check_platform(build(seed=3), "gemini")
    assert caught.value.value == 3
    assert "vertexai=True" in (caught.value.hint or "")
    assert "drop seed=" in (caught.value.hint or "")


# ------------------------------------------------------------------------------------ hypothesis

FIELDS = [*VideoRequest.model_fields, "promt", "images", "duration", "Prompt"]

WILD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.sampled_from(
        [
            PNG,
            JPEG,
            WEBP,
            MP4,
            GIF,
            GCS_PNG,
            FILES_URI,
            "gs://",
            "16:9",
            "4k",
            "allow_all",
            "models/veo-3",
            "asset",
            "style",
            "/",
            ".",
            "",
            "   ",
            "x" * 9000,
            {"uris": ["https://x"]},
            {"uris": []},
            {"image": PNG, "mode": "insert"},
            {"image": PNG, "reference_type": "style"},
            {"data": PNG},
            {"uri": GCS_PNG},
            {"uri": GCS_PNG, "data": PNG},
            {"Team": "x"},
            {"a": "b"},
            [PNG],
            [PNG] * 4,
            (JPEG, {"image": WEBP}),
            [{"image": 3}],
            object(),
            b"\x00" * 5,
        ]
    ),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=4),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers()), max_size=3),
)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.dictionaries(st.sampled_from(FIELDS), WILD_VALUES, max_size=6))
def test_random_requests_only_raise_request_validation_error(kwargs: dict[str, Any]) -> None:
    try:
        request = VideoRequest(**kwargs)
    except RequestValidationError as error:
        assert error.field
        assert "Allowed: " in error.message
        return
    # A request that validates can always be fingerprinted and printed.
    assert len(request.fingerprint()) == 32
    assert repr(request).startswith("VideoRequest(")
