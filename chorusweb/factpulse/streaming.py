"""Incremental reading of a `telecharger-groupe` answer: JSON object with one huge base64 string.

The answer can reach ~160 MB of JSON (120 MB decoded). `DownloadScanner` reads it chunk by
chunk: the small top-level members (`codeRetour`, `libelle`, ...) are parsed normally, while
the value of the file member (`fichierBase64` or `fichierResultat`) is never held whole: its
characters go through a base64 decoder, in slices whose length is a multiple of 4, straight
into a file. Peak memory is a few chunks, whatever the size of the document.
"""

from __future__ import annotations

import binascii
import json
from decimal import Decimal
from typing import IO, Any

from chorusweb.factpulse.errors import FactPulseMalformed, FactPulseUpstreamError

_WS = b" \t\r\n"
_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
#: A top-level member other than the file may not exceed this size (it is kept in memory).
MAX_SMALL_VALUE = 1024 * 1024
HEAD_BYTES = 64


class Base64Sink:
    """Decodes base64 fed in arbitrary slices and writes the bytes to `out`."""

    def __init__(self, out: IO[bytes], *, max_bytes: int | None = None) -> None:
        self.out = out
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self._pending = b""
        self._ended = False

    def feed(self, data: bytes) -> None:
        data = data.translate(None, _WS)
        if not data:
            return
        if self._ended:
            raise FactPulseMalformed("Base64 data continues after its padding.")
        buf = self._pending + data if self._pending else data
        cut = len(buf) - (len(buf) % 4)
        if cut:
            self._write(buf[:cut])
        self._pending = buf[cut:]

    def _write(self, quanta: bytes) -> None:
        try:
            decoded = binascii.a2b_base64(quanta, strict_mode=True)
        except binascii.Error as exc:
            raise FactPulseMalformed(f"The downloaded document is not valid base64 ({exc}).") from None
        if quanta.endswith(b"="):
            self._ended = True
        if len(self.head) < HEAD_BYTES:
            self.head += decoded[: HEAD_BYTES - len(self.head)]
        self.size += len(decoded)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise FactPulseUpstreamError(
                f"The downloaded document exceeds {self.max_bytes} bytes.", details={"size": self.size}
            )
        self.out.write(decoded)

    def finish(self) -> None:
        if self._pending:
            missing = (-len(self._pending)) % 4
            if missing == 3:
                raise FactPulseMalformed("The downloaded document's base64 is truncated.")
            self._write(self._pending + b"=" * missing)  # tolerate stripped padding
            self._pending = b""


# Scanner states
_START, _KEY_OR_END, _KEY, _COLON, _VALUE, _SMALL, _FILE, _FILE_ESC, _AFTER, _FIRST_KEY, _DONE = range(11)


