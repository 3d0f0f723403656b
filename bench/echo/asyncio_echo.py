"""asyncio (or, with --uvloop, uvloop) echo server, protocol flavour as in MagicStack/vmbench.
Usage: /usr/bin/python3 asyncio_echo.py PORT [--uvloop]"""
import asyncio
import socket
import sys


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(port):
    server = await asyncio.get_running_loop().create_server(
        EchoProtocol, "127.0.0.1", port, backlog=socket.SOMAXCONN)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
