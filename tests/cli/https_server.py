"""An HTTPS server for //tests/cli:https_test, on Python's http.server and ssl.

Serves every GET with 200 and the body "secure\n" on a port of 127.0.0.1 the OS chooses, and
writes that port on stdout once it listens. Usage:

  https_server.py CERT KEY [--client-ca FILE] [--next CERT KEY]

--client-ca: a client certificate signed by (or equal to) FILE is required.
--next: on SIGUSR1, present this certificate from the next connection on (a server that starts
with a temporary certificate and replaces it, as Traefik and Caddy do until ACME finishes).
"""
import argparse
import http.server
import signal
import socketserver
import ssl


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"secure\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.HTTPServer):
    def server_bind(self):
        # HTTPServer's asks for the host's fully qualified name, which can wait for a resolver
        # that does not answer (a sandbox without a network).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address

    def handle_error(self, request, client_address):
        pass  # a refused handshake is what some tests are about


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cert")
    parser.add_argument("key")
    parser.add_argument("--client-ca")
    parser.add_argument("--next", nargs=2)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.client_ca)
    if args.next:
        signal.signal(signal.SIGUSR1, lambda *_: context.load_cert_chain(*args.next))
    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


main()
