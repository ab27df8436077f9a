"""A TCP proxy in front of the real PostgreSQL, to fail the database on purpose.

``up`` forwards bytes both ways; ``down`` drops every open connection and refuses new ones
(as a crashed or restarting server does); ``stall`` accepts connections and forwards nothing
(as an overloaded or hung server, or a half-dead network path, does). The bot reaches it
through its normal URL, so its real driver, pool and timeouts meet the fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Literal

Mode = Literal["up", "down", "stall"]


class DatabaseProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "up"
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="db-proxy")
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None

    # ------------------------------------------------------------- lifecycle

    def start(self) -> DatabaseProxy:
        self._thread.start()
        self._call(self._start()).result(10)
        return self

    def stop(self) -> None:
        self._call(self._stop()).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def set(self, mode: Mode) -> None:
        """Switch the fault on or off; ``down`` and ``stall`` cut the connections open now."""
        self._call(self._set(mode)).result(10)

    def _call(self, coro) -> Future:  # type: ignore[no-untyped-def,type-arg]
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._drop_all()
        if self._server is not None:
            self._server.close()

    async def _set(self, mode: Mode) -> None:
        self.mode = mode
        if mode != "up":
            self._drop_all()

    def _drop_all(self) -> None:
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    # ------------------------------------------------------------- traffic

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "down":
            writer.transport.abort()
            return
        self._writers.add(writer)
        if self.mode == "stall":  # hold the connection open and say nothing
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ConnectionError):
            while data := await reader.read(65536):
                if self.mode != "up":
                    break
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self._writers.discard(writer)


@contextlib.contextmanager
def proxy_to(host: str, port: int) -> Iterator[DatabaseProxy]:
    proxy = DatabaseProxy(host, port).start()
    try:
        yield proxy
    finally:
        proxy.stop()
