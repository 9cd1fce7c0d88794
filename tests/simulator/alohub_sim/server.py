"""The HTTP(S) server: API routes, the /_sim/ admin API, the request log."""

import email.utils
import json
import re
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import __version__
from .faults import GATEWAY_MESSAGES, SHORT_CIRCUIT, FaultEngine
from .ratelimit import RateLimiter
from .state import QUEUE_SCOPE, SpecError, State, validate_update

API_PREFIXES = ("/api",)  # also served without a prefix
LIST_PATH = "/v1/queues/inbound"
ITEM_PATH = re.compile(r"^/v1/queues/inbound/([^/]+)$")
ROUTE_METHODS = {"list": ("GET",), "item": ("GET", "PUT")}
ROUTE_TEMPLATES = {"list": LIST_PATH, "item": LIST_PATH + "/{id}"}
MAX_BODY = 1 << 20
LOG_LIMIT = 100000

DEFAULT_CONFIG = {
    "page_size_cap": 50,
    "tenant_limit": 1000,
    "route_limit": 1000,
    "window": 10,
    "latency_ms": 0,
    "retry_after_format": "seconds",
}

UPDATED_MESSAGE = "Inbound queue updated successfully"
NO_KEY_MESSAGE = "No API key found in request"


def _non_negative_int(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be an integer >= 0")
    return value


def _positive_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError("must be a number > 0")
    return value


def _non_negative_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("must be a number >= 0")
    return value


def _retry_format(value):
    if value not in ("seconds", "date"):
        raise ValueError('must be "seconds" or "date"')
    return value


CONFIG_CHECKS = {
    "page_size_cap": _non_negative_int,
    "tenant_limit": _non_negative_int,
    "route_limit": _non_negative_int,
    "window": _positive_number,
    "latency_ms": _non_negative_number,
    "retry_after_format": _retry_format,
}


def check_config(changes):
    """Validate a config update; returns a new dict or raises ValueError."""
    if not isinstance(changes, dict):
        raise ValueError("config must be a JSON object")
    unknown = sorted(set(changes) - set(CONFIG_CHECKS))
    if unknown:
        raise ValueError(f"unknown config key(s): {', '.join(unknown)} (known: {', '.join(CONFIG_CHECKS)})")
    checked = {}
    for key, value in changes.items():
        try:
            checked[key] = CONFIG_CHECKS[key](value)
        except ValueError as exc:
            raise ValueError(f"{key} {exc}") from exc
    return checked


def envelope(code, message):
    return {"success": "0", "error_code": code, "error_message": message}


class Reply:
    """A response to send, or a connection to drop (``status`` None)."""

    def __init__(self, status, body=None, headers=None, content_type="application/json; charset=utf-8", raw=None):
        self.status = status
        self.headers = list(headers or [])
        if raw is not None:
            self.body = raw
        elif body is None:
            self.body = b""
        else:
            try:
                self.body = json.dumps(body, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate in a name: JSON's own escape, as a real backend sends it
                self.body = json.dumps(body).encode("ascii")
        self.content_type = content_type
        self.drop = None  # None, "reset" (RST) or "close" (FIN, no reply)
        self.truncate_to = None
        self.padding = 0


class SimClock:
    """The clock of the rate limiter and of Retry-After dates: real time, or frozen by a test.

    ``POST /_sim/clock`` freezes it at an epoch time and moves it by whole windows or
    fractions, so a test of window edges needs no real sleeping. The request log's
    ``ts`` stays real time (tests measure real waits with it).
    """

    def __init__(self, real=time.time):
        self._lock = threading.Lock()
        self._real = real
        self._frozen = None

    def __call__(self):
        with self._lock:
            return self._real() if self._frozen is None else self._frozen

    def describe(self):
        with self._lock:
            frozen = self._frozen is not None
            return {"now": self._frozen if frozen else self._real(), "frozen": frozen}

    def change(self, body):
        """``{"freeze": epoch | true | false}`` and/or ``{"advance": seconds}`` (advance needs a frozen clock)."""
        if not isinstance(body, dict) or not body or set(body) - {"freeze", "advance"}:
            raise ValueError('clock takes {"freeze": <epoch seconds> | true | false} and/or {"advance": <seconds>}')
        with self._lock:
            if "freeze" in body:
                value = body["freeze"]
                if value is True:
                    self._frozen = self._real() if self._frozen is None else self._frozen
                elif value is False:
                    self._frozen = None
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                    self._frozen = float(value)
                else:
                    raise ValueError("freeze must be true, false or an epoch time >= 0")
            if "advance" in body:
                step = body["advance"]
                if isinstance(step, bool) or not isinstance(step, (int, float)) or step < 0:
                    raise ValueError("advance must be a number of seconds >= 0")
                if self._frozen is None:
                    raise ValueError("advance needs a frozen clock (freeze it first)")
                self._frozen += step
        return self.describe()

    def thaw(self):
        with self._lock:
            self._frozen = None


class RequestLog:
    """The API request log (admin calls are not logged).

    Every API request gets an ``arrival`` number when it arrives (before latency, faults
    and the answer); ``seq`` is its place in the log, which is in the order answers were
    ready. ``mark()`` is the number of requests arrived so far: a test that marks between
    two steps knows exactly which requests each step made (``prev < arrival <= mark``).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._seq = 0
        self._arrivals = 0

    def arrive(self):
        with self._lock:
            self._arrivals += 1
            return self._arrivals

    def mark(self):
        with self._lock:
            return self._arrivals

    def add(self, entry):
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            if len(self._entries) > LOG_LIMIT:
                del self._entries[: len(self._entries) - LOG_LIMIT]

    def entries(self, clear=False):
        with self._lock:
            out = list(self._entries)
            if clear:
                self._entries = []
            return out

    def clear(self, restart=False):
        with self._lock:
            count = len(self._entries)
            self._entries = []
            if restart:
                self._seq = 0
                self._arrivals = 0
            return count


class App:
    """Everything the handler needs: state, config, limits, faults, log."""

    def __init__(self, config=None, faults=(), quiet=False):
        self.startup_config = dict(DEFAULT_CONFIG)
        self.startup_config.update(check_config(config or {}))
        self.startup_faults = list(faults)
        self.quiet = quiet
        self.state = State()
        self.log = RequestLog()
        self.faults = FaultEngine(self.startup_faults)
        self.clock = SimClock()
        self.limiter = RateLimiter(clock=self.clock)
        self._config_lock = threading.Lock()
        self.config = {}
        self.set_config(self.startup_config, replace=True)

    def set_config(self, changes, replace=False):
        checked = check_config(changes)
        with self._config_lock:
            new = dict(DEFAULT_CONFIG) if replace else dict(self.config)
            new.update(checked)
            limits = ("tenant_limit", "route_limit", "window")
            if replace or any(new[k] != self.config.get(k) for k in limits):
                self.limiter.configure(new["tenant_limit"], new["route_limit"], new["window"])
            self.config = new
            return dict(new)

    def get_config(self):
        with self._config_lock:
            return dict(self.config)

    def reset(self, spec=None):
        """Back to the seed (or generated tenants), startup config and faults; log cleared."""
        self.state.reset(spec)
        self.set_config(self.startup_config, replace=True)
        self.faults.replace(self.startup_faults)
        self.clock.thaw()
        self.limiter.clear()
        self.log.clear(restart=True)

    def say(self, line):
        if not self.quiet:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()


def canonical_path(path):
    """The API path without the optional ``/api`` prefix."""
    for prefix in API_PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix):]
    return path


def match_route(path):
    """``(route name, id text)`` for an API path, or ``(None, None)``."""
    if path == LIST_PATH:
        return "list", None
    match = ITEM_PATH.match(path)
    if match:
        return "item", match.group(1)
    return None, None


def retry_after_value(seconds, fmt, now=None):
    if fmt == "date":
        return email.utils.formatdate((now if now is not None else time.time()) + seconds, usegmt=True)
    return str(int(seconds))


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the body
    # waited for the client's delayed ACK (40 ms on Linux) on every keep-alive
    # request. Gateways such as Kong/nginx run with TCP_NODELAY; so does this.
    disable_nagle_algorithm = True
    server_version = "alohub-sim"
    sys_version = ""
    timeout = 300

    def version_string(self):
        return f"alohub-sim/{__version__}"

    @property
    def app(self):
        return self.server.app

    # -- plumbing ------------------------------------------------------
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        self.app.say("alohub-sim: " + (format % args))

    def log_request(self, code="-", size="-"):
        """Access lines are written by :meth:`_finish` instead."""

    def do_GET(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def do_OPTIONS(self):
        self._handle()

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        length = int(length)
        if length < 0 or length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length)

    def _handle(self):
        started = time.time()
        split = urlsplit(self.path)
        path = split.path
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            self._send(Reply(400, envelope("INVALID_INPUT", str(exc))))
            return
        if path == "/_sim" or path.startswith("/_sim/"):
            try:
                reply = self._admin(path, split.query, body)
            except Exception as exc:  # a bug in the simulator must not kill the connection silently
                reply = Reply(500, {"error": f"simulator error: {exc!r}"})
            self._send(reply)
            self.app.say(f"alohub-sim: admin {self.command} {self.path} -> {reply.status}")
            return
        entry = {"seq": None, "arrival": self.app.log.arrive(), "ts": started, "method": self.command, "path": path,
                 "query": self._query_dict(split.query),
                 "status": None, "tenant": None, "auth_header": None, "body": None, "fault": None,
                 "tenant_header": self.headers.get("X-Tenant-ID"), "user_agent": self.headers.get("User-Agent")}
        try:
            reply = self._api(path, split.query, body, entry)
        except Exception as exc:  # answer like the API would, and keep serving
            self.log_error("internal error: %r", exc)
            reply = Reply(500, envelope("FAIL", "Internal server error"))
        entry["status"] = reply.status if reply.drop is None else None
        self.app.log.add(entry)  # before answering, so a client that got its answer finds the entry
        self._send(reply)
        fault = f" fault={entry['fault']}" if entry["fault"] else ""
        self.app.say(f"alohub-sim: {self.command} {self.path} -> {entry['status'] or 'no reply'} tenant={entry['tenant']}{fault}")

    @staticmethod
    def _query_dict(query):
        out = {}
        for name, values in parse_qs(query, keep_blank_values=True).items():
            out[name] = values[0] if len(values) == 1 else values
        return out

    def _send(self, reply):
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout) as exc:
            # the client gave up (e.g. its timeout expired during a delay fault)
            self.close_connection = True
            self.app.say(f"alohub-sim: client went away before the answer was sent: {exc!r}")

    def _write(self, reply):
        if reply.drop == "reset":
            self._drop(rst=True)
            return
        if reply.drop == "close":
            self._drop(rst=False)
            return
        body = reply.body + (b" " * reply.padding)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.status != 204:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        if reply.truncate_to is not None or self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            if reply.truncate_to is not None:
                self.wfile.write(body[: reply.truncate_to])
                self.wfile.flush()
                self._drop(rst=False)
                return
            self.wfile.write(body)
        self.wfile.flush()

    def _drop(self, rst):
        """Close the connection without (the rest of) a reply."""
        self.close_connection = True
        sock = self.connection
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            # rfile holds a reference to the socket; wfile (an unbuffered writer) does not and must stay
            # open because BaseHTTPRequestHandler flushes it after every request.
            self.rfile.close()
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass

    # -- the API -------------------------------------------------------
    def _api(self, path, query, body, entry):
        app = self.app
        config = app.get_config()
        if config["latency_ms"]:
            time.sleep(config["latency_ms"] / 1000.0)
        method = self.command
        canon = canonical_path(path)
        route, id_text = match_route(canon)

        key, header_name = self._api_key()
        entry["auth_header"] = header_name
        if method == "PUT":
            entry["body"] = self._logged_body(body)
        known = app.state.lookup_key(key) if key else None
        tenant_hint = known[0] if known else (self.headers.get("X-Tenant-ID") or None)

        rule = app.faults.pick(method, canon, tenant_hint, route == "list" and method == "GET")
        if rule is not None:
            entry["fault"] = rule.kind
            if known:
                entry["tenant"] = known[0]
            if rule.kind in SHORT_CIRCUIT:
                return self._fault_reply(rule, config)
            if rule.kind == "delay":
                time.sleep(rule.options["delay_ms"] / 1000.0)
            if rule.kind == "rendezvous" and not rule.rendezvous():
                entry["fault"] = "rendezvous (alone: wait_ms passed)"

        reply = self._serve(method, route, id_text, body, entry, config, rule)

        if rule is not None:
            if rule.kind == "lost_reply":
                reply.drop = "close"
            elif rule.kind == "truncate":
                keep = rule.options["keep"]
                reply.truncate_to = min(len(reply.body) // 2 if keep is None else keep, max(0, len(reply.body) - 1))
            elif rule.kind == "oversize":
                reply.padding = rule.options["bytes"]
        return reply

    def _api_key(self):
        """``(key, header name)``; ``Authorization`` wins when both are sent."""
        for name in ("Authorization", "X-Api-Key"):
            value = self.headers.get(name)
            if value is not None and value.strip():
                return value.strip(), name
        return None, None

    def _fault_reply(self, rule, config):
        kind = rule.kind
        opts = rule.options
        if kind == "reset":
            reply = Reply(None)
            reply.drop = "reset"
            return reply
        if kind in ("rate_limit", "rate_limit_kong"):
            headers = []
            if opts["retry_after"] is not None:
                fmt = opts["retry_after_format"] or config["retry_after_format"]
                headers.append(("Retry-After", retry_after_value(opts["retry_after"], fmt, self.app.clock())))
            if kind == "rate_limit":
                return Reply(429, envelope("RATE_LIMIT_EXCEEDED", opts["error_message"]), headers)
            return Reply(429, {"message": "API rate limit exceeded"}, headers)
        if kind == "gateway":
            message = GATEWAY_MESSAGES[opts["status"]]
            if opts["format"] == "text":
                return Reply(opts["status"], raw=message.encode("utf-8"), content_type="text/plain; charset=utf-8")
            return Reply(opts["status"], {"message": message})
        if kind == "error":
            return Reply(opts["status"], envelope(opts["error_code"], opts["error_message"]))
        # body
        return Reply(opts["status"], raw=opts["body"].encode("utf-8"), content_type=opts["content_type"])

    def _serve(self, method, route, id_text, body, entry, config, rule):
        """The real API: routing, auth, rate limit, scope, handlers."""
        app = self.app
        if route is None:
            # What Kong answers for a path no route matches: its own shape, no error_code (the
            # collection tells it from the API's NOT_FOUND and says api_url is probably wrong).
            return Reply(404, {"message": "no Route matched with those values"})
        if method not in ROUTE_METHODS[route]:
            allowed = ", ".join(ROUTE_METHODS[route])
            return Reply(405, envelope("METHOD_NOT_ALLOWED", f"{method} is not allowed here (allowed: {allowed})"), [("Allow", allowed)])
        if self.headers.get("x-access-token") is not None:
            return Reply(401, envelope("UNAUTHORIZED", "JWT (x-access-token) is not accepted in this flow; send the API key"))
        key, _name = self._api_key()
        if key is None:
            return Reply(401, {"message": NO_KEY_MESSAGE})
        known = app.state.lookup_key(key)
        if known is None:
            return Reply(401, envelope("UNAUTHORIZED", "Invalid API key"))
        tenant, scopes = known
        tenant_header = self.headers.get("X-Tenant-ID")
        if tenant_header is not None and tenant_header.strip() != tenant:
            return Reply(401, envelope("UNAUTHORIZED", "API key does not belong to tenant"))
        entry["tenant"] = tenant

        decision = app.limiter.hit(tenant, f"{method} {ROUTE_TEMPLATES[route]}")
        rl_headers = decision.headers()
        if not decision.allowed:
            retry = retry_after_value(decision.reset, config["retry_after_format"], app.clock())
            return Reply(429, envelope("RATE_LIMIT_EXCEEDED", f"API rate limit exceeded ({decision.exceeded} limit)"),
                         rl_headers + [("Retry-After", retry)])
        if QUEUE_SCOPE not in scopes:
            return Reply(403, envelope("INSUFFICIENT_SCOPE", f"API key does not have scope '{QUEUE_SCOPE}'"), rl_headers)

        if route == "list":
            reply = self._list(tenant, config, rule)
        else:
            reply = self._item(method, tenant, id_text, body)
        reply.headers = rl_headers + reply.headers
        return reply

    @staticmethod
    def _logged_body(body):
        text = body.decode("utf-8", "replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _list(self, tenant, config, rule):
        params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        values = {}
        for name, default in (("page", 0), ("size", 20)):
            if name not in params:
                values[name] = default
                continue
            text = params[name][0]
            if not re.match(r"^[0-9]{1,9}$", text):
                return Reply(400, envelope("INVALID_INPUT", f"{name} must be a non-negative integer (got {text!r})"))
            values[name] = int(text)
        if values["size"] == 0:
            return Reply(400, envelope("INVALID_INPUT", "size must be at least 1"))
        size = values["size"]
        if config["page_size_cap"]:
            size = min(size, config["page_size_cap"])
        total, records = self.app.state.page(tenant, values["page"], size)
        if rule is not None and rule.kind == "total_offset":
            total += rule.options["offset"]
        if rule is not None and rule.kind == "shift":
            self.app.state.insert_front(tenant, rule.options["name"])
        return Reply(200, {"success": "1", "error_code": "SUCCESS", "totalRecord": total, "data": records})

    def _item(self, method, tenant, id_text, body):
        if not re.match(r"^[0-9]{1,18}$", id_text) or int(id_text) <= 0:
            return Reply(400, envelope("INVALID_INPUT", f"id must be a positive integer (got {id_text!r})"))
        queue_id = int(id_text)
        record = self.app.state.get(tenant, queue_id)
        if record is None:
            return Reply(404, envelope("NOT_FOUND", f"Inbound queue {queue_id} not found"))
        if method == "GET":
            return Reply(200, record)
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return Reply(400, envelope("INVALID_INPUT", f"Content-Type must be application/json (got {content_type or 'none'!r})"))
        try:
            parsed = json.loads(body.decode("utf-8"))
        except ValueError as exc:
            return Reply(400, envelope("INVALID_INPUT", f"request body is not valid JSON: {exc}"))
        changes, error = validate_update(parsed)
        if error:
            return Reply(400, envelope("INVALID_INPUT", error))
        if self.app.state.update(tenant, queue_id, changes) is None:
            return Reply(404, envelope("NOT_FOUND", f"Inbound queue {queue_id} not found"))
        return Reply(200, {"success": "1", "error_code": "SUCCESS", "error_message": UPDATED_MESSAGE})

    # -- the admin API ---------------------------------------------------
    def _admin(self, path, query, body):
        app = self.app
        method = self.command
        params = self._query_dict(query)
        parts = [p for p in path.split("/") if p][1:]
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else None
        except ValueError as exc:
            return Reply(400, {"error": f"body is not valid JSON: {exc}"})

        def bad(message, status=400):
            return Reply(status, {"error": message})

        endpoint = parts[0] if parts else ""
        if endpoint == "health" and len(parts) == 1 and method == "GET":
            return Reply(200, {"ok": True})
        if endpoint == "requests" and len(parts) == 1:
            if method == "GET":
                clear = str(params.get("clear", "")).lower() in ("1", "true", "yes")
                return Reply(200, app.log.entries(clear=clear))
            if method == "DELETE":
                return Reply(200, {"cleared": app.log.clear()})
        if endpoint == "mark" and len(parts) == 1 and method == "POST":
            return Reply(200, {"arrival": app.log.mark()})
        if endpoint == "clock" and len(parts) == 1:
            if method == "GET":
                return Reply(200, app.clock.describe())
            if method == "POST":
                try:
                    return Reply(200, app.clock.change(data))
                except ValueError as exc:
                    return bad(str(exc))
        if endpoint == "tenants" and len(parts) == 1 and method == "GET":
            return Reply(200, app.state.summary())
        if endpoint == "queues":
            if len(parts) == 1 and method == "GET":
                tenant = params.get("tenant")
                if not isinstance(tenant, str) or not tenant:
                    return bad("query parameter tenant is required")
                records = app.state.records(tenant)
                if records is None:
                    return bad(f"unknown tenant {tenant}", 404)
                return Reply(200, records)
            if len(parts) == 3 and method in ("PUT", "DELETE"):
                tenant, id_text = parts[1], parts[2]
                if not id_text.isdigit() or int(id_text) <= 0:
                    return bad("queue id must be a positive integer")
                try:
                    if method == "PUT":
                        return Reply(200, app.state.admin_set(tenant, int(id_text), data if data is not None else {}))
                    if app.state.admin_delete(tenant, int(id_text)) is None:
                        return bad(f"queue {id_text} of tenant {tenant} not found", 404)
                    return Reply(200, {"deleted": int(id_text)})
                except KeyError:
                    return bad(f"unknown tenant {tenant}", 404)
                except SpecError as exc:
                    return bad(str(exc))
        if endpoint == "reset" and len(parts) == 1 and method == "POST":
            try:
                app.reset(data)
            except SpecError as exc:
                return bad(str(exc))
            return Reply(200, {"ok": True, "tenants": app.state.summary()})
        if endpoint == "config" and len(parts) == 1:
            if method == "GET":
                return Reply(200, app.get_config())
            if method == "POST":
                try:
                    return Reply(200, app.set_config(data if data is not None else {}))
                except ValueError as exc:
                    return bad(str(exc))
        if endpoint == "faults" and len(parts) == 1:
            if method == "GET":
                return Reply(200, app.faults.describe())
            if method in ("POST", "PUT"):
                try:
                    return Reply(200, app.faults.replace(data if data is not None else []))
                except ValueError as exc:
                    return bad(str(exc))
            if method == "DELETE":
                return Reply(200, app.faults.replace([]))
        return bad(f"no admin call {method} {path}", 404)


class SimServer(ThreadingHTTPServer):
    """Threaded server; with ``ssl_context`` the TLS handshake runs in the worker thread."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, app, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(30)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.app.say(f"alohub-sim: TLS handshake with {client_address[0]} failed: {exc}")
            return
        try:
            tls.settimeout(Handler.timeout)
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass


class SimServer6(SimServer):
    address_family = socket.AF_INET6


def make_server(host, port, app, tls_cert=None, tls_key=None):
    """A bound, listening server (not yet serving)."""
    context = None
    if tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_cert, tls_key)
    cls = SimServer6 if ":" in host else SimServer
    return cls((host, port), app, context)
