"""Stopping the server: open sockets are closed with a code the client reconnects from, and every
view is torn down (its ``disconnect`` runs) before the process exits."""

from __future__ import annotations

import asyncio
import signal

import httpx
from async_runner import run
from conftest import start_server
from phx_client import LiveClient


def test_a_graceful_shutdown_closes_sockets_for_reconnection_and_tears_views_down():
    server = start_server(env={"SERVING_LOG_DISCONNECTS": "1"})
    try:
        async def scenario() -> list[int | None]:
            async with httpx.AsyncClient() as http:
                clients = [await LiveClient(server.base, "/slow").open(http) for _ in range(3)]
            assert (await clients[0].click("inc"))["status"] == "ok"
            server.proc.send_signal(signal.SIGTERM)
            for client in clients:
                await asyncio.wait_for(client._reader, 30)  # type: ignore[arg-type]
            return [client.closed_code for client in clients]

        codes = run(scenario())
        assert server.proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    # 1012 (service restart) or 1001 (going away): never 1000, which makes the client reload the page.
    assert set(codes) <= {1001, 1012}, codes
    log = "".join(server.log)
    assert log.count("disconnected SlowView") == 3, log
    assert log.index("disconnected SlowView") < log.index("Finished server process")
    assert "Traceback" not in log and "ERROR" not in log, log
