"""Tenants, API keys and queue records of the simulator, plus the built-in seed.

Queue records are stored exactly as the API returns them (API field names,
wire types), so ``GET /_sim/queues`` shows what a client will receive.
"""

import copy
import re
import threading

# Field order of a queue record as the API sends it.
RECORD_FIELDS = (
    "callinId",
    "callinName",
    "strategy",
    "musicinQueue",
    "timeWait",
    "agentSelector",
    "nguongRanhRoi",
    "callinNumber",
)

STRATEGIES = (1, 2, 3, 4, 99)
QUEUE_SCOPE = "queue"

# The one place that maps PUT fields onto stored record fields.
#   PUT field           -> (record field,   checker name)
UPDATE_FIELDS = {
    "moh_file_id": ("musicinQueue", "moh_file_id"),
    "max_wait_sec": ("timeWait", "max_wait_sec"),
    "strategy": ("strategy", "strategy"),
    "announce_position": ("nguongRanhRoi", "announce_position"),
}

MOH_MAX_LEN = 255
_DIGITS = re.compile(r"^[0-9]+$")


class SpecError(ValueError):
    """A reset body, or an admin change, that cannot be applied."""


def _check_moh_file_id(value):
    if not isinstance(value, str):
        return "must be a string"
    if value == "":
        return "must not be empty"
    if len(value) > MOH_MAX_LEN:
        return f"must be at most {MOH_MAX_LEN} characters"
    return None


def _check_max_wait_sec(value):
    if not isinstance(value, str):
        return 'must be a string of digits (seconds), e.g. "180"'
    if not _DIGITS.match(value):
        return 'must contain digits only (seconds), e.g. "180"'
    return None


def _check_strategy(value):
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be an integer, one of 1, 2, 3, 4, 99"
    if value not in STRATEGIES:
        return "must be one of 1, 2, 3, 4, 99"
    return None


def _check_announce_position(value):
    if not isinstance(value, str) or value not in ("0", "1"):
        return 'must be the string "0" or "1"'
    return None


_CHECKERS = {
    "moh_file_id": _check_moh_file_id,
    "max_wait_sec": _check_max_wait_sec,
    "strategy": _check_strategy,
    "announce_position": _check_announce_position,
}


def validate_update(body):
    """Check a parsed PUT body.

    Returns ``(changes, error)``: ``changes`` maps record fields to new values,
    ``error`` is None or a message naming every offending field.
    """
    if not isinstance(body, dict):
        return None, "request body must be a JSON object"
    if not body:
        return None, "at least one field is required: " + ", ".join(UPDATE_FIELDS)
    problems = []
    unknown = sorted(name for name in body if name not in UPDATE_FIELDS)
    for name in unknown:
        problems.append(f"{name}: unknown field (allowed: {', '.join(UPDATE_FIELDS)})")
    changes = {}
    for name, (record_field, checker) in UPDATE_FIELDS.items():
        if name not in body:
            continue
        value = body[name]
        if value is None:
            problems.append(f"{name}: must not be null")
            continue
        problem = _CHECKERS[checker](value)
        if problem:
            problems.append(f"{name}: {problem}")
            continue
        changes[record_field] = value
    if problems:
        return None, "; ".join(problems)
    return changes, None


def make_record(queue_id, name, **fields):
    """A record with every field present (null unless given)."""
    record = dict.fromkeys(RECORD_FIELDS)
    record["callinId"] = queue_id
    record["callinName"] = name
    for key, value in fields.items():
        if key not in record or key == "callinId":
            raise SpecError(f"unknown record field {key!r}")
        record[key] = value
    return record


# ---------------------------------------------------------------------------
# Deterministic field patterns. Cycles of different lengths give varied
# combinations without randomness (stable across Python versions).
_STRATEGY_CYCLE = (1, 2, 1, None, 3, 1, 4, 99, 2, 1, None)
_MUSIC_CYCLE = ("waiting.wav", None, "jazz.mp3", "default", "hold-vi.wav", None, "classical.wav")
_TIMEWAIT_CYCLE = ("120", "60", None, "300", "0", "45", "180", "600", "90")
_ANNOUNCE_CYCLE = (None, "0", "1", 0, 1, "1")
_SELECTOR_CYCLE = (None, None, "ringall", None, None, "leastrecent", None, "roundrobin")


def patterned_fields(index, number_prefix="0287"):
    """Varied field values for the index-th queue of a tenant."""
    return {
        "strategy": _STRATEGY_CYCLE[index % len(_STRATEGY_CYCLE)],
        "musicinQueue": _MUSIC_CYCLE[index % len(_MUSIC_CYCLE)],
        "timeWait": _TIMEWAIT_CYCLE[index % len(_TIMEWAIT_CYCLE)],
        "agentSelector": _SELECTOR_CYCLE[index % len(_SELECTOR_CYCLE)],
        "nguongRanhRoi": _ANNOUNCE_CYCLE[index % len(_ANNOUNCE_CYCLE)],
        "callinNumber": f"{number_prefix}{index:06d}" if index % 3 == 0 else None,
    }


