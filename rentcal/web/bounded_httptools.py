"""uvicorn's C-parser protocol (httptools) with the same bounds as the h11 one.

httptools parses a request ~100 µs faster than h11, so ``rentcal serve``
uses this class whenever httptools is installed (the ``web`` extra installs
it); :mod:`rentcal.web.bounded_protocol` holds the bounds both classes share
(the connection cap and the header clock) and the reasons for them. A module
of its own because importing it imports httptools, which the h11 fallback must
not need.

One bound h11 has and httptools lacks is added here: h11 refuses a request
header larger than :data:`MAX_HEADER_BYTES` (its default, which uvicorn
keeps), while httptools' parser buffers a header of any size: a client
could grow a worker's memory by megabytes a second within the header
timeout. So a header still incomplete past that size gets the same 400 as
under h11, and the connection is closed.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from rentcal.web.bounded_protocol import ConnectionBounds, Cycle

#: The most bytes of an incomplete request line and header (h11's default bound).
MAX_HEADER_BYTES = 16 * 1024
#: What uvicorn answers a request its parser refuses, under either protocol.
INVALID_REQUEST = "Invalid HTTP request received."


class BoundedHttpToolsProtocol(ConnectionBounds, HttpToolsProtocol):
    """uvicorn's httptools protocol, bounded: cap, header clock and header size."""

    #: Bytes of the current request header counted so far (see :meth:`data_received`).
    header_bytes = 0
    reading_header = False
    #: Whether, in the chunk being parsed, a request began / a previous one ended.
    header_began = False
    message_ended = False

    def current_cycle(self) -> Cycle | None:
        """httptools' cycle (None before the first request)."""
        return self.cycle

    def on_response_complete(self) -> None:
        """Restart the header clock, then let uvicorn arm keep-alive / start a pipelined request."""
        self.response_done()
        super().on_response_complete()

    def on_message_begin(self) -> None:
        """The parser saw a request's first byte: its header is being read."""
        self.reading_header = self.header_began = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        """The header is complete: uvicorn starts (or queues) the request."""
        self.reading_header = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request's body is complete (anything after it is the next request)."""
        self.message_ended = True
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        """Count the bytes of a header still incomplete; refuse it past the bound.

        The parser does not say where in a chunk a header began. A chunk that
        also ended the previous request (pipelining) is therefore not counted,
        so a body is never mistaken for a header; the bound then holds give or
        take one read (at most 256 KiB). Otherwise the whole chunk is header.
        """
        self.header_began = self.message_ended = False
        super().data_received(data)
        if not self.reading_header or self.transport.is_closing():
            return
        if not self.header_began:
            self.header_bytes += len(data)
        else:
            self.header_bytes = 0 if self.message_ended else len(data)
        if self.header_bytes > MAX_HEADER_BYTES:
            self.logger.warning(INVALID_REQUEST)
            self.disarm_header_timer()
            self.send_400_response(INVALID_REQUEST)


__all__ = ["INVALID_REQUEST", "MAX_HEADER_BYTES", "BoundedHttpToolsProtocol"]
