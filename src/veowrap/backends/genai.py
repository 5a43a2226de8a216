"""The google-genai backend: Veo through long-running operations on Vertex AI and the Gemini API.

``google.genai`` is imported here, when a backend is built, never by ``import veowrap``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from veowrap._core.credentials import check_api_key
from veowrap._environment import SETUP_HELP
from veowrap._errors import ConfigurationError, UnsupportedCapabilityError
from veowrap._redact import install_http_stack_filters
from veowrap.backends._response_guard import guard_clients

if TYPE_CHECKING:
    # The catalog, requests, conversions, downloads and the no-retry view are loaded by the
    # first call that needs them: building the backend costs little more than its client.
    from google import genai

    from veowrap._core.status import VideoRef
    from veowrap._handle import OperationHandle, Platform, Route
    from veowrap._request import VideoRequest
    from veowrap.backends._http import Fetcher
    from veowrap.backends._no_retry import NoRetryResources
    from veowrap.backends._protocol import VideoStream

__all__ = ["GenAIBackend"]

_DEFAULT_GEMINI_BASE = "https://generativelanguage.googleapis.com/"
_DEFAULT_STORAGE_BASE = "https://storage.googleapis.com/"
_FILE_ID = re.compile(r"files/([a-z0-9]+)")


class GenAIBackend:
    """Talks to Google through an unmodified ``google.genai.Client``.

    Args:
        client: A ready client. When omitted one is built from the other arguments and the
            same environment variables ``genai.Client()`` reads.
        api_key: A Gemini API key (or a Vertex AI express-mode key).
        vertexai: Use Vertex AI.
        project: The Google Cloud project (Vertex AI).
        location: The Google Cloud region (Vertex AI).
        credentials: google-auth credentials (Vertex AI).
        storage_base_url: Where ``gs://`` results are downloaded from; defaults to the
            client's custom base URL if it has one (an emulator), else Cloud Storage.
        download_timeout: Seconds a download may stall before it is retried; also the most
            response headers, a file-state answer, or a file's PROCESSING state may take.

    Downloads use their own httpx client with the SDK client's TLS, proxy and transport
    settings. Credentials go only to the configured base URLs and Google's API hosts over
    https; redirects elsewhere are followed without them.
    """

    name = "genai"

    def __init__(
        self,
        client: genai.Client | None = None,
        *,
        api_key: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Any = None,
        storage_base_url: str | None = None,
        download_timeout: float = 60.0,
    ) -> None:
        self._client = (
            client
            if client is not None
            else _build_client(
                api_key=api_key,
                vertexai=vertexai,
                project=project,
                location=location,
                credentials=credentials,
            )
        )
        self._api = self._client._api_client
        check_api_key(getattr(self._api, "api_key", None))
        self._storage_base = storage_base_url or self._custom_base() or _DEFAULT_STORAGE_BASE
        self._download_timeout = download_timeout
        self._fetcher_built: Fetcher | None = None  # on the first download (see _fetcher)
        self._fetcher_lock = threading.Lock()
        self._creators: dict[bool, Any] = {}
        # Veo calls go through resources bound to a no-retry view of the SDK's API client,
        # built on the first call and kept (see _no_retry.py); None when this SDK cannot.
        self._no_retry: NoRetryResources | None = None
        self._no_retry_tried = False
        # Only a client veowrap built is veowrap's to close; a caller's client stays open.
        self._owns_client = client is None
        guard_clients(
            getattr(self._api, "_httpx_client", None),
            getattr(self._api, "_async_httpx_client", None),
        )
        install_http_stack_filters()

    @property
    def client(self) -> genai.Client:
        """The underlying google-genai client."""
        return self._client

    @property
    def platform(self) -> Platform:
        """``vertex`` for Vertex AI (including express mode), else ``gemini``."""
        return "vertex" if self._api.vertexai else "gemini"

    def default_model(self) -> str:
        """The catalog's default for this platform (Veo 3.1 on Vertex AI, Gemini Omni Flash on
        the Gemini API, Google's default there)."""
        from veowrap._catalog import load_catalog

        return load_catalog().default_model(self.platform)

    def route_for(self, model: str) -> Route:
        """The catalog's route for ``model`` (Gemini video models: interactions; Veo:
        long-running operations)."""
        from veowrap._catalog import load_catalog

        return load_catalog().route_for(model)

    def prepare(self, request: VideoRequest, model: str) -> None:
        """Refuses what the installed google-genai cannot send (the catalog has the rest)."""
        if self.route_for(model) == "interactions":
            if not _sdk_has_interactions():
                raise UnsupportedCapabilityError(
                    f"google-genai {_sdk_version()} has no Interactions API, which {model!r} "
                    "needs.",
                    hint="pip install -U 'google-genai>=2.10'.",
                )
            return
        if self.platform == "gemini" and not _sdk_sends_gemini_veo():
            raise UnsupportedCapabilityError(
                f"google-genai {_sdk_version()} refuses Veo (generate_videos) on the Gemini "
                "Developer API: Google moved Veo to Vertex AI.",
                hint="Use Vertex AI (VideoGenerator(vertexai=True, project=..., location=...)), "
                "or a Gemini video model such as 'gemini-omni-1.2-flash'.",
            )

    # -- calls (sync) -----------------------------------------------------------------------

    def submit(self, request: VideoRequest, model: str) -> Any:
        """Starts a generation once, with the SDK's own retries off."""
        if self.route_for(model) == "interactions":
            from veowrap.backends._interactions import create_arguments

            return self._quiet(asynchronous=False).create(**create_arguments(request, model))
        quiet = self._veo()
        if quiet is None:
            return self._client.models.generate_videos(**self._arguments(request, model, True))
        return quiet.models.generate_videos(**self._arguments(request, model, False))

    def poll(self, handle: OperationHandle) -> Any:
        """Reads the operation (``operations.get``) or interaction (``interactions.get``)."""
        if handle.route == "interactions":
            return self._quiet(asynchronous=False).get(handle.name)
        quiet = self._veo()
        operations = self._client.operations if quiet is None else quiet.operations
        return operations.get(self._operation(handle))

    def cancel(self, handle: OperationHandle) -> None:
        """Cancels an interaction; Veo operations cannot be cancelled through google-genai."""
        if handle.route != "interactions":
            raise _cannot_cancel(handle)
        self._quiet(asynchronous=False).cancel(handle.name)

    # -- calls (async) ----------------------------------------------------------------------

    async def submit_async(self, request: VideoRequest, model: str) -> Any:
        """Starts a generation once, with the SDK's own retries off."""
        if self.route_for(model) == "interactions":
            from veowrap.backends._interactions import create_arguments

            return await self._quiet(asynchronous=True).create(**create_arguments(request, model))
        quiet = self._veo()
        if quiet is None:
            arguments = self._arguments(request, model, True)
            return await self._client.aio.models.generate_videos(**arguments)
        return await quiet.aio_models.generate_videos(**self._arguments(request, model, False))

    async def poll_async(self, handle: OperationHandle) -> Any:
        """Reads the operation or interaction once."""
        if handle.route == "interactions":
            return await self._quiet(asynchronous=True).get(handle.name)
        quiet = self._veo()
        operations = self._client.aio.operations if quiet is None else quiet.aio_operations
        return await operations.get(self._operation(handle))

    async def cancel_async(self, handle: OperationHandle) -> None:
        """Cancels an interaction; Veo operations cannot be cancelled through google-genai."""
        if handle.route != "interactions":
            raise _cannot_cancel(handle)
        await self._quiet(asynchronous=True).cancel(handle.name)

    # -- downloads --------------------------------------------------------------------------

    def open_video(self, video: VideoRef) -> AbstractContextManager[VideoStream]:
        """Opens a finished video: inline bytes, a ``gs://`` object or a Files API URI.

        Called from veowrap's download worker, whose deadline and stop signal
        (``veowrap._transfer``) bound every wait here.
        """
        return self._open(video)

    @contextmanager
    def _open(self, video: VideoRef) -> Iterator[VideoStream]:
        from veowrap.backends._http import BytesStream

        if video.data is not None:
            yield BytesStream(video.data, video.mime_type)
            return
        uri = video.uri or ""
        if uri.startswith("gs://"):
            if self._api.api_key:
                # Express mode has only an API key, which Cloud Storage does not accept; asking
                # google-auth for default credentials here would reach for the metadata server.
                raise UnsupportedCapabilityError(
                    f"Cannot download {uri} with a Vertex AI express-mode API key: Cloud Storage "
                    "needs Google Cloud credentials.",
                    hint="Omit output_gcs_uri to get the video inline, or use project/location "
                    "credentials (or gcloud storage cp) for gs:// outputs.",
                )
            bucket, _, name = uri[len("gs://") :].partition("/")
            url = (
                f"{self._storage_base.rstrip('/')}/storage/v1/b/{quote(bucket, safe='')}"
                f"/o/{quote(name, safe='')}?alt=media"
            )
            headers = {"Authorization": f"Bearer {self._api._access_token()}"}
        else:
            match = _FILE_ID.search(uri)
            if not match or self.platform != "gemini":
                raise UnsupportedCapabilityError(
                    f"Cannot download {uri!r} on {self.platform}: not a gs:// or Files API URI."
                )
            options = self._api._http_options
            base = (options.base_url or _DEFAULT_GEMINI_BASE).rstrip("/")
            files = f"{base}/{options.api_version}/files/{match[1]}"
            headers = {"x-goog-api-key": self._api.api_key or ""}
            self._wait_until_active(files, headers)
            url = f"{files}:download?alt=media"
        with self._fetcher.open(url, headers) as stream:
            yield stream

    def _wait_until_active(self, url: str, headers: dict[str, str]) -> None:
        # Files made by uri delivery are PROCESSING for a while before they can be downloaded.
        # The waits go through the transfer's scope: a cancelled or overdue save stops at once.
        from veowrap._transfer import TransferScope, current_scope

        scope = current_scope() or TransferScope()
        give_up = time.monotonic() + self._download_timeout
        delay = 0.05
        while True:
            answer = self._fetcher.get_json(url, headers)
            state = str(answer.get("state", "ACTIVE")) if isinstance(answer, dict) else "ACTIVE"
            if state != "PROCESSING" or time.monotonic() + delay > give_up:
                break
            scope.pause(delay)
            delay = min(delay * 2, 2.0)
        if state != "ACTIVE":
            raise UnsupportedCapabilityError(
                f"The video file is in state {state!r}, not ACTIVE; it cannot be downloaded.",
                hint="Try save() again later; files are kept for about two days.",
            )

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the download connections, and the client's if veowrap built the client."""
        self._close_fetcher()
        close = getattr(self._client, "close", None) if self._owns_client else None
        if callable(close):
            close()

    async def aclose(self) -> None:
        """Closes the download connections, and the async client's if veowrap built it."""
        self._close_fetcher()
        # Older google-genai 2.x async clients have no aclose().
        aclose: Callable[[], Awaitable[None]] | None = (
            getattr(self._client.aio, "aclose", None) if self._owns_client else None
        )
        if aclose is not None:
            await aclose()

    def __repr__(self) -> str:
        return f"GenAIBackend(platform={self.platform!r}, sdk={_sdk_version()!r})"

    def secrets(self) -> tuple[str, ...]:
        """The credentials this backend currently holds (API key, bearer token), for redaction.

        Read again after failures: OAuth tokens are refreshed as they expire.
        """
        credentials = getattr(self._api, "_credentials", None)
        token = getattr(credentials, "token", None)
        values = (self._api.api_key, token if isinstance(token, str) else None)
        return tuple(value for value in values if value)

    # -- helpers ----------------------------------------------------------------------------

    def _quiet(self, *, asynchronous: bool) -> Any:
        # Interactions calls go through a view with the SDK's retries off: veowrap retries, so
        # the layers never stack (a billable create, or polls overrunning the deadline).
        if asynchronous not in self._creators:
            from veowrap.backends._interactions import no_retry_interactions

            view = no_retry_interactions(self._client, asynchronous=asynchronous)
            configuration = getattr(view, "sdk_configuration", None)
            guard_clients(
                getattr(configuration, "client", None),
                getattr(configuration, "async_client", None),
            )
            self._creators[asynchronous] = view
        return self._creators[asynchronous]

    def _veo(self) -> NoRetryResources | None:
        # Built once, on the first Veo call, then reused by every create and poll.
        if not self._no_retry_tried:
            from veowrap.backends._no_retry import NoRetryResources, no_retry_api_client

            view = no_retry_api_client(self._api)
            self._no_retry = NoRetryResources(view) if view is not None else None
            self._no_retry_tried = True
        return self._no_retry

    def _arguments(self, request: VideoRequest, model: str, per_call: bool) -> dict[str, Any]:
        from google.genai import types

        from veowrap.backends._convert import generate_videos_arguments

        return generate_videos_arguments(types, request, model, per_call_retry_off=per_call)

    @property
    def _fetcher(self) -> Fetcher:
        # Built on the first download (downloads run on worker threads, hence the lock).
        with self._fetcher_lock:
            if self._fetcher_built is None:
                from veowrap.backends._http import Fetcher, build_download_client

                options = self._api._http_options
                configured = [url for url in (options.base_url, self._storage_base) if url]
                self._fetcher_built = Fetcher(
                    lambda: build_download_client(self._api),
                    configured=configured,
                    stall_timeout=self._download_timeout,
                )
            return self._fetcher_built

    def _close_fetcher(self) -> None:
        with self._fetcher_lock:
            fetcher = self._fetcher_built
        if fetcher is not None:
            fetcher.close()

    def _operation(self, handle: OperationHandle) -> Any:
        from google.genai import types

        # operations.get reads only the name (and the class's from_api_response): no need to
        # validate a whole model per poll.
        return types.GenerateVideosOperation.model_construct(name=handle.name)

    def _custom_base(self) -> str | None:
        base = self._api._http_options.base_url
        if base and not urlsplit(base).netloc.endswith("googleapis.com"):
            return str(base)
        return None


