"""What lies in the landing directory: the provider files, which stream each belongs to, their content.

The landing zone is one flat directory (``LANDING_DIR``): the provider writes
``events_20261015.csv``, ``transactions_20261015.csv``, ``settlement_20261015.csv`` there every
day. A file belongs to the stream whose ``file_pattern`` its name matches; anything else (hidden
files, files being written under a temporary name, other names) is not a provider file and is
left alone. A corrected re-delivery replaces a file under the same name: the content hash, not
the name, says whether a file was already loaded.

Files are read whole, once: the bytes that are hashed are the bytes that are parsed and loaded,
even if the provider replaces the file meanwhile.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from marketplace_elt.errors import UserError
from marketplace_elt.landing.contract import FileStream, LandingContract


@dataclass(frozen=True)
class LandingFile:
    """A provider file found in the landing directory (not read yet)."""

    path: Path
    stream: FileStream
    day: date | None  # None: the name matches the pattern but its date is not a calendar date

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FileContent:
    """A provider file's bytes, as read once, with what the manifest records about them."""

    file: LandingFile
    data: bytes
    sha256: str
    modified_at: datetime

    @property
    def size(self) -> int:
        return len(self.data)


def require_dir(directory: Path) -> None:
    if not directory.is_dir():
        raise UserError(
            f"the landing directory {directory} does not exist; write a day's files with "
            "`marketplace-elt landing generate --date 2026-10-15`, or point LANDING_DIR at the provider's drop folder"
        )


def list_files(
    directory: Path, contract: LandingContract, streams: list[FileStream] | None = None
) -> list[LandingFile]:
    """The provider files in ``directory`` (of ``streams``, default all), by day, stream and name."""
    wanted = {s.name for s in streams} if streams else set(contract.names)
    found: list[LandingFile] = []
    for path in directory.iterdir():
        if path.name.startswith(".") or not path.is_file():
            continue  # hidden and temporary files (a writer's `.name.tmp-*`), folders
        stream = contract.stream_of(path.name)
        if stream is None or stream.name not in wanted:
            continue
        found.append(LandingFile(path=path, stream=stream, day=stream.file_date(path.name)))
    order = {name: i for i, name in enumerate(contract.names)}
    return sorted(found, key=lambda f: (f.day or date.min, order[f.stream.name], f.name))


def other_files(directory: Path, contract: LandingContract) -> list[str]:
    """Names of visible files that match no stream's pattern (reported by `landing status`)."""
    return sorted(
        p.name
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and contract.stream_of(p.name) is None
    )


def read(file: LandingFile) -> FileContent:
    stat = file.path.stat()
    data = file.path.read_bytes()
    return FileContent(
        file=file,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
    )
