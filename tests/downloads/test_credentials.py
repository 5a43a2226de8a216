"""Credentials go only to the origin they belong to: the rule, table-driven, and end to end
against a redirecting loopback server and a recording second server (another port: another
origin)."""

from __future__ import annotations

from pathlib import Path

import pytest

import veowrap
from veowrap._core.credentials import (
    Origin,
    credentials_allowed,
    is_loopback,
    permitted_headers,
)
from veowrap._core.status import VideoRef

from ._servers import (
    API_KEY,
    MP4,
    SECRETS,
    TOKEN,
    Loopback,
    Reply,
    Seen,
    downloader,
    gemini_backend,
    redirect,
    vertex_backend,
    video,
)

EMULATOR = "http://127.0.0.1:8123"

# -- the rule ------------------------------------------------------------------------------

# id, url, configured base URLs, first URL of the chain (None: not a redirect), allowed
RULE: list[tuple[str, str, tuple[str, ...], str | None, bool]] = [
    ("gemini-api", "https://generativelanguage.googleapis.com/v1beta/files/a", (), None, True),
    ("storage", "https://storage.googleapis.com/storage/v1/b/b/o/o?alt=media", (), None, True),
    ("bucket-host", "https://bucket.storage.googleapis.com/o", (), None, True),
    ("apex", "https://googleapis.com/x", (), None, True),
    ("google-443-explicit", "https://storage.googleapis.com:443/x", (), None, True),
    ("google-upper-case", "https://STORAGE.GoogleAPIs.com/x", (), None, True),
    ("google-trailing-dot", "https://storage.googleapis.com./x", (), None, True),
    ("google-plain-http", "http://storage.googleapis.com/x", (), None, False),
    ("google-odd-port", "https://storage.googleapis.com:8443/x", (), None, False),
    ("lookalike-suffix", "https://evilgoogleapis.com/x", (), None, False),
    ("lookalike-prefix", "https://googleapis.com.evil.example/x", (), None, False),
    ("userinfo-trick", "https://storage.googleapis.com@evil.example/x", (), None, False),
    ("userinfo-reverse", "https://evil.example@storage.googleapis.com/x", (), None, False),
    ("backslash-trick", "https://evil.example\\@storage.googleapis.com/x", (), None, False),
    ("signed-url-host", "https://lh3.googleusercontent.com/x", (), None, False),
    ("emulator-configured", f"{EMULATOR}/v1beta/files/a", (EMULATOR,), None, True),
    ("emulator-other-port", "http://127.0.0.1:8124/x", (EMULATOR,), None, False),
    ("emulator-other-loopback", "http://127.0.0.2:8123/x", (EMULATOR,), None, False),
    ("emulator-not-configured", f"{EMULATOR}/x", (), None, False),
    ("localhost-configured", "http://localhost:9/x", ("http://localhost:9/",), None, True),
    ("ipv6-loopback", "http://[::1]:9/x", ("http://[::1]:9",), None, True),
    (
        "plain-http-remote",
        "http://gateway.example:8080/x",
        ("http://gateway.example:8080",),
        None,
        False,
    ),
    ("https-gateway", "https://gateway.example/v1/x", ("https://gateway.example",), None, True),
    (
        "https-gateway-default-port",
        "https://gateway.example:443/x",
        ("https://gateway.example/",),
        None,
        True,
    ),
    ("redirect-same-origin", f"{EMULATOR}/b", (EMULATOR,), f"{EMULATOR}/a", True),
    ("redirect-to-foreign", "http://127.0.0.1:9999/v", (EMULATOR,), f"{EMULATOR}/a", False),
    (
        "redirect-google-to-google",
        "https://bucket.storage.googleapis.com/o",
        (),
        "https://generativelanguage.googleapis.com/v1beta/files/a",
        False,
    ),
    (
        "redirect-google-same-host",
        "https://storage.googleapis.com/b",
        (),
        "https://storage.googleapis.com/a",
        True,
    ),
    ("not-http", "file:///etc/passwd", (), None, False),
    ("ftp", "ftp://storage.googleapis.com/x", (), None, False),
    ("garbage", "::::", (), None, False),
    ("bad-port", "https://storage.googleapis.com:99999/x", (), None, False),
]


@pytest.mark.parametrize(
    ("url", "configured", "first", "allowed"), [pytest.param(*row[1:], id=row[0]) for row in RULE]
)
def test_the_credential_rule(
    url: str, configured: tuple[str, ...], first: str | None, allowed: bool
) -> None:
    assert credentials_allowed(url, configured=configured, first_url=first) is allowed
    headers = {"Authorization": "Bearer t", "x-goog-api-key": "k", "Accept": "*/*"}
    sent = permitted_headers(url, headers, configured=configured, first_url=first)
    assert sent == (headers if allowed else {"Accept": "*/*"})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_origin_text_never_shows_a_path_or_query() -> None:
    origin = Origin.of("https://storage.googleapis.com/b/o?X-Goog-Signature=secret")
    assert str(origin) == "https://storage.googleapis.com"
    assert str(Origin.of("http://127.0.0.1:8080/x")) == "http://127.0.0.1:8080"


# -- end to end ----------------------------------------------------------------------------


def _redirecting(target: str, first: Reply | None = None) -> Loopback:
    """Answers file state as ACTIVE, and every download with a redirect to ``target``."""

    def handle(seen: Seen) -> Reply:
        if ":download" in seen.path or seen.path.startswith("/storage/"):
            return redirect(target)
        return Reply(body=b'{"name": "files/abc", "state": "ACTIVE"}')

    return Loopback(handle)


