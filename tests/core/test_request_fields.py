"""The typed keyword arguments stay in step with the models and signatures they describe."""

from __future__ import annotations

import inspect
import typing

import pytest

import veowrap
from veowrap._batch_options import BatchOptions
from veowrap._request_fields import RequestFields, RequestOptions


def test_request_fields_name_every_video_request_field() -> None:
    assert set(RequestFields.__annotations__) | set(RequestOptions.__annotations__) == set(
        veowrap.VideoRequest.model_fields
    )
    assert "prompt" not in RequestOptions.__annotations__


@pytest.mark.parametrize(
    "field", [name for name in veowrap.VideoRequest.model_fields if name != "prompt"]
)
def test_literal_fields_allow_exactly_what_the_model_allows(field: str) -> None:
    hints = typing.get_type_hints(RequestOptions)
    model_hint = veowrap.VideoRequest.model_fields[field].annotation

    def literals(hint: object) -> set[object]:
        if typing.get_origin(hint) is typing.Literal:
            return set(typing.get_args(hint))
        return {value for arg in typing.get_args(hint) for value in literals(arg)}

    assert literals(hints[field]) == literals(model_hint)


def _keyword_parameters(function: object) -> dict[str, object]:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


@pytest.mark.parametrize(
    "method",
    [veowrap.AsyncVideoGenerator.generate_many, veowrap.VideoGenerator.generate_many],
    ids=["async", "sync"],
)
def test_batch_options_match_generate_many(method: object) -> None:
    assert set(_keyword_parameters(method)) == set(BatchOptions.__annotations__)


def test_sync_and_async_generators_take_the_same_settings_with_the_same_defaults() -> None:
    from veowrap._generator_base import BaseGenerator

    base = _keyword_parameters(BaseGenerator.__init__)
    base.pop("client")  # positional in the public classes
    for cls in (veowrap.VideoGenerator, veowrap.AsyncVideoGenerator):
        own = _keyword_parameters(cls.__init__)
        own.pop("backend")
        assert own == base, cls.__name__
    assert _keyword_parameters(veowrap.VideoGenerator.generate_many) == _keyword_parameters(
        veowrap.AsyncVideoGenerator.generate_many
    )


def test_request_fields_are_accepted_by_the_model_at_run_time(tmp_path: object) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    fields: RequestFields = {
        "prompt": "x",
        "image": png,
        "last_frame": png,
        "labels": {"team": "a"},
        "aspect_ratio": "9:16",
    }
    request = veowrap.VideoRequest(**fields)
    assert request.image is not None and request.image.mime_type == "image/png"


def test_generator_settings_name_every_constructor_setting() -> None:
    from veowrap._generator_base import BaseGenerator

    base = _keyword_parameters(BaseGenerator.__init__)
    base.pop("client")
    assert set(veowrap.GeneratorSettings.__annotations__) == set(base)
    assert set(veowrap.GeneratorOptions.__annotations__) < set(base)
