"""Inputs are checked before upload; outputs never leave the caller's directory, honour the umask
and leave no temporary file behind on any path."""

from __future__ import annotations

import http.client
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import veowrap
import veowrap._media as media
from veowrap._core.status import VideoRef
from veowrap._download import DownloadCancelled, Downloader, write_atomically
from veowrap._result import GeneratedVideo
from veowrap.backends._http import BytesStream
from veowrap.testing import VeoEmulator

from .harness import FAST_RETRIES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MP4 = (Path(veowrap.testing.__file__).parent / "assets" / "veo_16x9_4s.mp4").read_bytes()

# -- inputs ----------------------------------------------------------------------------------


def test_image_size_limit_is_enforced_before_anything_is_sent(emu: VeoEmulator) -> None:
    assert media.MAX_IMAGE_BYTES == 20 * 1024 * 1024
    exactly = PNG + b"\x00" * (media.MAX_IMAGE_BYTES - len(PNG))
    assert veowrap.VideoRequest(prompt="x", image=exactly).image is not None
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True))
    with pytest.raises(veowrap.RequestValidationError, match="at most 20,971,520 bytes") as caught:
        gen.generate("x", model="veo-3.1-generate-001", image=exactly + b"\x00")
    assert caught.value.field == "image" and "gs://" in str(caught.value)
    assert emu.requests == []


def test_video_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert media.MAX_VIDEO_BYTES == 200 * 1024 * 1024
    monkeypatch.setattr(media, "MAX_VIDEO_BYTES", len(MP4))
    assert veowrap.VideoRequest(video=MP4).video is not None
    with pytest.raises(veowrap.RequestValidationError, match="bytes; at most") as caught:
        veowrap.VideoRequest(video=MP4 + b"\x00")
    assert caught.value.field == "video"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("image", b"", "empty"),
        ("image", b"GIF89a" + b"\x00" * 10, "cannot tell the image's type"),
        ("image", MP4, "cannot tell the image's type"),
        ("video", PNG, "cannot tell the video's type"),
        ("image", {"data": PNG, "mime_type": "image/gif"}, "not one of"),
        ("image", "/no/such/file.png", "no file at"),
    ],
)
def test_inputs_of_the_wrong_type_are_refused_clearly(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(veowrap.RequestValidationError, match=message) as caught:
        veowrap.VideoRequest(prompt="x", **{field: value})
    assert caught.value.field.startswith(field)


def test_a_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(veowrap.RequestValidationError, match="no file at"):
        veowrap.VideoRequest(prompt="x", image=tmp_path)


def test_declared_type_contradicting_the_content_is_refused() -> None:
    with pytest.raises(veowrap.RequestValidationError):
        veowrap.VideoRequest(prompt="x", image={"data": MP4, "mime_type": "image/png"})


# -- output names ----------------------------------------------------------------------------


def _video(name: str, index: int = 0) -> GeneratedVideo:
    handle = veowrap.OperationHandle(name=name, platform="vertex")
    downloader = Downloader(lambda ref: _bytes(ref), policy=FAST_RETRIES)
    return GeneratedVideo(
        index=index,
        mime_type="video/mp4",
        uri=None,
        handle=handle,
        _ref=VideoRef(data=MP4),
        _downloader=downloader,
    )


@contextmanager
def _bytes(ref: VideoRef) -> Iterator[BytesStream]:
    assert ref.data is not None
    yield BytesStream(ref.data)


HOSTILE_NAMES = [
    "projects/p/locations/l/publishers/google/models/m/operations/../../../../etc/passwd",
    "../../../../tmp/evil",
    "..",
    "/",
    "/etc/cron.d/job",
    "C:\\Windows\\system32\\x",
    "..\\..\\evil",
    "op\x00id",
    "\u202egnp.exe",
    "видео-操作-🎬",
    ".hidden",
    ".veowrap-partial-x",
    pytest.param("a" * 300, id="300-chars"),
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_names_from_the_server_never_leave_the_directory(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = _video(name).save(out)
    assert path.resolve().parent == out.resolve()
    assert not path.name.startswith(".") and "\x00" not in path.name
    assert [p.name for p in out.iterdir()] == [path.name]
    assert path.read_bytes() == MP4


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(min_size=1, max_size=80), st.integers(0, 3))
def test_any_name_stays_in_the_directory(name: str, index: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        try:
            path = _video(name, index)._save(f"{out}/", None)
        except veowrap.DownloadError as error:  # e.g. a name longer than the file system allows
            assert "File name too long" in str(error) or "Errno" in str(error)
            assert list(out.iterdir()) == []
            return
        assert path.resolve().parent == out.resolve()
        assert [p.name for p in out.iterdir()] == [path.name]


# -- permissions and temporary files ---------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_are_written_with_the_users_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        path = _video("models/m/operations/abc").save(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


class _Breaks:
    """A stream that fails after its first chunk, with ``error``."""

    def __init__(self, error: BaseException, length: int | None = None) -> None:
        self.error = error
        self.length = length

    def chunks(self, size: int) -> Iterator[bytes]:
        yield MP4[:100]
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        OSError(28, "No space left on device"),
        ConnectionResetError(104, "reset"),
        KeyboardInterrupt(),
        DownloadCancelled("cancelled"),
        http.client.IncompleteRead(b"", 10),
    ],
    ids=["enospc", "reset", "ctrl-c", "cancelled", "incomplete"],
)
def test_temporary_files_are_removed_on_every_path(tmp_path: Path, error: BaseException) -> None:
    destination = tmp_path / "video.mp4"
    destination.write_bytes(b"the previous version")

    @contextmanager
    def broken() -> Iterator[_Breaks]:
        yield _Breaks(error)

    with pytest.raises(type(error)):
        write_atomically(broken, destination)
    assert [p.name for p in tmp_path.iterdir()] == ["video.mp4"]
    assert destination.read_bytes() == b"the previous version"  # never half-overwritten


def test_a_short_stream_is_not_kept(tmp_path: Path) -> None:
    class Short(BytesStream):
        @property
        def length(self) -> int | None:
            return len(MP4)

    @contextmanager
    def announced() -> Iterator[BytesStream]:
        yield Short(MP4[:100])

    with pytest.raises(http.client.IncompleteRead):
        write_atomically(announced, tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []
