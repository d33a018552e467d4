"""One provider file, split into accepted rows and rejected lines, each line accounted for.

Bronze keeps values exactly as delivered (every column a string: ``"$1,234.50"``, ``" OK "``,
``N/A`` and bad timestamps are accepted; staging normalises them). It rejects only what cannot be
a row of the stream, with one reason per line:

file level (every line of the file is rejected with the file's reason):

* ``empty_file`` — no header line at all (a zero-byte file);
* ``missing_header`` — the first line is blank;
* ``invalid_encoding`` — the header is not UTF-8; ``unreadable_header`` — the CSV reader cannot read it;
* ``duplicate_column:<name>`` — the header names a column twice;
* ``missing_column:<name>`` — a declared column is not in the header (the first one missing;
  ``schema_drift`` lists all of them);
* ``invalid_file_date`` — the name matches the pattern but its date is not a calendar date.

line level:

* ``invalid_encoding`` — the line is not UTF-8; ``empty_line`` — a blank line;
* ``unterminated_quote`` — an odd number of ``"`` (values never contain line breaks);
* ``wrong_field_count`` — more or fewer fields than the header (PyArrow's invalid-row handler);
* ``truncated_line`` — the last line of a file that does not end in a line break, and that is not a
  whole row (too few fields, or a quote left open): the file was cut while being written;
* ``unparseable_line`` — a line the CSV reader refuses for any other reason;
* ``missing_key:<column>`` — a key column is empty or a null value (``N/A``...);
* ``duplicate_row`` — the same line (byte for byte) as an accepted line earlier in the file.

Header names are matched after trimming and lower-casing. Columns are taken by name, so a header in
another order loads (``schema_drift.reordered``); an extra column loads too: its values are kept in
``_extra_columns`` (a JSON object per row) and its name in ``schema_drift.extra_columns``. Once the
provider's new column is declared, later files load it as a column.

Line numbers are the file's own (the header is line 1). The invariant, checked here and before
every commit: lines after the header = accepted + rejected.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from marketplace_elt.landing.contract import FileStream

UTF8_BOM = b"\xef\xbb\xbf"
ROW_NUMBER, ROW_HASH, EXTRA_COLUMNS = "_row_number", "_row_hash", "_extra_columns"


class LandingInvariantError(RuntimeError):
    """Lines of a file were neither accepted nor rejected (or both): a bug in the loader, never data."""


@dataclass(frozen=True)
class Reject:
    row_number: int  # line number in the file (the header is line 1)
    raw_line: str  # the line as delivered (bytes that are not UTF-8 shown as \\x escapes)
    reason: str
    row_hash: str


@dataclass
class ParsedFile:
    """A file's outcome: accepted rows (declared columns as strings, plus line number, line hash and
    extra columns), rejected lines, and whether the whole file was refused."""

    stream: FileStream
    lines: int  # lines after the header
    rows: dict[str, list[Any]]  # column -> values of the accepted rows (declared columns + audit ones)
    rejects: list[Reject] = field(default_factory=list)
    file_reason: str | None = None  # set when the whole file is rejected
    schema_drift: dict[str, Any] | None = None

    @property
    def accepted(self) -> int:
        return len(self.rows[ROW_NUMBER])

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def reject_reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(r.reason for r in self.rejects).items()))

    def check(self, where: str) -> None:
        """Raise LandingInvariantError unless every line is accepted or rejected, exactly once."""
        numbers = [*self.rows[ROW_NUMBER], *(r.row_number for r in self.rejects)]
        if self.accepted + self.rejected != self.lines or sorted(numbers) != list(range(2, self.lines + 2)):
            raise LandingInvariantError(
                f"{where}: {self.lines} lines but {self.accepted} accepted + {self.rejected} rejected; "
                "nothing was loaded (this is a loader bug: report it with the file)"
            )


def _hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="backslashreplace")


def split_lines(data: bytes) -> tuple[list[bytes], bool]:
    """The file's lines without terminators (\\n or \\r\\n), and whether the last one was terminated."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if not data:
        return [], True
    terminated = data.endswith(b"\n")
    lines = data.split(b"\n")
    if terminated:
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines], terminated


def _empty_rows(stream: FileStream) -> dict[str, list[Any]]:
    return {ROW_NUMBER: [], ROW_HASH: [], EXTRA_COLUMNS: [], **{c: [] for c in stream.column_names}}


def _reject_all(stream: FileStream, body: list[bytes], reason: str, drift: dict[str, Any] | None) -> ParsedFile:
    rejects = [Reject(n, _text(line), reason, _hash(line)) for n, line in enumerate(body, start=2)]
    return ParsedFile(stream, len(body), _empty_rows(stream), rejects, reason, drift)


