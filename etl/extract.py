"""Find the Olist files in a folder by their header and stream their records to COPY.

The fast path hands PostgreSQL's CSV parser the file's own bytes, a large block at a time,
after removing only what COPY cannot take: the byte-order mark, the header and blank lines.
Blocks without quotes or blank lines pass through untouched; the others are walked line by line
to keep quote state across line breaks. To report the physical line of a record that is later
quarantined, the stream keeps "breakpoints": the record numbers where the distance between record
number and line number changes (after a blank line or a record spanning several lines). In clean
files there is one breakpoint per file, so memory stays bounded by the block size.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from etl import formats

BLOCK = 1 << 20
BOM = b"\xef\xbb\xbf"
# A line that is empty or starts with white space or a comma: only such blocks can hold a blank line
# (a spreadsheet re-saving an export writes rows of bare commas). Substring searches run at memchr
# speed; a regex over every byte was the loader's bottleneck.
SUSPECT = (b"\n\n", b"\n\r", b"\n ", b"\n\t", b"\n,")


def _maybe_blank(body: bytes) -> bool:
    return body[:1] in (b"\n", b"\r", b" ", b"\t", b",") or any(s in body for s in SUSPECT)


def is_blank(line: bytes) -> bool:
    """A line with no value in it: empty, white space, or only delimiters and empty quoted fields."""
    return not line.replace(b'""', b"").strip(b" \t\r,")


class ExtractError(Exception):
    """A file or folder cannot be loaded; the message names it and says what to do."""


@dataclass
class SourceFile:
    """One recognised file: its path, kind, header (file order) and fingerprint."""

    path: Path
    kind: formats.FileKind
    columns: tuple[str, ...]  # the file's columns in the file's order
    header_line: int  # physical line number of the header (1 unless blank lines precede it)
    size: int
    content_hash: str = ""

    @property
    def name(self) -> str:
        return self.path.name


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(BLOCK)


def _describe_binary(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive or an Excel workbook"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel workbook"
    if head.startswith(b"%PDF"):
        return "a PDF"
    if b"\x00" in head[:4096]:
        return "a binary file"
    return None


def read_header(path: Path) -> tuple[tuple[str, ...], int]:
    """Return the normalised header fields of a CSV file and the line they are on."""
    head = _read_head(path)
    if not head.strip(BOM + b" \t\r\n"):
        raise ExtractError(f"{path.name} is empty: re-export it, or remove it from the folder")
    what = _describe_binary(head)
    if what:
        raise ExtractError(f"{path.name} is {what}, not a CSV file: export it as CSV (UTF-8)")
    line_no = 0
    with open(path, "rb") as f:
        for raw in iter(lambda: f.readline(1 << 20), b""):
            line_no += 1
            if line_no == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if raw.strip():
                break
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractError(
            f"{path.name} is not UTF-8 (byte 0x{raw[exc.start]:02x} in its header): save it as CSV UTF-8"
        ) from None
    fields = next(csv.reader([text.rstrip("\r")]))
    return formats.normalise_header(fields), line_no


def recognise(path: Path) -> SourceFile | None:
    """Recognise a file by its header; None for a file that is not an Olist export at all."""
    header, line_no = read_header(path)
    for kind in formats.KINDS:
        if set(header) == set(kind.header) and len(header) == len(kind.header):
            return SourceFile(path, kind, header, line_no, path.stat().st_size)
    near = formats.closest_kind(header)
    if near:
        kind, missing, extra = near
        parts = []
        if missing:
            parts.append("missing " + ", ".join(sorted(missing)))
        if extra:
            parts.append("unexpected " + ", ".join(sorted(extra)))
        raise ExtractError(
            f"{path.name} looks like the {kind.key} file ({kind.file_name}) but its header is "
            f"{'; '.join(parts)}: fix the header or re-export the file"
        )
    return None


def discover(source: Path) -> tuple[list[SourceFile], list[str]]:
    """Find the recognisable files in a folder (or the one file given); return them and warnings."""
    if not source.exists():
        raise ExtractError(f"{source} does not exist: give the folder that holds the CSV exports")
    paths = [source] if source.is_file() else sorted(
        p for p in source.iterdir() if p.is_file() and not p.name.startswith(".")
    )
    found, warnings = [], []
    for path in paths:
        try:
            sf = recognise(path)
        except ExtractError:
            if path.suffix.lower() in (".csv", ".txt", "") or source.is_file():
                raise
            warnings.append(f"skipped {path.name}: not a CSV export")
            continue
        if sf is None:
            if path.suffix.lower() == ".csv" or source.is_file():
                raise ExtractError(
                    f"{path.name} is not one of the nine Olist files (its header matches none of "
                    f"them): remove it from the folder or fix its header"
                )
            warnings.append(f"skipped {path.name}: not an Olist export")
            continue
        found.append(sf)
    if not found:
        expected = ", ".join(k.file_name for k in formats.KINDS)
        raise ExtractError(
            f"no Olist CSV files found in {source} ({len(paths)} files looked at): "
            f"expected files with the headers of {expected}"
        )
    return found, warnings


def fingerprint(path: Path) -> str:
    """Hash a file's bytes: the same content loaded cleanly before need not be loaded again."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()