_ACME_NAMES = (
    "reception", "sales", "billing", "support", "vip", "overflow", "hotline 1900",
    "returns", "shipping", "retention", "complaints", "onboarding", "renewals", "collections",
    "partners", "warranty", "accounts", "support", "orders", "emergency", "after-hours",
    "callback", "survey", "escalation", "enterprise", "smb", "test", "Ch\u0103m s\u00f3c kh\u00e1ch h\u00e0ng",
    "hanoi", "saigon", "danang", "night-shift", "weekend", "promo", "technical",
    "installations", "fraud", "blocked-callers", "divert-mobile", "maintenance", "training", "archive",
)
_GLOBEX_NAMES = (
    "globex-main", "support", "sales", "billing", "it-helpdesk", "hr", "facilities", "legal",
    "procurement", "marketing", "press", "investors", "security", "reception", "shipping",
    "returns", "vip", "partners", "training", "night-shift", "eu-desk", "us-desk", "apac-desk",
    "escalation", "archive",
)
_INITECH_NAMES = ("tps-reports", "printer", "support-desk", "payroll", "reception", "facilities", "it", "milton")

# Per-queue overrides on top of the patterns (tenant 20260310).
_ACME_OVERRIDES = {
    # The API document's sample record, verbatim.
    1001226: {"strategy": 1, "musicinQueue": "waiting.wav", "timeWait": "120", "agentSelector": None,
              "nguongRanhRoi": None, "callinNumber": None},
    # Every optional field null.
    1001205: {"strategy": None, "musicinQueue": None, "timeWait": None, "agentSelector": None,
              "nguongRanhRoi": None, "callinNumber": None},
    1001204: {"strategy": 2},       # vip
    1001237: {"strategy": 3},       # blocked-callers: blacklist
    1001238: {"strategy": 4},       # divert-mobile
    1001239: {"strategy": 99},      # maintenance: temporarily locked
}

# tenant id -> (keys {key: scopes}, first id, names, number prefix, overrides)
_SEED = (
    ("20260310", {"sk_test_acme": [QUEUE_SCOPE], "sk_test_acme_readonly": ["read"]}, 1001200, _ACME_NAMES, "0287", _ACME_OVERRIDES),
    ("20260311", {"sk_test_globex": [QUEUE_SCOPE]}, 2002000, _GLOBEX_NAMES, "0243", {}),
    ("20260312", {"sk_test_initech": [QUEUE_SCOPE]}, 3003000, _INITECH_NAMES, "0236", {}),
)

# What tests may rely on, in one importable place.
SEED_TENANTS = {
    tenant_id: {"keys": keys, "first_id": first_id, "queues": len(names)}
    for tenant_id, keys, first_id, names, _prefix, _overrides in _SEED
}


def seed_tenants():
    """The built-in seed as a list of :class:`Tenant`."""
    tenants = []
    for tenant_id, keys, first_id, names, prefix, overrides in _SEED:
        tenant = Tenant(tenant_id, keys)
        for index, name in enumerate(names):
            queue_id = first_id + index
            fields = patterned_fields(index + len(tenants) * 5, prefix)
            fields.update(overrides.get(queue_id, {}))
            tenant.put(make_record(queue_id, name, **fields))
        tenants.append(tenant)
    return tenants


