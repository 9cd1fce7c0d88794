"""Start the simulator in a subprocess and drive its admin API, for tests.

::

    from alohub_sim.harness import Simulator

    with Simulator() as sim:
        sim.url                     # "http://127.0.0.1:PORT" (no path)
        sim.faults([{"kind": "gateway", "status": 503, "times": 1}])
        ...
        sim.requests()              # the request log

Only the standard library (``http.client``) is used for admin calls.
"""

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote, urlencode

SIMULATOR_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/simulator

ACME = "20260310"
GLOBEX = "20260311"
INITECH = "20260312"
ACME_KEY = "sk_test_acme"
ACME_READONLY_KEY = "sk_test_acme_readonly"
GLOBEX_KEY = "sk_test_globex"
INITECH_KEY = "sk_test_initech"


class SimulatorError(RuntimeError):
    """The simulator did not start, or an admin call failed."""


class Simulator:
    """A simulator process on a free loopback port.

    ``tls=(cert_file, key_file)`` serves HTTPS; ``extra_args`` are more CLI
    options (e.g. ``["--page-size-cap", "10"]``).
    """

    def __init__(self, tls=None, extra_args=(), startup_timeout=10.0, quiet=True):
        self.tls = tls
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.quiet = quiet
        self.port = None
        self.url = None
        self.process = None
        self._tmpdir = None
        self._output = None

    # -- lifecycle -----------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        if self.process is not None:
            return self
        self._tmpdir = tempfile.mkdtemp(prefix="alohub-sim-")
        port_file = os.path.join(self._tmpdir, "port")
        self._output = open(os.path.join(self._tmpdir, "output.log"), "wb")  # pylint: disable=consider-using-with
        cmd = [sys.executable, "-m", "alohub_sim", "--port", "0", "--port-file", port_file]
        if self.quiet:
            cmd.append("--quiet")
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        cmd += self.extra_args
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([SIMULATOR_ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        self.process = subprocess.Popen(cmd, env=env, stdout=self._output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self._cleanup()
                raise SimulatorError(f"simulator exited with {self.process.returncode}: {output}")
            if os.path.exists(port_file):
                with open(port_file, encoding="utf-8") as handle:
                    text = handle.read().strip()
                if text:
                    self.port = int(text)
                    self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
                    try:
                        if self.admin("GET", "/_sim/health") == {"ok": True}:
                            return self
                    except (OSError, SimulatorError, http.client.HTTPException):
                        pass
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise SimulatorError(f"simulator not healthy within {self.startup_timeout}s: {output}")

    def stop(self):
        """Terminate the process (SIGTERM, then SIGKILL after 5 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._cleanup()

    def _cleanup(self):
        if self._output is not None:
            self._output.close()
            self._output = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def output(self):
        """What the process printed so far (stdout and stderr)."""
        if self._tmpdir is None:
            return ""
        try:
            with open(os.path.join(self._tmpdir, "output.log"), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    # -- HTTP ----------------------------------------------------------
    def connection(self, timeout=10):
        """A new ``http.client`` connection to the simulator (TLS unverified)."""
        if self.port is None:
            raise SimulatorError("simulator is not running")
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def admin(self, method, path, body=None):
        """Call the admin API; the decoded JSON answer (raises on non-2xx)."""
        conn = self.connection()
        try:
            payload = None if body is None else json.dumps(body).encode("utf-8")
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status >= 300:
            raise SimulatorError(f"{method} {path} -> {response.status}: {data.decode('utf-8', 'replace')}")
        return json.loads(data.decode("utf-8"))

    # -- admin helpers ---------------------------------------------------
    def requests(self, clear=False):
        """The request log (list of dicts); ``clear=True`` empties it atomically."""
        return self.admin("GET", "/_sim/requests" + ("?clear=1" if clear else ""))

    def clear_requests(self):
        return self.admin("DELETE", "/_sim/requests")["cleared"]

    def mark(self):
        """The number of API requests that have arrived so far (each log entry's ``arrival``).

        Requests that arrive after one mark and up to the next (``a < arrival <= b``) are
        exactly those sent in between, whatever order their answers came in.
        """
        return self.admin("POST", "/_sim/mark")["arrival"]

    def clock(self, freeze=None, advance=None):
        """The rate limiter's clock: ``freeze=<epoch>|True|False``, ``advance=<seconds>``; {"now", "frozen"}.

        Reset thaws it. Frozen, windows and Retry-After dates move only when told to.
        """
        body = {}
        if freeze is not None:
            body["freeze"] = freeze
        if advance is not None:
            body["advance"] = advance
        return self.admin("POST", "/_sim/clock", body) if body else self.admin("GET", "/_sim/clock")

    def reset(self, tenants=None):
        """Back to the seed, or to generated ``tenants`` ({"T": {"keys": {...}, "queues": N}})."""
        return self.admin("POST", "/_sim/reset", None if tenants is None else {"tenants": tenants})

    def config(self, **changes):
        """Change run-time settings (page_size_cap, tenant_limit, ...); the whole config."""
        return self.admin("POST", "/_sim/config", changes) if changes else self.admin("GET", "/_sim/config")

    def faults(self, rules=None):
        """Replace the fault rules (``rules`` given) or list them with their counters."""
        if rules is None:
            return self.admin("GET", "/_sim/faults")
        return self.admin("POST", "/_sim/faults", list(rules))

    def tenants(self):
        return self.admin("GET", "/_sim/tenants")

    def queues(self, tenant):
        """The raw stored records of ``tenant``: {callinId: record}."""
        records = self.admin("GET", "/_sim/queues?" + urlencode({"tenant": tenant}))
        return {record["callinId"]: record for record in records}

    def set_queue(self, tenant, queue_id, **fields):
        """Overwrite raw API fields of a stored record (creates it when absent)."""
        return self.admin("PUT", f"/_sim/queues/{quote(str(tenant), safe='')}/{int(queue_id)}", fields)

    def delete_queue(self, tenant, queue_id):
        return self.admin("DELETE", f"/_sim/queues/{quote(str(tenant), safe='')}/{int(queue_id)}")
