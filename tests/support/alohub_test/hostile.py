"""A hostile HTTP server: a tiny threaded loopback server on raw sockets whose every answer a test chooses.

The simulator behaves like the AloHub API, faults included; this one misbehaves at the
byte level, for tests of what the client does when the other side of the trust boundary
is slow, broken or malicious. Standard library only.

::

    from alohub_test.hostile import HostileServer, respond, trickle, hang, sequence, route

    with HostileServer(route({
        ('GET', '/v1/queues/inbound'): trickle(200, b'{"data": []}', every=2.0),   # a body, a byte every 2 s
        ('GET', '/v1/queues/inbound/1'): sequence([hang(), respond(200, {'callinId': 1})]),
    })) as server:
        ...                          # point the client (in process or ansible-playbook) at server.url
        server.requests              # [Request(method, path, query, headers, body), ...] in arrival order
        server.errors                # anything the server itself got wrong (assert it is empty)

A behaviour is a callable ``behaviour(conn)``; ``conn.request`` is the request just read.
It writes with ``conn.send(bytes)``, waits with ``conn.wait(seconds)`` (returns True when the
server is stopping) and ends the connection with ``conn.close()`` or ``conn.reset()``; when it
returns with the connection open, the next request on the same connection is read (keep-alive).

Behaviours here: ``respond``, ``trickle`` (the body dribbled), ``trickle_headers`` (the status
line and headers dribbled), ``hang``, ``close_mid_body``, ``reset``, ``raw``, and the combinators
``sequence`` (one behaviour per request, in order) and ``route`` (by method and path).
"""

import json
import socket
import ssl
import struct
import threading
import time
from http.client import responses
from urllib.parse import parse_qs, urlsplit

MAX_HEAD = 65536
MAX_BODY = 16 << 20


class Headers:
    """Request headers: in order, duplicates kept, looked up without regard to case."""

    def __init__(self, items):
        self.items_list = list(items)

    def get(self, name, default=None):
        for key, value in self.items_list:
            if key.lower() == name.lower():
                return value
        return default

    def get_all(self, name):
        return [value for key, value in self.items_list if key.lower() == name.lower()]

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        return list(self.items_list)

    def __repr__(self):
        return 'Headers(%r)' % (self.items_list,)


class Request:
    """One request as it arrived: ``method``, ``target`` (as sent), ``path``, ``query``, ``headers``, ``body``."""

    def __init__(self, method, target, version, headers, body, number, connection):
        self.method = method
        self.target = target
        self.version = version
        split = urlsplit(target)
        self.path = split.path
        self.query = dict((k, v[0] if len(v) == 1 else v) for k, v in parse_qs(split.query, keep_blank_values=True).items())
        self.headers = headers
        self.body = body
        self.number = number          # 1 for the server's first request, 2 for the next...
        self.connection = connection  # 1 for the server's first connection...
        self.time = time.monotonic()

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    def __repr__(self):
        return 'Request(%s %s, #%d on connection %d)' % (self.method, self.target, self.number, self.connection)