def generated_tenants(spec):
    """Tenants from a reset body ``{"tenants": {"T": {"keys": {...}, "queues": N}}}``.

    ``queues`` is a count (records generated with the seed's patterns, named
    ``queue-00001`` ...) or a list of raw records; ``first_id`` (optional) is
    the first generated id, by default 10000000 times the tenant's position.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("tenants"), dict) or not spec["tenants"]:
        raise SpecError('body must be {"tenants": {"<tenant id>": {"keys": {"<key>": ["queue"]}, "queues": <count>}}}')
    unknown = sorted(set(spec) - {"tenants"})
    if unknown:
        raise SpecError(f"unknown reset option(s): {', '.join(unknown)}")
    tenants = []
    for position, (tenant_id, tspec) in enumerate(spec["tenants"].items(), start=1):
        if not isinstance(tspec, dict):
            raise SpecError(f"tenant {tenant_id}: must be an object")
        unknown = sorted(set(tspec) - {"keys", "queues", "first_id"})
        if unknown:
            raise SpecError(f"tenant {tenant_id}: unknown option(s): {', '.join(unknown)}")
        keys = tspec.get("keys", {})
        if not isinstance(keys, dict) or not all(isinstance(s, list) and all(isinstance(x, str) for x in s) for s in keys.values()):
            raise SpecError(f'tenant {tenant_id}: keys must be {{"<key>": ["queue", ...]}}')
        tenant = Tenant(tenant_id, keys)
        queues = tspec.get("queues", 0)
        first_id = tspec.get("first_id", position * 10000000)
        if isinstance(first_id, bool) or not isinstance(first_id, int) or first_id < 1:
            raise SpecError(f"tenant {tenant_id}: first_id must be a positive integer")
        if isinstance(queues, list):
            for raw in queues:
                if not isinstance(raw, dict) or isinstance(raw.get("callinId"), bool) or not isinstance(raw.get("callinId"), int):
                    raise SpecError(f"tenant {tenant_id}: every record needs an integer callinId")
                fields = {k: v for k, v in raw.items() if k not in ("callinId", "callinName")}
                tenant.put(make_record(raw["callinId"], raw.get("callinName", f"queue-{raw['callinId']}"), **fields))
        elif isinstance(queues, int) and not isinstance(queues, bool) and 0 <= queues <= 1000000:
            for index in range(queues):
                tenant.put(make_record(first_id + index, f"queue-{index + 1:05d}", **patterned_fields(index)))
        else:
            raise SpecError(f"tenant {tenant_id}: queues must be a count (0..1000000) or a list of records")
        tenants.append(tenant)
    return tenants


class Tenant:
    """One tenant: its API keys and its queues."""

    def __init__(self, tenant_id, keys):
        self.tenant_id = str(tenant_id)
        self.keys = {str(key): sorted(set(scopes)) for key, scopes in keys.items()}
        self.queues = {}
        self._order = None

    def put(self, record):
        self.queues[record["callinId"]] = record
        self._order = None

    def delete(self, queue_id):
        self._order = None
        return self.queues.pop(queue_id, None)

    def ordered_ids(self):
        if self._order is None:
            self._order = sorted(self.queues)
        return self._order

    def summary(self):
        ids = self.ordered_ids()
        return {"keys": dict(self.keys), "queues": len(ids), "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None}


class State:
    """All tenants; every method is thread-safe and returns copies."""

    def __init__(self):
        self._lock = threading.RLock()
        self._tenants = {}
        self._keys = {}
        self.load(seed_tenants())

    def load(self, tenants):
        keys = {}
        for tenant in tenants:
            for key in tenant.keys:
                if key in keys:
                    raise SpecError(f"API key {key!r} is given to more than one tenant")
                keys[key] = tenant.tenant_id
        with self._lock:
            self._tenants = {t.tenant_id: t for t in tenants}
            self._keys = keys

    def reset(self, spec=None):
        self.load(seed_tenants() if spec is None else generated_tenants(spec))

    def lookup_key(self, key):
        """``(tenant id, scopes)`` of an API key, or None."""
        with self._lock:
            tenant_id = self._keys.get(key)
            if tenant_id is None:
                return None
            return tenant_id, list(self._tenants[tenant_id].keys[key])

    def has_tenant(self, tenant_id):
        with self._lock:
            return tenant_id in self._tenants

    def summary(self):
        with self._lock:
            return {tid: t.summary() for tid, t in self._tenants.items()}

    def page(self, tenant_id, page, size):
        """``(total, records)`` of one page, ordered by id."""
        with self._lock:
            tenant = self._tenants[tenant_id]
            ids = tenant.ordered_ids()
            start = page * size
            return len(ids), [dict(tenant.queues[qid]) for qid in ids[start:start + size]]

    def get(self, tenant_id, queue_id):
        with self._lock:
            record = self._tenants[tenant_id].queues.get(queue_id)
            return None if record is None else dict(record)

    def update(self, tenant_id, queue_id, changes):
        """Apply record-field changes; the new record, or None when absent."""
        with self._lock:
            record = self._tenants[tenant_id].queues.get(queue_id)
            if record is None:
                return None
            record.update(changes)
            return dict(record)

    def records(self, tenant_id):
        with self._lock:
            tenant = self._tenants.get(tenant_id)
            if tenant is None:
                return None
            return [copy.deepcopy(tenant.queues[qid]) for qid in tenant.ordered_ids()]

    def admin_set(self, tenant_id, queue_id, fields):
        """Overwrite raw fields of a record (created with null fields when absent)."""
        if not isinstance(fields, dict):
            raise SpecError("body must be an object of raw record fields")
        bad = sorted(k for k in fields if k not in RECORD_FIELDS or k == "callinId")
        if bad:
            raise SpecError(f"unknown or read-only record field(s): {', '.join(bad)}")
        with self._lock:
            tenant = self._tenants.get(tenant_id)
            if tenant is None:
                raise KeyError(tenant_id)
            record = tenant.queues.get(queue_id)
            if record is None:
                record = make_record(queue_id, f"queue-{queue_id}")
                tenant.put(record)
            record.update(copy.deepcopy(fields))
            return dict(record)

    def admin_delete(self, tenant_id, queue_id):
        with self._lock:
            tenant = self._tenants.get(tenant_id)
            if tenant is None:
                raise KeyError(tenant_id)
            return tenant.delete(queue_id)

    def insert_front(self, tenant_id, name=None):
        """Add a record whose id sorts before every other one (the ``shift`` fault)."""
        with self._lock:
            tenant = self._tenants[tenant_id]
            ids = tenant.ordered_ids()
            queue_id = ids[0] - 1 if ids and ids[0] > 1 else (ids[-1] + 1 if ids else 1)
            record = make_record(queue_id, name or f"shifted-{queue_id}", **patterned_fields(queue_id))
            tenant.put(record)
            return dict(record)
