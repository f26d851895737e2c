"""``serve``'s connections: a bounded number, and none held by a client that is too slow.

The stdlib server gives each connection a thread, for as long as the client keeps it:
2,000 slow clients (slowloris: a header byte now and then) became 1,943 threads, and a
real order waited behind them.  :class:`BoundedConnections` keeps a table of the open
connections and what each is doing: *waiting* for its request (connecting, sending it,
or idle on keep-alive) or *busy* with one.  Then:

- at most ``max_connections`` are open: a new connection past the cap closes the one
  that has waited longest for its request (a busy one is never cut; if all are busy,
  the newcomer gets 503 at once);
- a reaper closes any connection still waiting ``request_timeout_s`` after it connected
  or got its last answer.

So a normal order always gets a thread at once, and threads stay under the cap.
Closing is ``shutdown()``: the handler's blocking read returns at once and its thread ends.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

BUSY = -1.0  # a connection's "waiting since" while it is serving a request
_REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nRetry-After: 1\r\nContent-Length: 73\r\n\r\n"
            b'{"error":"ServiceUnavailable","message":"every connection slot is busy"}\n')


class BoundedConnections:
    """Mixed into the socketserver server (before ThreadingMixIn)."""

    max_connections = 256
    request_timeout_s = 10.0

    def start_reaper(self) -> None:
        self._table: dict[socket.socket, float] = {}  # connection -> waiting since (or BUSY)
        self._table_lock = threading.Lock()
        self.shed = self.timed_out = self.refused = 0  # counted for the tests and bench/serve.py
        self._reaping = threading.Event()
        threading.Thread(target=self._reap, name="ordertrace-reaper", daemon=True).start()

    def stop_reaper(self) -> None:
        reaping = getattr(self, "_reaping", None)  # None: the bind failed before it started
        if reaping is not None:
            reaping.set()

    @property
    def open_connections(self) -> int:
        with self._table_lock:
            return len(self._table)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._table_lock:
            if len(self._table) >= self.max_connections:
                waiting = [(since, conn) for conn, since in self._table.items() if since != BUSY]
                if not waiting:
                    self.refused += 1
                    _refuse(request)
                    return
                self._close(min(waiting, key=lambda pair: pair[0])[1])
                self.shed += 1
            self._table[request] = time.monotonic()
        super().process_request(request, client_address)  # type: ignore[misc]  # its thread

    def shutdown_request(self, request: Any) -> None:
        with self._table_lock:
            self._table.pop(request, None)
        super().shutdown_request(request)  # type: ignore[misc]

    def note_waiting(self, connection: socket.socket, waiting: bool) -> None:
        """The handler says: waiting for a request (True) or serving one (False)."""
        with self._table_lock:
            if connection in self._table:
                self._table[connection] = time.monotonic() if waiting else BUSY

    def _reap(self) -> None:
        while not self._reaping.wait(min(0.25, self.request_timeout_s / 4)):
            cutoff = time.monotonic() - self.request_timeout_s
            with self._table_lock:
                for conn, since in list(self._table.items()):
                    if since != BUSY and since < cutoff:
                        self._close(conn)
                        self.timed_out += 1

    def _close(self, conn: socket.socket) -> None:
        """Under the lock: wake its handler (its read returns at once), forget it."""
        self._table.pop(conn, None)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)


def _refuse(request: socket.socket) -> None:
    with contextlib.suppress(OSError):
        request.send(_REFUSED, socket.MSG_DONTWAIT)
    request.close()
