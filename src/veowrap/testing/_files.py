"""Media routes (files API, Cloud Storage) and the legacy generateContent route."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from typing import Any

from ._errors import GoogleError, not_found
from ._http import Context, Response, json_response
from ._state import StoredFile

_ALLOWED_MIME_TYPES = {
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
}
_MIME_ERROR = (
    "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are "
    "`text/plain`, `application/json`, `application/xml`, `application/yaml` and "
    "`text/x.enum`.\n"
)


def _stream(stored: StoredFile) -> Response:
    spec = stored.spec
    return Response(200, spec.chunks(), spec.size, {"Content-Type": "video/mp4"})


def _file(ctx: Context) -> tuple[str, StoredFile]:
    file_id = ctx.params["id"]
    stored = ctx.state.file(file_id, time.monotonic())
    if stored is None:
        raise not_found(f"File files/{file_id} was not found.")
    return file_id, stored


def media_signature(secret: str, file_id: str) -> str:
    """The signature that lets the media origin serve one file without a credential."""
    return hmac.new(secret.encode(), file_id.encode(), hashlib.sha256).hexdigest()[:32]


def download(ctx: Context) -> Response:
    """`GET {ver}/files/{id}:download?alt=media`: the video bytes, streamed.

    With redirects on, answers `302 Found` to a signed URL on the media origin instead, as
    Google's front end redirects to its media host.
    """
    file_id, stored = _file(ctx)
    base = ctx.state.media_redirect
    if base is None:
        return _stream(stored)
    signature = media_signature(ctx.config.media_secret, file_id)
    location = f"{base}/media/{file_id}?alt=media&signature={signature}"
    return Response(302, [], 0, {"Location": location})


def media(ctx: Context) -> Response:
    """`GET /media/{id}?signature=...` on the media origin: the bytes, no credential needed."""
    file_id, stored = _file(ctx)
    expected = media_signature(ctx.config.media_secret, file_id)
    if not hmac.compare_digest(ctx.query.get("signature", ""), expected):
        raise GoogleError(403, "The signature of this media URL is not valid.")
    return _stream(stored)


def file_get(ctx: Context) -> Response:
    """`GET {ver}/files/{id}`: file metadata; PROCESSING until the file becomes ACTIVE."""
    file_id, stored = _file(ctx)
    state = "ACTIVE" if time.monotonic() >= stored.active_at else "PROCESSING"
    return json_response(
        {
            "name": f"files/{file_id}",
            "mimeType": "video/mp4",
            "sizeBytes": str(stored.spec.size),
            "state": state,
            "uri": f"https://generativelanguage.googleapis.com/v1beta/files/{file_id}",
            "downloadUri": f"https://generativelanguage.googleapis.com/v1beta/files/{file_id}"
            ":download?alt=media",
        }
    )


def gcs_download(ctx: Context) -> Response:
    """`GET /storage/v1/b/{bucket}/o/{object}`: bytes with `alt=media`, else metadata."""
    bucket = ctx.params["bucket"]
    name = urllib.parse.unquote(ctx.params["object"])
    stored = ctx.state.gcs_object(f"gs://{bucket}/{name}", time.monotonic())
    if stored is None:
        raise not_found(f"No such object: {bucket}/{name}")
    if ctx.query.get("alt") == "media":
        return _stream(stored)
    return json_response(
        {
            "kind": "storage#object",
            "bucket": bucket,
            "name": name,
            "size": str(stored.spec.size),
            "contentType": "video/mp4",
        }
    )


def legacy_generate(ctx: Context) -> Response:
    """`POST {ver}/models/{m}:generateContent`: rejects video MIME types like Google does."""
    body: dict[str, Any] = ctx.body if isinstance(ctx.body, dict) else {}
    config = body.get("generationConfig") or body.get("generation_config") or {}
    mime = config.get("responseMimeType") or config.get("response_mime_type")
    if mime is not None and mime not in _ALLOWED_MIME_TYPES:
        raise GoogleError(400, _MIME_ERROR)
    model = ctx.params["model"]
    return json_response(
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": "This is an emulated reply."}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 4,
                "candidatesTokenCount": 6,
                "totalTokenCount": 10,
            },
            "modelVersion": model,
        }
    )