def _build_client(**settings: Any) -> genai.Client:
    from google import genai

    arguments = {key: value for key, value in settings.items() if value is not None}
    try:
        return genai.Client(**arguments)
    except ValueError as error:
        if "credentials" in str(error).lower() or "api key" in str(error).lower():
            raise ConfigurationError(
                "No Google credentials or API key were found.", hint=SETUP_HELP
            ) from None
        raise ConfigurationError(f"google-genai refused the settings: {error}") from None
    except Exception as error:
        if type(error).__name__ == "DefaultCredentialsError":
            raise ConfigurationError(
                "Vertex AI was chosen but no Google Cloud credentials were found.",
                hint=SETUP_HELP,
            ) from None
        raise


def _sdk_version() -> str:
    from google.genai import version

    return str(version.__version__)


def _sdk_sends_gemini_veo() -> bool:
    # google-genai 3.x removed the Gemini API converters for generate_videos and raises before
    # sending; detect the feature, not the version number.
    from google.genai import models

    return hasattr(models, "_GenerateVideosParameters_to_mldev")


def _sdk_has_interactions() -> bool:
    import importlib.util

    return importlib.util.find_spec("google.genai._gaos") is not None


def _cannot_cancel(handle: OperationHandle) -> UnsupportedCapabilityError:
    return UnsupportedCapabilityError(
        "Veo long-running operations cannot be cancelled through google-genai; the operation "
        "keeps running on the server.",
        hint="Stop waiting instead (the handle resumes it later); only interactions "
        "(gemini-omni-* models) can be cancelled.",
        handle=handle,
    )
