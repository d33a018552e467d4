"""Hand-made provider files for the landing tests."""

from __future__ import annotations

from pathlib import Path


def write(directory: Path, name: str, text: str | bytes) -> Path:
    """A provider file as the provider drops it (bytes as given, nothing added)."""
    path = directory / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path
