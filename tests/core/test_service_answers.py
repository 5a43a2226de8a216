"""What veowrap makes of the service's own words: the field a 400 names, and the operation
failure that means "pass an output storage URI" (issue 15).

The messages are Google's (see tests/emulator/real_payloads/ for where each was seen).
"""

from __future__ import annotations

import pytest

import veowrap
from veowrap._core.faults import failed_operation, service_field
from veowrap.testing import Outcome, VeoEmulator

LARGE = "Generated video is large, an output storage uri is required."


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            "The number value for `durationSeconds` is out of bound. Please provide a value "
            "between 4 and 8, inclusive.",
            "duration_seconds",
        ),
        ("parameters.aspectRatio: '1:1' is not supported by veo-3.1.", "aspect_ratio"),
        ("parameters.sampleCount: 5 is out of range.", "number_of_videos"),
        ("instances[0].lastFrame: not supported by veo-2.0.", "last_frame"),
        ("instances[0].referenceImages: at most 3 images are allowed.", "reference_images"),
        ("parameters.storageUri: must be a gs:// URI.", "output_gcs_uri"),
        ("response_format.duration: '99s' is out of range.", "duration_seconds"),
        ("Request contains an invalid argument.", None),
        ("`somethingNew` is not allowed.", None),
    ],
)
def test_the_field_a_service_message_names(message: str, field: str | None) -> None:
    assert service_field(message) == field


def test_large_inline_failure_is_its_own_error_with_the_fix_in_the_hint() -> None:
    error = failed_operation(LARGE, 3, None)
    assert type(error) is veowrap.OutputStorageRequiredError
    assert isinstance(error, veowrap.OperationFailedError)
    assert error.code == 3
    assert error.hint is not None and "output_gcs_uri" in error.hint
    other = failed_operation("Video generation failed.", 13, None)
    assert type(other) is veowrap.OperationFailedError


def test_vertex_large_video_without_storage_uri_through_the_emulator() -> None:
    with VeoEmulator(latency=0.05) as emu:
        generator = emu.generator(vertex=True)
        emu.script(Outcome.large(megabytes=40))
        with pytest.raises(veowrap.OutputStorageRequiredError) as caught:
            generator.generate("a kite", model="veo-3.1-generate-001")
        assert caught.value.handle is not None
        emu.script(Outcome.large(megabytes=40))
        result = generator.generate(
            "a kite", model="veo-3.1-generate-001", output_gcs_uri="gs://bucket/out/"
        )
    assert result.videos[0].uri is not None
    assert result.videos[0].uri.startswith("gs://bucket/out/")