@dataclass
class RecordStream:
    """The data records of one file, as blocks of CSV bytes for COPY, with line bookkeeping."""

    source: SourceFile
    records: int = 0  # data records handed to COPY
    blank: int = 0  # blank or whitespace-only lines skipped
    bytes_read: int = 0
    breaks: array = field(default_factory=lambda: array("q"))  # pairs: record number, line - record
    _line: int = 0
    _in_quote: bool = False
    _start: int = 0
    _delta: int | None = None

    def blocks(self):
        """Yield blocks of complete records; records are counted as they pass."""
        with open(self.source.path, "rb") as f:
            data = f.read(BLOCK)
            if data.startswith(BOM):
                data = data[len(BOM):]
            # Drop everything up to and including the header line.
            for _ in range(self.source.header_line):
                cut = data.find(b"\n")
                while cut < 0:
                    more = f.read(BLOCK)
                    if not more:
                        data, cut = b"", -1
                        break
                    data += more
                    cut = data.find(b"\n")
                if cut < 0:
                    break
                self.bytes_read += cut + 1
                data = data[cut + 1:]
            self._line = self.source.header_line
            pending = data
            while True:
                block = f.read(BLOCK)
                if not block:
                    break
                pending += block
                cut = pending.rfind(b"\n") + 1
                if cut == 0:
                    continue
                body, pending = pending[:cut], pending[cut:]
                self.bytes_read += len(body)
                out = self._filter(body)
                if out:
                    yield out
            if pending:
                self.bytes_read += len(pending)
                out = self._filter(pending if pending.endswith(b"\n") else pending + b"\n")
                if out:
                    yield out

    def _note(self, start_line: int) -> None:
        delta = start_line - self.records
        if delta != self._delta:
            self.breaks.extend((self.records, delta))
            self._delta = delta

    def _filter(self, body: bytes) -> bytes:
        if not self._in_quote and b'"' not in body and not _maybe_blank(body):
            n = body.count(b"\n")
            self.records += 1
            self._note(self._line + 1)
            self.records += n - 1
            self._line += n
            return body
        out = []
        for line in body.split(b"\n")[:-1]:
            self._line += 1
            quotes = line.count(b'"') & 1
            if self._in_quote:
                out.append(line)
                if quotes:
                    self._in_quote = False
                    self.records += 1
                    self._note(self._start)
                continue
            if is_blank(line):
                self.blank += 1
                continue
            out.append(line)
            if quotes:
                self._in_quote, self._start = True, self._line
            else:
                self.records += 1
                self._note(self._line)
        return b"\n".join(out) + b"\n" if out else b""

    def line_of(self, record: int) -> int:
        """Return the physical line on which record number `record` (1-based) starts."""
        best = 0
        for i in range(0, len(self.breaks), 2):
            if self.breaks[i] <= record:
                best = self.breaks[i + 1]
        return record + best

    def break_rows(self):
        """Return the (record, delta) breakpoints as pairs."""
        return [(self.breaks[i], self.breaks[i + 1]) for i in range(0, len(self.breaks), 2)]


def tolerant_rows(source: SourceFile):
    """Yield (start line, fields) for every record, with Python's csv parser; a blank record (no
    field holds a value) comes as (start line, []).

    The slow path, for a file COPY rejected (a row with too many or too few fields, a quote
    left open): it lets the loader quarantine the bad rows and load the rest.
    """
    with open(source.path, "r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        seen_header = False
        last_line = 0
        for row in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in row):
                if seen_header:
                    yield start, []
                continue
            if not seen_header:
                seen_header = True
                continue
            yield start, row


def to_copy_line(fields: list[str]) -> bytes:
    """Write one record as a CSV line COPY reads back to the same fields (empty means NULL)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue().encode("utf-8")


def first_bad_utf8_line(path: Path) -> int | None:
    """Return the number of the first line that is not valid UTF-8, for the error message."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


CLEAN = {
    "uuid": re.compile(r"[0-9a-f]{32}"),
    "ts": re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
    "numeric": re.compile(r"-?\d{1,10}(\.\d+)?"),
    "float": re.compile(r"-?\d{1,3}(\.\d+)?"),
    "int": re.compile(r"-?\d{1,9}"),
    "zip": re.compile(r"\d{1,5}"),
}


def sample_is_clean(source: SourceFile, records: int = 2_000) -> bool:
    """Tell whether the first records look like the published format, so typed COPY can read them.

    Only a hint: if a later row disagrees, COPY fails and the loader takes the careful path.
    """
    kinds = {c.name: c.kind for c in source.kind.columns}
    checks = [(i, CLEAN.get(kinds[name])) for i, name in enumerate(source.columns)]
    width = len(source.columns)
    try:
        for n, (_, fields) in enumerate(tolerant_rows(source)):
            if n >= records:
                break
            if not fields:
                continue
            if len(fields) != width:
                return False
            for i, pattern in checks:
                value = fields[i]
                if pattern is not None and value and not pattern.fullmatch(value):
                    return False
    except (UnicodeDecodeError, csv.Error):
        return False  # the careful path reports it, with the line
    return True
