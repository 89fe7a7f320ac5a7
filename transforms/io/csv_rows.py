"""CSV rows of bounded size, read with Python's csv module, that never stop a file.

The csv module refuses a cell longer than its field size limit (131,072
characters by default) with ``_csv.Error``, and then loses its place in the
file. veilwatch's limit is per record, ``source.max_record_bytes`` (1 MiB by
default): a row up to that size is read whatever the size of one cell, a
longer row is reported as an error row, and reading goes on with the next
row. The csv module is fed whole lines through :class:`_LineFeed`, which
counts each row's characters and stops feeding a row that grows past the
limit, so an oversized row is never held whole.

After a row fails (too large, or refused by the csv module), its remaining
lines are skipped up to the first line end at which the row's count of
quote characters is even: with the csv module's default dialect (``"``
quotes, doubled inside a quoted cell) that is exactly where the row ends,
so a newline inside the failed row's quoted cell is not read as the start
of a new row (which could put part of the failed cell in an output).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, NamedTuple

_QUOTE = '"'
_LINE_ENDS = ("\n", "\r")
# Lines of a failed row are skipped in blocks of this many characters.
_SKIP_BLOCK = 1 << 16
# Room for a line's terminator ("\r\n") beyond the content limit.
_TERMINATOR_ROOM = 2


class CsvRow(NamedTuple):
    cells: list[str] | None  # None when ``error`` says why the row could not be read
    size: int  # the row's size: characters, or UTF-8 bytes when they could exceed the limit
    error: str | None = None


class _RowTooLarge(Exception):
    """Raised by the line feed (through the csv reader) when a row outgrows the limit."""


class _LineFeed:
    """The csv reader's input: whole lines of the text, with the current row's size and quotes."""

    def __init__(self, text: Any, limit: int):
        self._readline = text.readline
        self.limit = limit
        self.start_row()

    def start_row(self) -> None:
        self.chars = 0  # the row's characters so far, line terminators included
        self.quotes = 0
        self.line_ended = True
        self.lines: list[str] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self._readline(self.limit + _TERMINATOR_ROOM + 1)
        if not line:
            raise StopIteration
        self._count(line)
        if self.content_chars() > self.limit:
            raise _RowTooLarge
        self.lines.append(line)
        return line

    def content_chars(self) -> int:
        """The row's characters without the terminator of its last line."""
        if not self.lines and self.chars == 0:
            return 0
        last = self._last
        return self.chars - (len(last) - len(last.rstrip("\r\n")))

    def _count(self, line: str) -> None:
        self.chars += len(line)
        self.quotes += line.count(_QUOTE)
        self.line_ended = line.endswith(_LINE_ENDS)
        self._last = line

    def skip_rest_of_row(self) -> None:
        """Drop the failed row's remaining lines (see the module docstring)."""
        self.lines = []
        while not (self.line_ended and self.quotes % 2 == 0):
            line = self._readline(_SKIP_BLOCK)
            if not line:
                return
            self._count(line)

    def row_bytes(self) -> int:
        """The row's UTF-8 size without its final terminator (undecodable bytes count one each)."""
        text = "".join(self.lines).rstrip("\r\n")
        return len(text.encode("utf-8", "surrogateescape"))


class CsvRows:
    """Iterator of :class:`CsvRow` over a text stream (header first), one per row, never raising
    on a row's content."""

    def __init__(self, text: Any, delimiter: str, max_record_bytes: int):
        # csv's limit is per process; it only has to let any row within max_record_bytes through.
        needed = max_record_bytes + _TERMINATOR_ROOM + 1
        if csv.field_size_limit() < needed:
            csv.field_size_limit(needed)
        self._feed = _LineFeed(text, max_record_bytes)
        self._reader = csv.reader(self._feed, delimiter=delimiter)
        self._limit = max_record_bytes
        self._too_large = f"record larger than max_record_bytes ({max_record_bytes})"

    def __iter__(self) -> Iterator[CsvRow]:
        return self

    def __next__(self) -> CsvRow:
        feed = self._feed
        feed.start_row()
        try:
            cells = next(self._reader)
        except _RowTooLarge:
            feed.skip_rest_of_row()
            return CsvRow(None, feed.chars, self._too_large)
        except csv.Error:
            # csv's messages describe the syntax ("line contains NUL"), but one may still
            # quote more in a future version: the error row carries veilwatch's wording only.
            feed.skip_rest_of_row()
            return CsvRow(None, feed.chars, "row is not valid CSV")
        size = feed.content_chars()
        if size * 4 > self._limit:  # a UTF-8 character takes up to 4 bytes: measure exactly
            size = feed.row_bytes()
            if size > self._limit:
                return CsvRow(None, size, self._too_large)
        return CsvRow(cells, size)
