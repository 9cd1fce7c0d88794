"""Fault rules: make chosen API requests misbehave, repeatably.

A rule is a JSON object::

    {"kind": "gateway", "method": "GET", "path": "^/v1/queues/inbound$",
     "tenant": "20260310", "skip": 1, "times": 2, "probability": 0.5, "seed": 7,
     "status": 503}

``path`` is a regular expression searched in the request path without the
query string and without the ``/api`` prefix. Rules are tried in order; the
first one that matches and fires is used (at most one per request).
"""

import re
import random
import threading

# Options every rule may carry (besides its kind's own options).
COMMON_OPTIONS = ("kind", "method", "path", "tenant", "skip", "times", "probability", "seed", "comment")
METHODS = ("*", "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")

GATEWAY_MESSAGES = {
    502: "An invalid response was received from the upstream server",
    503: "The upstream server is currently unavailable",
    504: "The upstream server is timing out",
}

# Kinds that answer (or hang up) instead of the API, without touching state.
SHORT_CIRCUIT = ("rate_limit", "rate_limit_kong", "gateway", "error", "reset", "body")
# Kinds that only make sense on the list endpoint (GET /v1/queues/inbound).
LIST_ONLY = ("total_offset", "shift")


def _int(value, minimum=None, maximum=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"must be <= {maximum}")
    return value


def _choice(*allowed):
    def check(value):
        if value not in allowed or isinstance(value, bool):
            raise ValueError(f"must be one of {', '.join(str(a) for a in allowed)}")
        return value
    return check


def _string(value):
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _optional_string(value):
    if value is not None and not isinstance(value, str):
        raise ValueError("must be a string or null")
    return value


def _seconds(value):
    if value is None:
        return None
    return _int(value, 0)


# kind -> {option: (checker, default)}
KINDS = {
    "rate_limit": {"retry_after": (_seconds, None), "retry_after_format": (_choice("seconds", "date", None), None),
                   "error_message": (_string, "API rate limit exceeded (simulated)")},
    "rate_limit_kong": {"retry_after": (_seconds, None), "retry_after_format": (_choice("seconds", "date", None), None)},
    "gateway": {"status": (_choice(502, 503, 504), 502), "format": (_choice("json", "text"), "json")},
    "error": {"status": (lambda v: _int(v, 400, 599), 500), "error_code": (_string, "FAIL"),
              "error_message": (_string, "Internal server error (simulated)")},
    "reset": {},
    "lost_reply": {},
    "delay": {"delay_ms": (lambda v: _int(v, 0, 600000), 1000)},
    "rendezvous": {"count": (lambda v: _int(v, 2, 100), 2), "wait_ms": (lambda v: _int(v, 0, 600000), 30000)},
    "body": {"status": (lambda v: _int(v, 100, 599), 200), "content_type": (_string, "application/json"), "body": (_string, "")},
    "truncate": {"keep": (lambda v: None if v is None else _int(v, 0), None)},
    "oversize": {"bytes": (lambda v: _int(v, 1, 1 << 30), 1 << 20)},
    "total_offset": {"offset": (_int, 1)},
    "shift": {"name": (_optional_string, None)},
}


class FaultRule:
    """One validated rule and its counters."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule must be a JSON object")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        unknown = sorted(set(spec) - set(COMMON_OPTIONS) - set(KINDS[kind]))
        if unknown:
            raise ValueError(f"{kind}: unknown option(s) {', '.join(unknown)}")
        self.spec = dict(spec)
        self.kind = kind
        method = spec.get("method", "*")
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        self.method = method.upper()
        path = spec.get("path")
        try:
            self.path = None if path is None else re.compile(_string(path))
        except (re.error, ValueError) as exc:
            raise ValueError(f"path must be a valid regular expression: {exc}") from exc
        tenant = spec.get("tenant")
        self.tenant = None if tenant is None else str(tenant)
        self.skip = self._check("skip", spec.get("skip", 0), lambda v: _int(v, 0))
        times = spec.get("times")
        self.times = None if times is None else self._check("times", times, lambda v: _int(v, 0))
        probability = spec.get("probability", 1.0)
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
            raise ValueError("probability must be a number from 0 to 1")
        self.probability = float(probability)
        seed = spec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, (int, str)):
            raise ValueError("seed must be an integer or a string")
        self.rng = random.Random(seed)
        self.options = {}
        for name, (checker, default) in KINDS[kind].items():
            self.options[name] = self._check(name, spec.get(name, default), checker) if name in spec else default
        self.matched = 0
        self.skipped = 0
        self.fired = 0
        self._meeting = threading.Condition()
        self._waiting = 0
        self._round = 0

    def _check(self, name, value, checker):
        try:
            return checker(value)
        except ValueError as exc:
            raise ValueError(f"{self.spec.get('kind')}: {name} {exc}") from exc

    def remaining(self):
        return None if self.times is None else max(0, self.times - self.fired)

    def matches(self, method, path, tenant, is_list):
        if self.kind in LIST_ONLY and not is_list:
            return False
        if self.method != "*" and self.method != method:
            return False
        if self.path is not None and not self.path.search(path):
            return False
        if self.tenant is not None and self.tenant != tenant:
            return False
        return True

    def consider(self, method, path, tenant, is_list):
        """Count a request against this rule; True when the rule fires."""
        if self.times is not None and self.fired >= self.times:
            return False
        if not self.matches(method, path, tenant, is_list):
            return False
        self.matched += 1
        if self.skipped < self.skip:
            self.skipped += 1
            return False
        if self.probability < 1.0 and self.rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def rendezvous(self):
        """Hold this request until ``count`` requests fired the rule, or ``wait_ms`` passed; True when they met.

        Requests from different clients that must overlap (two writers racing) meet here, so their order
        does not depend on how fast each client started.
        """
        with self._meeting:
            this_round = self._round
            self._waiting += 1
            if self._waiting >= self.options["count"]:
                self._waiting = 0
                self._round += 1
                self._meeting.notify_all()
                return True
            met = self._meeting.wait_for(lambda: self._round != this_round, self.options["wait_ms"] / 1000.0)
            if not met:
                self._waiting -= 1
            return met

    def describe(self):
        out = dict(self.spec)
        out.update({"matched": self.matched, "skipped": self.skipped, "fired": self.fired, "remaining": self.remaining()})
        return out


def parse_rules(specs):
    """Validate a list of rule objects (or one object); raises ValueError naming the rule."""
    if isinstance(specs, dict) and "rules" in specs and "kind" not in specs:
        specs = specs["rules"]
    if isinstance(specs, dict):
        specs = [specs]
    if not isinstance(specs, list):
        raise ValueError("fault rules must be a JSON list of rule objects")
    rules = []
    for number, spec in enumerate(specs, start=1):
        try:
            rules.append(FaultRule(spec))
        except ValueError as exc:
            raise ValueError(f"fault rule #{number}: {exc}") from exc
    return rules


class FaultEngine:
    """The active rules; thread-safe."""

    def __init__(self, specs=()):
        self._lock = threading.Lock()
        self._rules = parse_rules(list(specs))

    def replace(self, specs):
        rules = parse_rules(specs)
        with self._lock:
            self._rules = rules
        return self.describe()

    def describe(self):
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def pick(self, method, path, tenant, is_list):
        """The first rule that matches and fires, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.consider(method, path, tenant, is_list):
                    return rule
        return None
