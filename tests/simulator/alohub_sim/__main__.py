"""Command line: ``PYTHONPATH=tests/simulator python -m alohub_sim [options]``."""

import argparse
import ipaddress
import json
import os
import signal
import sys
import threading

from . import __version__
from .faults import KINDS, parse_rules
from .server import DEFAULT_CONFIG, App, check_config, make_server

DESCRIPTION = """\
A local simulator of the AloHub inbound-queue API (Kong-fronted), for tests and demos.

API (served at /v1/... and /api/v1/...):
  GET /v1/queues/inbound?page=0&size=20   list (envelope, totalRecord, page size capped)
  GET /v1/queues/inbound/{id}             one queue (bare record)
  PUT /v1/queues/inbound/{id}             update moh_file_id, max_wait_sec, strategy, announce_position
Send the key as "Authorization: <key>" or "X-Api-Key: <key>"; X-Tenant-ID is optional.

Seeded tenants and keys:
  20260310  sk_test_acme (scope queue), sk_test_acme_readonly (no queue scope)  42 queues from 1001200
  20260311  sk_test_globex                                                      25 queues from 2002000
  20260312  sk_test_initech                                                      8 queues from 3003000

Admin API (no auth): /_sim/health, /_sim/requests, /_sim/queues?tenant=T, /_sim/queues/T/ID,
/_sim/tenants, /_sim/reset, /_sim/config, /_sim/faults  (see docs/development.md)."""

EPILOG = """\
fault kinds: """ + ", ".join(KINDS) + """

examples:
  PYTHONPATH=tests/simulator python -m alohub_sim --port 8080
  curl -s -H 'Authorization: sk_test_acme' http://127.0.0.1:8080/v1/queues/inbound/1001226
  # every second list request gets a Kong 503, twice:
  python -m alohub_sim --port 8080 --fault '{"kind": "gateway", "status": 503, "path": "inbound$", "skip": 1, "times": 2}'
  # tight limits to watch 429s and Retry-After:
  python -m alohub_sim --port 8080 --route-limit 3 --window 10 --retry-after-format date
  # HTTPS with your own certificate:
  python -m alohub_sim --port 8443 --tls-cert cert.pem --tls-key key.pem
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m alohub_sim", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"alohub-sim {__version__}")
    net = parser.add_argument_group("listening")
    net.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s; loopback only unless --allow-remote)")
    net.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address (the simulator has no real security)")
    net.add_argument("--port", type=int, default=8080, help="port to bind, 0 = any free port (default: %(default)s)")
    net.add_argument("--port-file", metavar="PATH", help="write the bound port to PATH once listening")
    net.add_argument("--tls-cert", metavar="FILE", help="PEM certificate: serve HTTPS instead of HTTP (needs --tls-key)")
    net.add_argument("--tls-key", metavar="FILE", help="PEM private key for --tls-cert")
    behaviour = parser.add_argument_group("behaviour (also changeable at run time with POST /_sim/config)")
    behaviour.add_argument("--page-size-cap", type=int, default=DEFAULT_CONFIG["page_size_cap"], metavar="N",
                           help="largest page the list endpoint returns, silently (0 = no cap; default: %(default)s)")
    behaviour.add_argument("--tenant-limit", type=int, default=DEFAULT_CONFIG["tenant_limit"], metavar="N",
                           help="requests per window per tenant, all routes (0 = unlimited; default: %(default)s)")
    behaviour.add_argument("--route-limit", type=int, default=DEFAULT_CONFIG["route_limit"], metavar="N",
                           help="requests per window per tenant and route (0 = unlimited; default: %(default)s)")
    behaviour.add_argument("--window", type=float, default=DEFAULT_CONFIG["window"], metavar="SECONDS",
                           help="length of the fixed rate-limit window (default: %(default)s)")
    behaviour.add_argument("--latency-ms", type=float, default=DEFAULT_CONFIG["latency_ms"], metavar="MS",
                           help="delay added to every API response (default: %(default)s)")
    behaviour.add_argument("--retry-after-format", choices=("seconds", "date"), default=DEFAULT_CONFIG["retry_after_format"],
                           help="Retry-After on 429: delta seconds or an HTTP date (default: %(default)s)")
    behaviour.add_argument("--fault", action="append", default=[], metavar="JSON",
                           help="a fault rule (JSON object, or a list of them); repeatable, tried in order")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return parser


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def write_port_file(path, port):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.allow_remote and not is_loopback(args.host):
        parser.error(f"refusing to listen on non-loopback host {args.host!r}; pass --allow-remote if you really mean it")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    config = {
        "page_size_cap": args.page_size_cap,
        "tenant_limit": args.tenant_limit,
        "route_limit": args.route_limit,
        "window": args.window,
        "latency_ms": args.latency_ms,
        "retry_after_format": args.retry_after_format,
    }
    faults = []
    for text in args.fault:
        try:
            value = json.loads(text)
        except ValueError as exc:
            parser.error(f"--fault is not valid JSON: {exc}")
        faults.extend(value if isinstance(value, list) else [value])
    try:
        check_config(config)
        parse_rules(faults)
    except ValueError as exc:
        parser.error(str(exc))

    app = App(config=config, faults=faults, quiet=args.quiet)
    try:
        server = make_server(args.host, args.port, app, args.tls_cert, args.tls_key)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"alohub-sim: cannot listen on {args.host}:{args.port}: {exc}\n")
        return 1
    port = server.server_address[1]
    scheme = "https" if args.tls_cert else "http"
    shown_host = f"[{args.host}]" if ":" in args.host else args.host

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="alohub-sim", daemon=True)
    thread.start()
    if args.port_file:
        write_port_file(args.port_file, port)
    sys.stdout.write(f"alohub-sim listening on {scheme}://{shown_host}:{port}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    app.say("alohub-sim: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
