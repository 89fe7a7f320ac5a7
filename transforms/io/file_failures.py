"""Files that cannot be read: the file-level failure and its wording.

A file that cannot be opened, is empty, is not in its declared format, or
breaks off part-way (a truncated Avro or Parquet file, a corrupt compressed
file) becomes one :class:`FileError`, which the anonymizing step turns into a
file-level dead letter (stage ``file``) and counts in ``files_unreadable``.
Its reason is worded here: an exception's own message is never quoted, since
readers put file content (even schema text or a line) in them.
"""

from __future__ import annotations

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from veilwatch.transforms.config.model import SourceFormat
from veilwatch.transforms.elements import FileError as FileError  # re-exported: where readers build it


class UnreadableFile(Exception):
    """A file veilwatch recognises as one it cannot read; the message is veilwatch's wording."""


NOT_UTF8 = (
    "the file is UTF-16 or UTF-32 encoded (it starts with such a byte order mark); veilwatch reads UTF-8"
)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_AVRO_MAGIC = b"Obj\x01"
_PARQUET_MAGIC = b"PAR1"


def describe_file_failure(path: str, fmt: SourceFormat, exc: BaseException) -> str:
    """Why a file could not be read, in veilwatch's words plus the exception's type: the
    exception's message is never quoted (readers put content, even schema text, in them)."""
    if isinstance(exc, UnreadableFile):
        return str(exc)
    kind = type(exc).__name__
    if kind == "error":  # zlib.error, binascii.error ...: name the module too
        kind = f"{type(exc).__module__}.error"
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return f"the file cannot be opened ({kind})"
    head, size = _file_head(path)
    if size == 0:
        return "the file is empty"
    if fmt is SourceFormat.AVRO:
        if head is not None and not head.startswith(_AVRO_MAGIC):
            return "not an Avro object container file (no Avro header)"
        return f"the Avro file is truncated or corrupt ({kind})"
    if fmt is SourceFormat.PARQUET:
        if head is not None and not head.startswith(_PARQUET_MAGIC):
            return "not a Parquet file (no Parquet header)"
        return f"the Parquet file is truncated or corrupt ({kind})"
    return f"the file cannot be read or decompressed ({kind})"


def _file_head(path: str) -> tuple[bytes | None, int | None]:
    """The first (up to 4) bytes of the file and their count; (None, None) when unknown."""
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            head = handle.read(4)
    except Exception:  # noqa: BLE001 - best effort, for the wording only
        return None, None
    return head, len(head)