class DownloadScanner:
    """Feeds on the raw bytes of a JSON object; streams the file member into a `Base64Sink`."""

    def __init__(self, sink: Base64Sink, file_keys: tuple[str, ...]) -> None:
        self.sink = sink
        self.file_keys = file_keys
        self.fields: dict[str, Any] = {}
        self.file_key: str | None = None
        self._state = _START
        self._key = bytearray()
        self._key_escape = False
        self._current_key = ""
        self._value = bytearray()
        self._depth = 0
        self._in_str = False
        self._escape = False
        self._esc_buf = bytearray()

    # -- public ------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        pos, n = 0, len(chunk)
        while pos < n:
            state = self._state
            if state == _FILE:
                pos = self._feed_file(chunk, pos)
            elif state == _FILE_ESC:
                pos = self._feed_escape(chunk, pos)
            elif state == _SMALL:
                pos = self._feed_small(chunk, pos)
            elif state == _KEY:
                pos = self._feed_key(chunk, pos)
            else:
                pos = self._feed_structure(chunk, pos)

    def finish(self) -> None:
        if self._state == _SMALL and self._depth == 0 and not self._in_str and self._value:
            self._end_small()  # a scalar at the very end cannot be: the object is unclosed
        if self._state != _DONE:
            raise FactPulseMalformed("The download answer is truncated or is not a JSON object.")
        self.sink.finish()

    # -- structure ---------------------------------------------------------------------------

    def _fail(self, what: str) -> FactPulseMalformed:
        return FactPulseMalformed(f"The download answer is not valid JSON ({what}).")

    def _feed_structure(self, chunk: bytes, pos: int) -> int:
        byte = chunk[pos]
        if byte in _WS:
            return pos + 1
        state = self._state
        if state == _START:
            if byte != ord("{"):
                raise self._fail("it does not start with an object")
            self._state = _FIRST_KEY
        elif state in (_FIRST_KEY, _KEY_OR_END):
            if byte == ord('"'):
                self._key.clear()
                self._key_escape = False
                self._state = _KEY
            elif byte == ord("}") and state == _FIRST_KEY:
                self._state = _DONE
            else:
                raise self._fail("a member name was expected")
        elif state == _COLON:
            if byte != ord(":"):
                raise self._fail("':' was expected")
            self._state = _VALUE
        elif state == _VALUE:
            if byte == ord('"') and self._current_key in self.file_keys:
                if self.file_key is not None:
                    raise self._fail("two document members")
                self.file_key = self._current_key
                self._state = _FILE
            else:
                self._value.clear()
                self._depth = 0
                self._in_str = False
                self._escape = False
                self._state = _SMALL
                return pos  # the small-value reader consumes this byte
        elif state == _AFTER:
            if byte == ord(","):
                self._state = _KEY_OR_END
            elif byte == ord("}"):
                self._state = _DONE
            else:
                raise self._fail("',' or '}' was expected")
        elif state == _DONE:
            raise self._fail("data after the end of the object")
        return pos + 1

    def _feed_key(self, chunk: bytes, pos: int) -> int:
        n = len(chunk)
        while pos < n:
            byte = chunk[pos]
            pos += 1
            if self._key_escape:
                self._key_escape = False
            elif byte == ord("\\"):
                self._key_escape = True
            elif byte == ord('"'):
                try:
                    self._current_key = json.loads(b'"' + bytes(self._key) + b'"')
                except ValueError:
                    raise self._fail("bad member name") from None
                self._state = _COLON
                return pos
            self._key.append(byte)
            if len(self._key) > 1024:
                raise self._fail("member name too long")
        return pos

    # -- small values ------------------------------------------------------------------------

    def _feed_small(self, chunk: bytes, pos: int) -> int:
        n = len(chunk)
        value = self._value
        while pos < n:
            byte = chunk[pos]
            if self._in_str:
                value.append(byte)
                pos += 1
                if len(value) > MAX_SMALL_VALUE:
                    raise self._fail(f"member {self._current_key!r} is too large")
                if self._escape:
                    self._escape = False
                elif byte == 0x5C:  # backslash
                    self._escape = True
                elif byte == 0x22:  # quote
                    self._in_str = False
                    if self._depth == 0:
                        self._end_small()
                        return pos
                continue
            if byte == 0x22:
                self._in_str = True
            elif byte in b"{[":
                self._depth += 1
            elif byte in b"}]":
                if self._depth == 0:
                    self._end_small()  # a scalar ended by the object's closing brace
                    return pos
                self._depth -= 1
                if self._depth == 0:
                    value.append(byte)
                    self._end_small()
                    return pos + 1
            elif self._depth == 0 and (byte == 0x2C or byte in _WS):
                self._end_small()
                return pos
            value.append(byte)
            pos += 1
            if len(value) > MAX_SMALL_VALUE:
                raise self._fail(f"member {self._current_key!r} is too large")
        return pos

    def _end_small(self) -> None:
        try:
            parsed = json.loads(bytes(self._value), parse_float=Decimal)
        except ValueError:
            raise self._fail(f"bad value for {self._current_key!r}") from None
        self.fields[self._current_key] = parsed
        self._value.clear()
        self._state = _AFTER

    # -- the file ----------------------------------------------------------------------------

    def _feed_file(self, chunk: bytes, pos: int) -> int:
        # Two memchr scans are much faster than a regex over ~160 MB of base64.
        quote = chunk.find(b'"', pos)
        backslash = chunk.find(b"\\", pos, quote if quote >= 0 else len(chunk))
        at = backslash if backslash >= 0 else quote
        if at < 0:
            self.sink.feed(chunk[pos:] if pos else chunk)
            return len(chunk)
        if at > pos:
            self.sink.feed(chunk[pos:at])
        if chunk[at] == 0x22:
            self._state = _AFTER
            return at + 1
        self._esc_buf.clear()
        self._state = _FILE_ESC
        return at + 1

    def _feed_escape(self, chunk: bytes, pos: int) -> int:
        n = len(chunk)
        while pos < n:
            self._esc_buf.append(chunk[pos])
            pos += 1
            first = self._esc_buf[0]
            if first == ord("u") and len(self._esc_buf) < 5:
                continue
            if first == ord("u"):
                try:
                    char = int(bytes(self._esc_buf[1:5]), 16)
                except ValueError:
                    raise self._fail("bad \\u escape") from None
                decoded = bytes([char]) if char < 128 else b"!"
            else:
                decoded = {ord("/"): b"/", ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t"}.get(first, b"!")
            if decoded not in (b"\n", b"\r", b"\t", b" ") and decoded[0] not in _B64_CHARS:
                raise FactPulseMalformed("The downloaded document is not valid base64 (bad escape).")
            self.sink.feed(decoded)
            self._state = _FILE
            return pos
        return pos
