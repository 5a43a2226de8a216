"""A view of google-genai's API client with the SDK's own retries off, built once per backend.

veowrap decides every retry itself (``_core/retrying.py``): a create must never be re-sent by
the SDK underneath, and SDK backoff must not stack under veowrap's on polls. Passing
``HttpOptions(retry_options=HttpRetryOptions(attempts=1))`` with every call does that, but
then google-genai copies and patches its options, builds a new ``tenacity.Retrying`` and walks
the larger config on every call: about half of veowrap's CPU cost over a hand-written loop.

So the backend builds, once, a view of the client's ``BaseApiClient`` whose options carry a
single-attempt retry policy and whose prebuilt ``tenacity`` objects stop after one attempt,
and sends its calls through ``Models``/``Operations`` resources bound to that view. Every other
attribute is read from, and written to, the real client: credentials, token refreshes, the
project found by ``load_auth``, connection pools and sessions stay shared and single. The view
never closes anything; the real client owns the connections.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NoRetryResources", "no_retry_api_client"]

# Attributes the view owns; everything else lives on the real client.
_OWN = frozenset({"_veowrap_base", "_http_options", "_retry", "_async_retry"})
# The seams of BaseApiClient the view replaces. Present from google-genai 2.17 to 3.6 at least;
# if a release drops one, the view is not built and calls carry their own retry options again.
_SEAMS = ("_http_options", "_retry", "_async_retry")
_VIEW_CLASSES: dict[type, type] = {}


class _NoRetryView:
    """Mixed in before the SDK's ``BaseApiClient`` class: owns options and retries only."""

    def __init__(self, base: Any, options: Any, retry: Any, async_retry: Any) -> None:
        # No super().__init__: the real client is already built; this only borrows its state.
        own = self.__dict__
        own["_veowrap_base"] = base
        own["_http_options"] = options
        own["_retry"] = retry
        own["_async_retry"] = async_retry

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not owned above (and not defined on the class).
        return getattr(self.__dict__["_veowrap_base"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            self.__dict__[name] = value
        else:  # e.g. the SDK storing credentials or the project it loaded: one shared state
            setattr(self.__dict__["_veowrap_base"], name, value)

    def close(self) -> None:
        """Does nothing: the real client owns the connections."""

    async def aclose(self) -> None:
        """Does nothing: the real client owns the connections."""

    def __del__(self) -> None:
        # BaseApiClient.__del__ would close the shared httpx clients.
        pass


def _shared(name: str) -> property:
    def read(self: Any) -> Any:
        return getattr(self.__dict__["_veowrap_base"], name)

    def write(self: Any, value: Any) -> None:
        setattr(self.__dict__["_veowrap_base"], name, value)

    return property(read, write)


def _view_class(base_class: type) -> type:
    view = _VIEW_CLASSES.get(base_class)
    if view is None:
        # Plain class-level defaults (``vertexai = None``) would hide the real client's
        # instance values from __getattr__: each becomes a property reading the real client.
        namespace: dict[str, Any] = {}
        for klass in reversed(base_class.__mro__):
            for name, value in vars(klass).items():
                if name.startswith("__") or name in _OWN or hasattr(value, "__get__"):
                    continue
                namespace[name] = _shared(name)
        view = type(f"NoRetry{base_class.__name__}", (_NoRetryView, base_class), namespace)
        _VIEW_CLASSES[base_class] = view
    return view


def no_retry_api_client(api: Any) -> Any | None:
    """A view of ``api`` (a google-genai ``BaseApiClient``) that makes exactly one attempt.

    Returns ``None`` when this google-genai lacks the seams the view needs; callers then pass
    per-call retry options instead (slower, equally safe).
    """
    if not all(hasattr(api, seam) for seam in _SEAMS):
        return None
    import tenacity
    from google.genai import _api_client, types

    retry_args = getattr(_api_client, "retry_args", None)
    if retry_args is None:
        return None
    single = types.HttpRetryOptions(attempts=1)
    options = api._http_options.model_copy(update={"retry_options": single})
    # The SDK's own translation of the options, so the view's policy is the per-call one.
    arguments = retry_args(options.retry_options)
    retry = tenacity.Retrying(**arguments)
    async_retry = tenacity.AsyncRetrying(**arguments)
    return _view_class(type(api))(api, options, retry, async_retry)


class NoRetryResources:
    """``models`` and ``operations`` resources (sync and async) bound to a no-retry view.

    Attributes:
        models: ``google.genai.models.Models`` on the view.
        operations: ``google.genai.operations.Operations`` on the view.
        aio_models: ``AsyncModels`` on the view.
        aio_operations: ``AsyncOperations`` on the view.
    """

    def __init__(self, view: Any) -> None:
        from google.genai.models import AsyncModels, Models
        from google.genai.operations import AsyncOperations, Operations

        self.models = Models(view)
        self.operations = Operations(view)
        self.aio_models = AsyncModels(view)
        self.aio_operations = AsyncOperations(view)
