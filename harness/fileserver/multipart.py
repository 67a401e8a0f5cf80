"""multipart/form-data (RFC 7578), both ways: what `curl -F file=@diag.log URL` sends, parsed strictly, and the
same shape built for the station simulator's uploads.

    parse_form_data(body, content_type) -> [FormPart]        (raises MultipartError with a one-line reason)
    encode_form_data(field, filename, data) -> (body, content_type)
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from email.message import Message

_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")  # RFC 2046 bchars


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data; the message says where it breaks."""


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None  # None for a plain form field
    content_type: str | None
    data: bytes = field(repr=False)


def _params(header_name: str, value: str) -> Message:
    message = Message()
    message[header_name] = value
    return message


def _param(message: Message, name: str, header: str) -> str | None:
    value = message.get_param(name, header=header)
    if value is None or isinstance(value, str):
        return value
    return str(value[2])  # an RFC 2231 (charset, language, value) triple


def boundary_of(content_type: str) -> str | None:
    """The boundary of a multipart/form-data Content-Type; None when the type is something else."""
    message = _params("content-type", content_type)
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = _param(message, "boundary", "content-type")
    if boundary is None or not _BOUNDARY.fullmatch(boundary):
        raise MultipartError(f"multipart/form-data without a valid boundary: {content_type[:120]!r}")
    return boundary


def parse_form_data(body: bytes, content_type: str) -> list[FormPart]:
    """Every part of a multipart/form-data `body`, in order."""
    boundary = boundary_of(content_type)
    if boundary is None:
        raise MultipartError(f"not multipart/form-data: {content_type[:120]!r}")
    delimiter = b"--" + boundary.encode("ascii")
    if body.startswith(delimiter):
        pos = 0
    else:  # a preamble is allowed and ignored
        pos = body.find(b"\r\n" + delimiter)
        if pos < 0:
            raise MultipartError("no boundary line in the body")
        pos += 2
    parts: list[FormPart] = []
    while True:
        pos += len(delimiter)
        after = body[pos:pos + 2]
        if after == b"--":
            return parts  # the close delimiter; an epilogue is ignored
        if after != b"\r\n":
            raise MultipartError(f"boundary line {len(parts) + 1} is not followed by CRLF")
        start = pos + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise MultipartError("the body ends without the closing boundary (truncated upload?)")
        parts.append(_part(body[start:end], len(parts) + 1))
        pos = end + 2


def _part(raw: bytes, number: int) -> FormPart:
    head, sep, data = raw.partition(b"\r\n\r\n")
    if not sep:
        if not raw.startswith(b"\r\n"):
            raise MultipartError(f"part {number} has no blank line after its headers")
        head, data = b"", raw[2:]
    disposition = content_type = None
    for line in head.decode("utf-8", "replace").split("\r\n") if head else []:
        name, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"part {number}: malformed header line {line[:80]!r}")
        if name.strip().lower() == "content-disposition":
            disposition = value.strip()
        elif name.strip().lower() == "content-type":
            content_type = value.strip()
    if disposition is None:
        raise MultipartError(f"part {number} has no Content-Disposition")
    message = _params("content-disposition", disposition)
    if message.get_content_disposition() != "form-data":
        raise MultipartError(f"part {number}: Content-Disposition is not form-data: {disposition[:80]!r}")
    field_name = _param(message, "name", "content-disposition")
    if field_name is None:
        raise MultipartError(f"part {number}: Content-Disposition has no name")
    return FormPart(field_name, _param(message, "filename", "content-disposition"), content_type, data)


def encode_form_data(field_name: str, filename: str, data: bytes, *,
                     content_type: str = "application/octet-stream") -> tuple[bytes, str]:
    """One file part as curl -F sends it: (body, Content-Type header value)."""
    boundary = f"------------------------{uuid.uuid4().hex}"

    def quoted(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "%0D").replace("\n", "%0A")

    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{quoted(field_name)}\"; "
            f"filename=\"{quoted(filename)}\"\r\nContent-Type: {content_type}\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode("ascii"), f"multipart/form-data; boundary={boundary}"
