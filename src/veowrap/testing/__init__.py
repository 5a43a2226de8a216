"""Offline tools for testing code that uses veowrap or google-genai video APIs.

`VeoEmulator` is a local HTTP server that answers like Google's Veo (Gemini API and Vertex
AI long-running operations), Interactions API and Cloud Storage endpoints, so the unmodified
google-genai client can be exercised over real sockets. Importing this package does not
import google-genai.
"""

from ._emulator import VeoEmulator
from ._faults import Fault, Outcome
from ._mp4 import Mp4Info, inspect_mp4
from ._state import RecordedRequest

__all__ = ["Fault", "Mp4Info", "Outcome", "RecordedRequest", "VeoEmulator", "inspect_mp4"]
