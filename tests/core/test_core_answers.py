"""Better answers from the service's refusals (issue 15): the field a 400 names, the closest
catalog ids for a 404'd model, and the way out of Vertex AI's storage-URI failure."""

from __future__ import annotations

import pytest

from veowrap._core.faults import Fault, Verdict, service_field
from veowrap._core.plan import Outcome, check_finished
from veowrap._core.status import OperationStatus
from veowrap._errors import (
    OperationFailedError,
    OutputStorageRequiredError,
    ServiceRejectedError,
    UnsupportedCapabilityError,
)
from veowrap._handle import OperationHandle


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("parameters.durationSeconds: 5 is not supported.", "duration_seconds"),
        ("instances[0].referenceImages: at most 3 images are allowed.", "reference_images"),
        ("instances[0].lastFrame: not supported by veo-2.0-generate-001.", "last_frame"),
        ("response_format.duration: '2s' is out of range.", "duration_seconds"),
        ("The number value for `sampleCount` is out of bound.", "number_of_videos"),
        ("parameters.storageUri: must be a gs:// URI.", "output_gcs_uri"),
        # The model is not a field, nor is a bare common word.
        ("The model veo-3.1-generate-001 cannot make this video.", None),
        ("Request contains an invalid argument.", None),
    ],
)  # fmt: skip
def test_service_field_names_the_request_field(message: str, field: str | None) -> None:
    assert service_field(message) == field


def test_a_400_names_the_field_the_server_named() -> None:
    fault = Fault(
        kind="http",
        status=400,
        message="parameters.durationSeconds: 5 is not supported by veo-3.1-generate-001.",
        reason="INVALID_ARGUMENT",
    )
    error = Verdict(fault, "submit", retry=False).error(model="veo-3.1-generate-001")
    assert isinstance(error, ServiceRejectedError)
    assert error.field == "duration_seconds" and error.model == "veo-3.1-generate-001"
    assert str(error).startswith(
        "The service refused duration_seconds for veo-3.1-generate-001: parameters.durationSeconds"
    )
    assert error.hint is not None and error.hint.startswith("Change duration_seconds;")
    assert "veowrap models --explain veo-3.1-generate-001" in error.hint


def test_a_400_from_field_violations() -> None:
    from veowrap._core.faults import describe

    class Rejected(Exception):
        code = 400
        details = {  # noqa: RUF012 - the shape google.rpc.BadRequest answers carry
            "error": {
                "code": 400,
                "message": "Request contains an invalid argument.",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": "parameters.resolution"}],
                    }
                ],
            }
        }

    fault = describe(Rejected())
    assert fault.field == "parameters.resolution"
    error = Verdict(fault, "submit", retry=False).error(model="veo-3.1-generate-001")
    assert isinstance(error, ServiceRejectedError) and error.field == "resolution"


def test_a_400_that_names_no_field_says_so() -> None:
    fault = Fault(kind="http", status=400, message="Request contains an invalid argument.")
    error = Verdict(fault, "submit", retry=False).error(model="veo-3.1-generate-001")
    assert isinstance(error, ServiceRejectedError) and error.field is None
    assert str(error).startswith("The service refused the request for veo-3.1-generate-001")


@pytest.mark.parametrize(
    ("model", "guess"),
    [
        ("veo-3.1-generate-01", "Did you mean 'veo-3.1-generate-001'"),
        ("gemini-omni-1.2-flesh", "Did you mean 'gemini-omni-1.2-flash'"),
        ("veo-3.1-generate-001", None),  # a catalog id answered 404: no guess
        ("stable-diffusion-xl", None),
    ],
)
def test_a_404_on_submit_names_the_closest_catalog_ids(model: str, guess: str | None) -> None:
    fault = Fault(kind="http", status=404, message=f"models/{model} is not found")
    error = Verdict(fault, "submit", retry=False).error(model=model)
    assert isinstance(error, UnsupportedCapabilityError) and error.hint is not None
    if guess is None:
        assert "Did you mean" not in error.hint
    else:
        assert guess in error.hint


def _failed(message: str, code: int) -> Outcome:
    handle = OperationHandle.from_name(
        "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001"
        "/operations/1"
    )
    status = OperationStatus(
        name=handle.name, done=True, state="failed", error_code=code, error_message=message
    )
    return Outcome(handle=handle, status=status, elapsed=1.0, polls=1)


def test_storage_uri_failure_says_to_pass_output_gcs_uri() -> None:
    message = "Generated video is large, an output storage uri is required."
    with pytest.raises(OutputStorageRequiredError) as caught:
        check_finished(_failed(message, 3))
    assert caught.value.hint is not None and "output_gcs_uri=" in caught.value.hint
    with pytest.raises(OperationFailedError) as other:
        check_finished(_failed("Internal error.", 13))
    assert other.value.hint is not None and "output_gcs_uri" not in other.value.hint