def _header(line: bytes) -> list[str] | str:
    """The header's column names (as written), or the file-level reason it cannot be read."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not line.strip():
        return "missing_header"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_encoding"
    try:
        table = pacsv.read_csv(
            io.BytesIO(line + b"\n"),
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
        )
    except pa.ArrowInvalid:
        return "unreadable_header"
    return list(table.column_names)


def _read_rows(lines: list[bytes], width: int) -> tuple[list[list[str]], dict[int, str]]:
    """Parse ``lines`` with PyArrow's CSV reader, every column a string: the fields of each line that
    has ``width`` of them, and {index in ``lines``: reason} for the others."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    invalid: list[tuple[int | None, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    def read(chunk: list[bytes]) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(b"\n".join(chunk) + b"\n"),
            # serial reading: the invalid-row handler then gets exact line numbers
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=False, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    if not lines:
        return [], {}
    try:
        table = read(lines)
    except pa.ArrowInvalid:
        # A line the reader refuses outright: read line by line to find it (rare, so slow is fine).
        rows: list[list[str]] = []
        bad: dict[int, str] = {}
        for index, line in enumerate(lines):
            invalid.clear()
            try:
                one = read([line])
            except pa.ArrowInvalid:
                bad[index] = "unparseable_line"
                continue
            if invalid:
                bad[index] = "wrong_field_count"
            else:
                rows.append([one.column(n)[0].as_py() for n in names])
        return rows, bad

    bad = {}
    for number, text in invalid:
        if number is not None:
            bad[number - 1] = "wrong_field_count"
            continue
        # No line number from the reader: the first line not yet flagged with the same text.
        index = next(i for i in range(len(lines)) if i not in bad and _text(lines[i]) == text)
        bad[index] = "wrong_field_count"
    columns = [table.column(n).to_pylist() for n in names]
    return [list(values) for values in zip(*columns, strict=True)], bad


def parse(data: bytes, stream: FileStream, *, valid_name: bool = True) -> ParsedFile:
    """Split a provider file of ``stream`` into accepted rows and rejected lines (see the module doc)."""
    lines, terminated = split_lines(data)
    if not lines:
        return ParsedFile(stream, 0, _empty_rows(stream), file_reason="empty_file")
    header_line, body = lines[0], lines[1:]
    if not valid_name:
        return _reject_all(stream, body, "invalid_file_date", None)
    header = _header(header_line)
    if isinstance(header, str):
        return _reject_all(stream, body, header, None)

    names = [h.strip().lower() for h in header]
    declared = stream.column_names
    doubled = next((n for n, count in Counter(names).items() if count > 1), None)
    if doubled is not None:
        return _reject_all(stream, body, f"duplicate_column:{doubled}", None)
    extra = [n for n in names if n not in declared]
    reordered = [n for n in names if n in declared] != [c for c in declared if c in names]
    drift: dict[str, Any] = {}
    if extra:
        drift["extra_columns"] = extra
    if reordered:
        drift["reordered"] = True
    missing = [c for c in declared if c not in names]
    if missing:
        drift["missing_columns"] = missing
        return _reject_all(stream, body, f"missing_column:{missing[0]}", drift)

    rejects: list[Reject] = []
    candidates: list[tuple[int, bytes]] = []  # (line number, line) of lines that may be rows
    last = len(body) + 1
    for number, line in enumerate(body, start=2):
        cut = number == last and not terminated
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            rejects.append(Reject(number, _text(line), "invalid_encoding", _hash(line)))
            continue
        if not text.strip():
            rejects.append(Reject(number, text, "empty_line", _hash(line)))
        elif text.count('"') % 2:
            rejects.append(Reject(number, text, "truncated_line" if cut else "unterminated_quote", _hash(line)))
        else:
            candidates.append((number, line))

    fields, bad = _read_rows([line for _, line in candidates], len(names))
    position = {name: i for i, name in enumerate(names)}
    key_nulls = {v.strip().upper() for v in stream.null_values} | {""}
    rows = _empty_rows(stream)
    seen: set[str] = set()
    parsed = iter(fields)
    for index, (number, line) in enumerate(candidates):
        if index in bad:
            reason = "truncated_line" if number == last and not terminated else bad[index]
            rejects.append(Reject(number, _text(line), reason, _hash(line)))
            continue
        values = next(parsed)
        row_hash = _hash(line)
        empty_key = next((k for k in stream.key if values[position[k]].strip().upper() in key_nulls), None)
        if empty_key is not None:
            rejects.append(Reject(number, _text(line), f"missing_key:{empty_key}", row_hash))
            continue
        if row_hash in seen:
            rejects.append(Reject(number, _text(line), "duplicate_row", row_hash))
            continue
        seen.add(row_hash)
        rows[ROW_NUMBER].append(number)
        rows[ROW_HASH].append(row_hash)
        rows[EXTRA_COLUMNS].append(
            json.dumps({n: values[position[n]] for n in extra}, ensure_ascii=False) if extra else None
        )
        for column in declared:
            rows[column].append(values[position[column]])
    if next(parsed, None) is not None:
        raise LandingInvariantError(f"{stream.name}: the CSV reader returned more rows than lines; nothing was loaded")
    rejects.sort(key=lambda r: r.row_number)
    return ParsedFile(stream, len(body), rows, rejects, None, drift or None)
