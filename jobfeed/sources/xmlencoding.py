"""An XML body's encoding (BOM, prolog declaration, HTTP charset) and the control characters XML 1.0 forbids.

Used by the hardened parser's driver (jobfeed/sources/xmlsafe.py, which re-exports these names), by format
detection (sources/detect.py) and by the text fields of every item (sources/fields.py, pipeline/normalize.py).
"""

from __future__ import annotations

import codecs
import re

_XML_DECL_ENCODING = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._:\-]{0,40})[\"']")
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:\-]+)", re.IGNORECASE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


class UnknownEncodingError(ValueError):
    """The document names an encoding Python does not know."""


def canonical_codec(name: str) -> str:
    """Python's canonical codec name for an encoding label (raises UnknownEncodingError)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UnknownEncodingError(name[:40]) from None


def detect_encoding(body: bytes, content_type: str | None = None) -> str:
    """An XML body's codec: BOM, else the prolog's declaration, else HTTP charset, else UTF-8."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if body.startswith(_UTF32_BOMS):  # checked before UTF-16: FF FE 00 00 starts with FF FE
        return "utf-32"
    if body.startswith(_UTF16_BOMS):
        return "utf-16"
    if body.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if body.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    match = _XML_DECL_ENCODING.match(body[:512].lstrip())
    if match:
        codec = canonical_codec(match.group(1).decode("ascii"))
        # A UTF-16/32 declaration on bytes that read as ASCII is a lie: the bytes win.
        return "utf-8" if codec.startswith(("utf-16", "utf-32")) else codec
    if content_type:
        param = _CHARSET_PARAM.search(content_type)
        if param:
            codec = canonical_codec(param.group(1))
            return _byte_order(body, codec) if codec in ("utf-16", "utf-32") else codec
    return "utf-8"


def _byte_order(body: bytes, codec: str) -> str:
    """HTTP says UTF-16/32 and there is no BOM (checked before): the generic codecs would refuse to start, so the
    zero bytes around the first character say the byte order; ASCII-looking bytes mean the header lied."""
    width = 2 if codec == "utf-16" else 4
    head = body[:width]
    if len(head) < width or head.count(0) == 0:
        return "utf-8"
    if head[0] != 0:
        return f"{codec}-le"
    return f"{codec}-be"


def decode_head(body: bytes, codec: str, limit: int) -> str:
    """Decode at most `limit` bytes from the start of body, tolerating a cut multibyte character."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(body[:limit], final=False)


# --- Control characters ------------------------------------------------------------------------

# C0 controls other than tab, LF and CR are illegal anywhere in an XML 1.0 document.
_C0_DELETE = bytes(b for b in range(32) if b not in (9, 10, 13))
_C0_STR_RE = re.compile("[" + re.escape(_C0_DELETE.decode("ascii")) + "]")


def strip_control_bytes(body: bytes) -> bytes:
    """Delete illegal C0 control bytes from a UTF-8 or single-byte encoded document.

    Real feeds carry them (NULs, form feeds and vertical tabs pasted from word processors into job
    descriptions), and expat rejects the whole document for one of them. They have no visible
    meaning in a job posting, so removing them loses nothing meaningful. In UTF-8 and in
    single-byte encodings the bytes 0x00-0x1F only ever encode those characters, never part of a
    multi-byte sequence, so deleting bytes is exact.
    """
    cleaned = body.translate(None, _C0_DELETE)  # 5x faster than a regex search for them
    return body if len(cleaned) == len(body) else cleaned


def strip_control_chars(text: str) -> str:
    """Delete illegal C0 control characters from decoded text (see strip_control_bytes for why)."""
    return _C0_STR_RE.sub("", text)