class Connection:
    """What a behaviour gets: the request just read and the socket to answer on."""

    def __init__(self, server, sock, number):
        self.server = server
        self.sock = sock
        self.number = number
        self.request = None
        self.closed = False
        self._buffer = b''

    def send(self, data):
        """Send all of ``data``; False when the client went away (that is its right)."""
        if isinstance(data, str):
            data = data.encode('utf-8')
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except socket.timeout:     # the client is slow to read: keep going unless the server stops
                if self.server.stopping.is_set():
                    return False
                continue
            except (OSError, ValueError):
                self.closed = True
                return False
            view = view[sent:]
        return True

    def wait(self, seconds):
        """Sleep ``seconds`` unless the server stops first; True when it is stopping."""
        return self.server.stopping.wait(seconds)

    def close(self):
        """End the connection with a FIN (after whatever was sent)."""
        if not self.closed:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def reset(self):
        """End the connection with an RST: the client sees 'connection reset by peer'."""
        if not self.closed:
            self.closed = True
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            except OSError:
                pass
            self.sock.close()

    # -- reading ---------------------------------------------------------
    def _recv(self):
        """The next bytes from the client; b'' when it closed (or the server stops)."""
        while True:
            try:
                return self.sock.recv(65536)
            except socket.timeout:     # the socket's short timeout only lets stop() be quick
                if self.server.stopping.is_set():
                    return b''
            except (OSError, ValueError):
                return b''

    def read_request(self):
        """The next request on this connection, or None when the client closed it."""
        while b'\r\n\r\n' not in self._buffer:
            if len(self._buffer) > MAX_HEAD:
                raise ValueError('request head over %d bytes' % MAX_HEAD)
            data = self._recv()
            if not data:
                return None
            self._buffer += data
        head, self._buffer = self._buffer.split(b'\r\n\r\n', 1)
        lines = head.decode('iso-8859-1').split('\r\n')
        method, target, version = (lines[0].split(' ', 2) + ['', ''])[:3]
        headers = Headers(tuple(part.strip() for part in line.split(':', 1)) for line in lines[1:] if ':' in line)
        if 'chunked' in (headers.get('Transfer-Encoding') or '').lower():
            body = self._read_chunked()
        else:
            body = self._read_exactly(int(headers.get('Content-Length') or 0))
        return method, target, version, headers, body

    def _read_exactly(self, size):
        if size > MAX_BODY:
            raise ValueError('request body over %d bytes' % MAX_BODY)
        while len(self._buffer) < size:
            data = self._recv()
            if not data:
                break
            self._buffer += data
        body, self._buffer = self._buffer[:size], self._buffer[size:]
        return body

    def _read_line(self):
        while b'\r\n' not in self._buffer:
            data = self._recv()
            if not data:
                line, self._buffer = self._buffer, b''
                return line
            self._buffer += data
        line, self._buffer = self._buffer.split(b'\r\n', 1)
        return line

    def _read_chunked(self):
        chunks = []
        while True:
            size = int(self._read_line().split(b';')[0].strip() or b'0', 16)
            if size == 0:
                while self._read_line():
                    pass
                return b''.join(chunks)
            chunks.append(self._read_exactly(size))
            self._read_line()


class HostileServer:
    """A loopback HTTP server on raw sockets; ``handler(conn)`` answers every request.

    ``tls=(cert_file, key_file)`` serves HTTPS (the handshake happens before any behaviour).
    Use it as a context manager, or ``start()`` / ``stop()``.
    """

    def __init__(self, handler, tls=None, host='127.0.0.1'):
        self.handler = handler
        self.host = host
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*tls)
        self.requests = []
        self.errors = []
        self.connections = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads = []
        self._sockets = []
        self._listener = None
        self.port = None

    @property
    def url(self):
        return '%s://%s:%d' % ('https' if self.tls else 'http', self.host, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        thread = threading.Thread(target=self._accept, name='hostile-accept', daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self):
        self.stopping.set()
        if self._threads:
            self._threads[0].join(5)      # the accept loop first: after it, no new connection starts
        for thread in list(self._threads[1:]):
            thread.join(5)
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.close()
                except OSError:
                    pass
        if self._listener is not None:
            self._listener.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                sock, dummy = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.connections += 1
                number = self.connections
                self._sockets.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, number), name='hostile-%d' % number, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock, number):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(0.2)
            if self.tls is not None:
                sock.settimeout(10)
                sock = self.tls.wrap_socket(sock, server_side=True)
                sock.settimeout(0.2)
        except (ssl.SSLError, OSError):   # a failed handshake, or the server stopping under it
            sock.close()
            return
        conn = Connection(self, sock, number)
        try:
            while not conn.closed and not self.stopping.is_set():
                parts = conn.read_request()
                if parts is None:
                    break
                with self._lock:
                    request = Request(*parts, number=len(self.requests) + 1, connection=number)
                    self.requests.append(request)
                conn.request = request
                self.handler(conn)
        except Exception as exc:  # pylint: disable=broad-except  # a test bug in a behaviour must be seen
            self.errors.append('%s while serving connection %d: %r' % (type(exc).__name__, number, exc))
        finally:
            conn.close()


# ---------------------------------------------------------------------------
# Behaviours
# ---------------------------------------------------------------------------

def _body_bytes(body, headers):
    """(bytes, headers) for ``body``: bytes/str as they are, anything else as JSON."""
    headers = list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
    names = set(name.lower() for name, dummy in headers)
    if isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    elif isinstance(body, str):
        data = body.encode('utf-8')
    else:
        data = json.dumps(body).encode('utf-8')
        if 'content-type' not in names:
            headers.append(('Content-Type', 'application/json'))
    return data, headers


