"""Offline tools for testing code that uses veowrap or google-genai video APIs.

`VeoEmulator` is a local HTTP server that answers like Google's Veo (Gemini API and Vertex
AI long-running operations), Interactions API and Cloud Storage endpoints, so the unmodified
google-genai client can be exercised over real sockets; `Fault` scripts what goes wrong, from
a 503 to a server that trickles its headers forever. `RecordingServer` is a second loopback
origin that records what reaches it (to check that no credential follows a redirect).
Importing this package does not import google-genai.
"""

from ._emulator import VeoEmulator
from ._faults import Fault, Outcome
from ._mp4 import Mp4Info, inspect_mp4
from ._recording import RecordedForeignRequest, RecordingServer
from ._state import RecordedRequest
from ._webhook_delivery import SentDelivery, WebhookDeliveries
from ._webhook_receiver import WebhookReceiver
from ._webhooks import WebhookSigner

__all__ = [
    "Fault",
    "Mp4Info",
    "Outcome",
    "RecordedForeignRequest",
    "RecordedRequest",
    "RecordingServer",
    "SentDelivery",
    "VeoEmulator",
    "WebhookDeliveries",
    "WebhookReceiver",
    "WebhookSigner",
    "inspect_mp4",
]
