"""Errors of the ingest pipeline. Each message is one line a site operator can act on."""

from __future__ import annotations


class IngestError(Exception):
    """Ingestion cannot go on; what was stored before stays stored."""


class FetchError(IngestError):
    """The server could not be reached, kept failing, or answered too much."""


class FeedFormatError(IngestError):
    """The response is not the XML the protocol promises (malformed, hostile, truncated)."""


class BadResumptionToken(IngestError):
    """OAI-PMH no longer knows a saved resumption token (they expire)."""