def _head(status, headers, length, reason=None):
    """The status line and headers; Content-Length is added unless the test gave its own (or None)."""
    lines = ['HTTP/1.1 %d %s' % (status, reason if reason is not None else responses.get(status, 'Unknown'))]
    names = set(name.lower() for name, dummy in headers)
    lines += ['%s: %s' % (name, value) for name, value in headers]
    if length is not None and 'content-length' not in names and 'transfer-encoding' not in names:
        lines.append('Content-Length: %d' % length)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('iso-8859-1')


def respond(status=200, body=b'', headers=None, reason=None, close=False):
    """An answer sent at once. A dict or list ``body`` is sent as JSON; a ``Content-Length`` in
    ``headers`` is sent as given (it may lie); ``close`` ends the connection after it."""

    def behaviour(conn):
        data, head = _body_bytes(body, headers)
        conn.send(_head(status, head, len(data), reason) + (b'' if conn.request.method == 'HEAD' else data))
        if close:
            conn.close()

    return behaviour


def trickle(status=200, body=b'', every=2.0, chunk=1, headers=None):
    """The status line and headers at once (with the full Content-Length), then the BODY
    ``chunk`` bytes every ``every`` seconds: each read gets something, the whole never comes in time."""

    def behaviour(conn):
        data, head = _body_bytes(body, headers)
        if not conn.send(_head(status, head, len(data))):
            return
        for start in range(0, len(data), chunk):
            if conn.wait(every) or not conn.send(data[start:start + chunk]):
                return

    return behaviour


def trickle_headers(status=200, body=b'', every=2.0, chunk=1, headers=None):
    """The status line and headers dribbled, ``chunk`` bytes every ``every`` seconds; then the body at once."""

    def behaviour(conn):
        data, head = _body_bytes(body, headers)
        head_bytes = _head(status, head, len(data))
        for start in range(0, len(head_bytes), chunk):
            if not conn.send(head_bytes[start:start + chunk]) or conn.wait(every):
                return
        conn.send(data)

    return behaviour


def hang(seconds=None):
    """Read the request and answer nothing, for ``seconds`` (None: until the server stops), then close."""

    def behaviour(conn):
        conn.wait(seconds if seconds is not None else 24 * 3600)
        conn.close()

    return behaviour


def close_mid_body(status=200, body=b'{"callinId": 1, "callinName": "cut short"}', after=None, headers=None):
    """Headers with the full Content-Length, then ``after`` bytes of the body (default: half), then a FIN."""

    def behaviour(conn):
        data, head = _body_bytes(body, headers)
        keep = len(data) // 2 if after is None else after
        conn.send(_head(status, head, len(data)) + data[:keep])
        conn.close()

    return behaviour


def reset():
    """Read the request, then an RST instead of an answer."""

    def behaviour(conn):
        conn.reset()

    return behaviour


def raw(data, close=True):
    """Exactly these bytes (a broken status line, a lying header...), then a FIN unless ``close`` is False."""

    def behaviour(conn):
        conn.send(data)
        if close:
            conn.close()

    return behaviour


def sequence(behaviours, then=None):
    """One behaviour per request, in order (across connections). After the last: ``then`` for every
    further request, or, when None, a 599 answer and an entry in ``server.errors``."""
    queue = list(behaviours)
    lock = threading.Lock()

    def behaviour(conn):
        with lock:
            step = queue.pop(0) if queue else None
        if step is None:
            if then is not None:
                then(conn)
                return
            conn.server.errors.append('sequence: no behaviour left for %r' % (conn.request,))
            respond(599, b'hostile server: the sequence is used up', close=True)(conn)
            return
        step(conn)

    return behaviour


def route(table, default=None):
    """Behaviour by request: ``table`` maps ``(method, path)`` or a bare ``path`` (any method) to a
    behaviour; the path is matched without its query string. Unmatched requests get ``default``,
    or, when None, a 404 JSON answer and an entry in ``server.errors``."""

    def behaviour(conn):
        request = conn.request
        chosen = table.get((request.method, request.path), table.get(request.path))
        if chosen is None:
            if default is not None:
                default(conn)
                return
            conn.server.errors.append('route: nothing for %s %s' % (request.method, request.path))
            respond(404, {'message': 'hostile server: no route for %s %s' % (request.method, request.path)})(conn)
            return
        chosen(conn)

    return behaviour
