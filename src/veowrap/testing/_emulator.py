"""`VeoEmulator`: the public face of the local Google video API emulator."""

from __future__ import annotations

import secrets
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from veowrap._core.schedule import PollSchedule
from veowrap._settings import GeneratorOptions

from ._faults import Fault, Outcome
from ._http import ServerConfig
from ._server import EmulatorServer
from ._state import EmulatorState, RecordedRequest

if TYPE_CHECKING:
    from google.genai import Client

    from veowrap._async import AsyncVideoGenerator
    from veowrap._sync import VideoGenerator

    from ._webhook_delivery import WebhookDeliveries

ENDPOINTS = frozenset(
    {
        "create",
        "poll",
        "download",
        "file_get",
        "gcs_download",
        "interaction_create",
        "interaction_get",
        "interaction_cancel",
        "interaction_delete",
        "legacy_generate",
        "media",
        "webhooks",
    }
)


class VeoEmulator:
    """A local HTTP server that answers like Google's Veo, Interactions and storage APIs.

    The unmodified google-genai client talks to it over real sockets on 127.0.0.1. Use it as
    a context manager, or call `start()` and `stop()`.

    Example:
        >>> with VeoEmulator(latency=0.05) as emu:
        ...     client = emu.client(vertex=True)
        ...     op = client.models.generate_videos(model="veo-3.1-generate-001", prompt="a cat")

    Args:
        latency: Default seconds from create to done.
        api_key: The only API key accepted (Gemini API and Vertex express mode).
        token: The only OAuth bearer token accepted (Vertex AI and Cloud Storage).
        port: Port to listen on; 0 picks a free one.
        files_redirect: Answer Files API downloads with a redirect to the media origin, as
            Google does (see `redirect_downloads`).
    """

    def __init__(
        self,
        latency: float = 0.2,
        api_key: str = "test-key",
        token: str = "test-token",
        port: int = 0,
        files_redirect: bool = False,
    ) -> None:
        self._state = EmulatorState(latency)
        self._config = ServerConfig(
            api_key=api_key, token=token, media_secret=secrets.token_hex(16)
        )
        self._port = port
        self._files_redirect = files_redirect
        self._server: EmulatorServer | None = None
        self._media: EmulatorServer | None = None
        self._threads: list[threading.Thread] = []
        self._webhooks: WebhookDeliveries | None = None

    # Lifecycle ---------------------------------------------------------------------------

    def start(self) -> VeoEmulator:
        """Starts serving in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = EmulatorServer(self._port, self._state, self._config)
        # A webhook registered through the API starts the deliveries (and their keys) lazily.
        self._state.webhook_registry.on_create = lambda: self.webhooks.start()
        self._serve(self._server, "veo-emulator")
        self.redirect_downloads(self._files_redirect)
        return self

    def _serve(self, server: EmulatorServer, name: str) -> None:
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stops serving, wakes stalled and trickling requests and closes open connections.

        Returns once the handler threads have let go of their connections (at most about
        two seconds), so no handler outlives the emulator.
        """
        if self._webhooks is not None:
            self._webhooks.stop()
            self._webhooks = None
        servers = [s for s in (self._server, self._media) if s is not None]
        self._server = self._media = None
        for server in servers:
            server.halt()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> VeoEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses and clients --------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_key(self) -> str:
        """The accepted API key."""
        return self._config.api_key

    @property
    def token(self) -> str:
        """The accepted bearer token."""
        return self._config.token

    def client(
        self,
        vertex: bool = False,
        express: bool = False,
        project: str = "test-project",
        location: str = "us-central1",
        api_version: str | None = None,
        retry_options: Any = None,
        timeout_ms: int | None = None,
    ) -> Client:
        """Builds a real `google.genai.Client` pointed at the emulator.

        Keep a reference to the returned client while you use it: the SDK closes its HTTP
        connection pool when the client is garbage-collected.

        Args:
            vertex: Vertex AI with a static OAuth token (project and location in the path).
            express: Vertex AI express mode (API key, no project); implies Vertex.
            project: Vertex project id.
            location: Vertex location.
            api_version: API version; the Gemini API default is `v1beta` (which Google's
                docs use), Vertex uses the SDK default.
            retry_options: A `google.genai.types.HttpRetryOptions` (or dict).
            timeout_ms: Request timeout in milliseconds.

        Returns:
            A client whose requests all go to this emulator.
        """
        from google import genai
        from google.genai import types

        options: dict[str, Any] = {"base_url": self.base_url}
        if retry_options is not None:
            options["retry_options"] = retry_options
        if timeout_ms is not None:
            options["timeout"] = timeout_ms
        if express:
            if api_version:
                options["api_version"] = api_version
            return genai.Client(
                vertexai=True, api_key=self.api_key, http_options=types.HttpOptions(**options)
            )
        if vertex:
            import google.oauth2.credentials

            if api_version:
                options["api_version"] = api_version
            # A static token is never refreshed, so no call ever leaves for oauth2.googleapis.
            credentials = google.oauth2.credentials.Credentials(token=self.token)  # type: ignore[no-untyped-call,unused-ignore]
            return genai.Client(
                vertexai=True,
                project=project,
                location=location,
                credentials=credentials,
                http_options=types.HttpOptions(**options),
            )
        options["api_version"] = api_version or "v1beta"
        return genai.Client(api_key=self.api_key, http_options=types.HttpOptions(**options))

    def poll_schedule(self) -> PollSchedule:
        """A poll schedule scaled to this emulator's latency (not Veo's 22 s first poll).

        Snippets and user tests that run against the emulator then finish in about the
        emulator's latency instead of waiting for the production schedule.
        """
        latency = max(self._state.default_latency, 0.001)
        return PollSchedule(
            first_delay=latency / 2, interval=latency / 4, max_interval=latency / 4, jitter=0.0
        )

    def generator(
        self, vertex: bool = False, express: bool = False, **settings: Unpack[GeneratorOptions]
    ) -> VideoGenerator:
        """A ready `veowrap.VideoGenerator` on this emulator, polling at its pace.

        Args:
            vertex: Vertex AI (OAuth token, project and location) instead of the Gemini API.
            express: Vertex AI express mode (API key).
            **settings: Any other `VideoGenerator` setting (``model=``, ``timeout=``, ...).
        """
        from veowrap._sync import VideoGenerator

        settings.setdefault("poll_schedule", self.poll_schedule())
        # The emulator's latency is not the service's: keep it out of the latency history.
        settings.setdefault("history", False)
        return VideoGenerator(self.client(vertex=vertex, express=express), **settings)

    def async_generator(
        self, vertex: bool = False, express: bool = False, **settings: Unpack[GeneratorOptions]
    ) -> AsyncVideoGenerator:
        """A ready `veowrap.AsyncVideoGenerator` on this emulator; see `generator`."""
        from veowrap._async import AsyncVideoGenerator

        settings.setdefault("poll_schedule", self.poll_schedule())
        # The emulator's latency is not the service's: keep it out of the latency history.
        settings.setdefault("history", False)
        return AsyncVideoGenerator(self.client(vertex=vertex, express=express), **settings)

    def env(self, vertex: bool = False) -> dict[str, str]:
        """Environment variables that point a bare `genai.Client()` at the emulator.

        For `vertex=True` this is express mode: with `GOOGLE_GENAI_USE_VERTEXAI` set, the
        SDK reads `GOOGLE_GEMINI_BASE_URL` (not `GOOGLE_VERTEX_BASE_URL`). Unset
        `GOOGLE_CLOUD_PROJECT` and `GOOGLE_CLOUD_LOCATION` yourself if they are set, and
        `GOOGLE_API_KEY` for the Gemini API (google-genai prefers it to `GEMINI_API_KEY`).

        Args:
            vertex: Express-mode Vertex AI instead of the Gemini API.

        Returns:
            Variable names and values to set.
        """
        use_vertex = "true" if vertex else "false"
        # One key variable: google-genai warns when both are set (and doctor does too).
        return {
            "GOOGLE_API_KEY" if vertex else "GEMINI_API_KEY": self.api_key,
            "GOOGLE_GEMINI_BASE_URL": self.base_url,
            "GOOGLE_GENAI_USE_VERTEXAI": use_vertex,
            "GOOGLE_GENAI_USE_ENTERPRISE": use_vertex,
        }

    @property
    def media_base_url(self) -> str:
        """`http://127.0.0.1:PORT` of the media origin that Files API downloads redirect to."""
        if self._media is None:
            raise RuntimeError("the media origin runs only while downloads redirect")
        return f"http://127.0.0.1:{self._media.server_address[1]}"

    # Observation ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, oldest first (secrets masked)."""
        return self._state.requests

    @property
    def accepted_submissions(self) -> int:
        """Creates the server accepted (an operation or interaction was created)."""
        return self._state.accepted

    @property
    def operations(self) -> list[str]:
        """Names of accepted operations and ids of accepted interactions, in order."""
        return self._state.names()

    @property
    def gcs_objects(self) -> dict[str, int]:
        """Cloud Storage objects the emulator holds now: `gs://bucket/object` → size."""
        return self._state.gcs_objects(time.monotonic())

    @property
    def credentials_seen_by_media(self) -> int:
        """Requests that brought the API key or the token to the media origin.

        Google's media host needs no credential (the redirect URL is signed); a client that
        forwards `x-goog-api-key` or `Authorization` after a redirect leaks it to another
        host. Zero is the right answer.
        """
        return self._state.media_credentials

    @property
    def webhooks(self) -> WebhookDeliveries:
        """Signed webhook deliveries of finished jobs: ``emu.webhooks.configure(url)``.

        Needs the ``webhooks`` extra. See `WebhookDeliveries` for schemes and faults.
        """
        if self._webhooks is None:
            from ._webhook_delivery import WebhookDeliveries

            self._webhooks = WebhookDeliveries(self._state)
        return self._webhooks

    # Control ----------------------------------------------------------------------------

    def set_latency(self, seconds: float, model: str | None = None) -> None:
        """Sets the time from create to done for later creates.

        Args:
            seconds: Latency in seconds.
            model: Model id to set it for; None sets the default.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._state.set_latency(seconds, model)

    def set_file_processing_delay(self, seconds: float) -> None:
        """Sets how long a `uri`-delivered interaction file stays PROCESSING (default 0.1 s)."""
        self._state.file_processing_delay = seconds

    def redirect_downloads(self, enabled: bool = True) -> None:
        """Makes Files API downloads redirect, as Google's do (or serve bytes directly again).

        Google answers `GET .../files/{id}:download?alt=media` with a redirect to a signed URL
        on another host, which serves the bytes without a credential (its REST docs download
        with `curl -L`; google-genai's HTTP clients follow redirects). With this on, the
        emulator's `download` endpoint answers `302 Found` with a `Location` on its media
        origin (`media_base_url`: the same loopback address on another port, so a different
        origin), whose requests are the `media` endpoint. Faults injected into `download`
        hit the redirecting call; inject into `media` to break the transfer itself.
        `credentials_seen_by_media` counts requests that brought a credential there.

        Args:
            enabled: True to redirect; False to serve the bytes from the `download` call.
        """
        self._files_redirect = enabled
        if self._server is None:
            return  # start() applies it
        if enabled and self._media is None:
            # Started on first use: another port, so another origin, like Google's media host.
            self._media = EmulatorServer(0, self._state, self._config, origin="media")
            self._serve(self._media, "veo-emulator-media")
        self._state.media_redirect = self.media_base_url if enabled else None

    def inject(
        self, endpoint: str, fault: Fault, *, times: int = 1, call: int | None = None
    ) -> None:
        """Injects a fault into calls of one endpoint family.

        Args:
            endpoint: One of `create`, `poll`, `download`, `file_get`, `gcs_download`,
                `interaction_create`, `interaction_get`, `interaction_cancel`,
                `interaction_delete`, `legacy_generate`, `media` (the media origin of
                redirected downloads).
            fault: What to do.
            times: With `call=None`, how many of the next calls get the fault.
            call: Apply to exactly the Nth call (1-based, counted since start or `reset()`).
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {sorted(ENDPOINTS)}")
        if times < 1 or (call is not None and call < 1):
            raise ValueError("times and call must be >= 1")
        self._state.inject(endpoint, fault, times, call)

    def script(self, outcome: Outcome, *, model: str | None = None, times: int = 1) -> None:
        """Sets the outcome of the next `times` accepted creates (optionally for one model)."""
        if times < 1:
            raise ValueError("times must be >= 1")
        self._state.script(outcome, model, times)

    def set_quota(
        self, requests: int | None, per_seconds: float = 60.0, *, retry_after: bool = False
    ) -> None:
        """Limits creates (both routes) to ``requests`` per sliding ``per_seconds`` window.

        Creates over the quota get HTTP 429 with Google's body (``status``
        ``RESOURCE_EXHAUSTED`` and ``errors[{domain, reason: "rateLimitExceeded"}]``). Like
        Google, no ``Retry-After`` is sent unless ``retry_after=True``, which adds one telling
        when a slot frees. ``None`` removes the limit. Scale ``per_seconds`` down to test
        pacing quickly (e.g. 10 requests per 0.5 s).
        """
        if requests is not None and (requests < 1 or per_seconds <= 0):
            raise ValueError("requests must be >= 1 and per_seconds > 0")
        self._state.quota = None if requests is None else (requests, per_seconds)
        self._state.quota_retry_after = retry_after

    @property
    def quota_rejections(self) -> int:
        """How many creates the scripted quota refused with 429."""
        return self._state.quota_rejections

    def expire(self, name: str) -> None:
        """Makes an operation (by name) or interaction (by id) answer 404 from now on."""
        if not self._state.expire(name):
            raise KeyError(name)

    def reset(self) -> None:
        """Clears the log, counters, faults, scripts, operations, interactions and files."""
        self._state.reset()
