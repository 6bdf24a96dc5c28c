"""What a file is, from its bytes (the `filetype` library's magic numbers), never from its name
or from what the sender claims."""

from __future__ import annotations

import filetype

IMAGES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
DOCUMENTS = {
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/zip",
    "application/x-7z-compressed",
    "application/rtf",
    "text/plain",
    "text/csv",
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office formats share this container
TEXT_SAMPLE = 64 * 1024


def sniff(content: bytes) -> str | None:
    """The MIME type the bytes show, or None when they show nothing known."""
    if not content:
        return None
    guessed = filetype.guess_mime(content)
    if guessed:
        return str(guessed)
    if content.startswith(OLE):
        return "application/msword"
    if content.startswith(b"{\\rtf"):
        return "application/rtf"
    if _is_text(content):
        return "text/plain"
    return None


def _is_text(content: bytes) -> bool:
    sample = content[:TEXT_SAMPLE]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A sample cut in the middle of a character is still text.
        return error.start >= len(sample) - 3
    return True


def outgoing_kind(mime: str | None) -> str | None:
    """What an operator's upload may be sent as: "image", "document", or None (refused)."""
    if mime in IMAGES:
        return "image"
    if mime in DOCUMENTS:
        return "document"
    return None


def incoming_mime(content: bytes, declared: str) -> str:
    """A client's file: what its bytes show, else what the gateway declared."""
    return sniff(content) or declared.split(";")[0].strip().lower() or "application/octet-stream"
