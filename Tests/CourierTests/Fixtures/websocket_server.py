"""A WebSocket server on Python's `websockets` (Debian python3-websockets), the real peer of
WebSocketInteropTests. Usage: websocket_server.py PORT. Paths:
  /echo        echoes every message, same type (permessage-deflate as the client offers)
  /close4001   closes at once with 4001 "go away"
  /drop        drops the TCP connection without a close frame
  /missing     refuses the handshake with 404
The subprotocol "chat" is chosen when the client offers it.
"""
import asyncio
import http
import sys

import websockets


async def handler(ws, path=None):
    path = ws.path
    if path == "/close4001":
        await ws.close(4001, "go away")
    elif path == "/drop":
        ws.transport.abort()
    else:
        async for message in ws:
            await ws.send(message)


async def refuse_missing(path, headers):
    if path == "/missing":
        return http.HTTPStatus.NOT_FOUND, [], b"no such socket\n"
    return None


async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), subprotocols=["chat"],
                                max_size=None, process_request=refuse_missing):
        await asyncio.Future()


asyncio.run(main())
