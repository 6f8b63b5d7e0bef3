"""A TCP proxy for fault tests: forwards to a server, then stalls on cue.

A stall stops forwarding in both directions *without closing* either socket,
as a lost route, a hung middlebox or a frozen VM does: the kernel on each
side still acknowledges what it receives, so neither TCP keepalives nor the
driver notice anything. Only rentcal's own bounds can end the wait.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class StallingProxy:
    """Forward 127.0.0.1:<port> to ``target``; stall when :meth:`stall` is called,
    or by itself once the client has sent ``stall_after`` (a byte string)."""

    def __init__(self, target: tuple[str, int], stall_after: bytes | None = None) -> None:
        self.target = target
        self.stall_after = stall_after
        self.stalled = threading.Event()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def stall(self) -> None:
        """Stop forwarding from now on, keeping every connection open."""
        self.stalled.set()

    def close(self) -> None:
        """Close every socket (only at the end of a test)."""
        self._closing.set()
        for sock in [self._listener, *self._sockets]:
            with suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        while not self._closing.is_set():
            if self.stalled.is_set():  # hold everything, close nothing
                self._closing.wait(0.05)
                continue
            try:
                ready, _, _ = select.select([source], [], [], 0.05)
                if not ready or self.stalled.is_set():
                    continue
                data = source.recv(65536)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
            except OSError:
                return
            if upstream and self.stall_after is not None and self.stall_after in data:
                self.stall()  # the server got it; its answer will never come back


@contextmanager
def stalling_proxy(
    target: tuple[str, int], stall_after: bytes | None = None
) -> Iterator[StallingProxy]:
    """A :class:`StallingProxy` closed at the end of the block."""
    proxy = StallingProxy(target, stall_after)
    try:
        yield proxy
    finally:
        proxy.close()