def test_files_api_redirect_to_another_host_gets_no_api_key(tmp_path: Path) -> None:
    with Loopback(video()) as foreign, _redirecting(foreign.url("/signed/video.mp4")) as api:
        backend = gemini_backend(api.base_url)
        saved = downloader(backend).save(
            VideoRef(uri="https://generativelanguage.googleapis.com/v1beta/files/abc"),
            tmp_path / "v.mp4",
        )
    assert saved.read_bytes() == MP4
    assert [seen.path for seen in foreign.requests] == ["/signed/video.mp4"]
    assert not foreign.saw_credentials()
    assert all(seen.headers.get("x-goog-api-key") == API_KEY for seen in api.requests)


def test_cloud_storage_redirect_to_another_host_gets_no_token(tmp_path: Path) -> None:
    with Loopback(video()) as foreign, _redirecting(foreign.url("/object")) as storage:
        backend = vertex_backend(storage.base_url)
        downloader(backend).save(VideoRef(uri="gs://bucket/out/v.mp4"), tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == MP4
    assert not foreign.saw_credentials()
    assert storage.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_redirect_within_the_origin_keeps_the_credentials(tmp_path: Path) -> None:
    def handle(seen: Seen) -> Reply:
        if seen.path.startswith("/storage/"):
            return redirect("/moved/object")  # relative: same origin
        return video()

    with Loopback(handle) as storage:
        backend = vertex_backend(storage.base_url)
        downloader(backend).save(VideoRef(uri="gs://bucket/v.mp4"), tmp_path / "v.mp4")
    assert [s.headers.get("authorization") for s in storage.requests] == [f"Bearer {TOKEN}"] * 2


def test_credentials_never_come_back_after_a_foreign_hop(tmp_path: Path) -> None:
    # Foreign host redirects back to the configured one: the chain left the origin once, so
    # the header is not re-attached (requests a foreign server causes carry nothing).
    with _redirecting("unused") as storage:
        back = storage.url("/moved/object")
        with Loopback(redirect(back)) as foreign:
            storage.handler = lambda seen: (
                redirect(foreign.url("/hop")) if seen.path.startswith("/storage/") else video()
            )
            backend = vertex_backend(storage.base_url)
            downloader(backend).save(VideoRef(uri="gs://bucket/v.mp4"), tmp_path / "v.mp4")
    assert not foreign.saw_credentials()
    assert "authorization" not in storage.requests[1].headers


@pytest.mark.parametrize("status", [401, 403])
def test_a_foreign_host_asking_for_credentials_gets_a_clear_error(
    tmp_path: Path, status: int
) -> None:
    body = b'{"error": {"message": "Anonymous caller does not have access"}}'
    with (
        Loopback(Reply(status=status, body=body)) as foreign,
        _redirecting(foreign.url("/x")) as api,
    ):
        backend = gemini_backend(api.base_url)
        with pytest.raises(veowrap.DownloadError, match="withheld") as caught:
            downloader(backend).save(
                VideoRef(uri="https://generativelanguage.googleapis.com/v1beta/files/abc"),
                tmp_path / "v.mp4",
            )
    assert f"HTTP {status}" in str(caught.value)
    assert foreign.base_url in str(caught.value)
    assert len(foreign.requests) == 1  # a refusal no retry can fix
    assert not foreign.saw_credentials()
    assert list(tmp_path.iterdir()) == []


def test_redirect_loops_are_cut_short(tmp_path: Path) -> None:
    with Loopback(lambda seen: redirect(f"/loop{len(seen.path)}")) as storage:
        backend = vertex_backend(storage.base_url)
        with pytest.raises(veowrap.DownloadError, match="More than 5 redirects"):
            downloader(backend).save(VideoRef(uri="gs://b/v.mp4"), tmp_path / "v.mp4")
    assert len(storage.requests) == 6


def test_a_redirect_to_a_non_http_location_is_not_followed(tmp_path: Path) -> None:
    with Loopback(redirect("file:///etc/passwd")) as storage:
        backend = vertex_backend(storage.base_url)
        with pytest.raises(veowrap.DownloadError, match="without a location that can be"):
            downloader(backend).save(VideoRef(uri="gs://b/v.mp4"), tmp_path / "v.mp4")


@pytest.mark.parametrize("route", ["files", "gcs"])
def test_an_error_echoing_the_credentials_does_not_leak_them(tmp_path: Path, route: str) -> None:
    secret = API_KEY if route == "files" else f"Bearer {TOKEN}"
    echo = '{"error": {"code": 500, "message": "you sent ' + secret + '"}}'
    with Loopback(Reply(status=500, body=echo.encode())) as server:
        if route == "files":
            backend = gemini_backend(server.base_url)
            uri = "https://generativelanguage.googleapis.com/v1beta/files/abc"
        else:
            backend = vertex_backend(server.base_url)
            uri = "gs://b/v.mp4"
        with pytest.raises(veowrap.DownloadError) as caught:
            downloader(backend).save(VideoRef(uri=uri), tmp_path / "v.mp4")
    assert server.saw_credentials()  # they were sent (to their own host) and echoed back
    for error in [caught.value, *_chain(caught.value)]:
        text = f"{error} {error!r} {getattr(error, 'body', '')} {getattr(error, 'headers', '')}"
        assert not any(secret in text for secret in SECRETS), text
        assert "[redacted]" in text or error is caught.value


def _chain(error: BaseException) -> list[BaseException]:
    found = []
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
        found.append(error)
    return found
