"""The chaos mix: seeded, repeatable random fault rules for the simulator.

Shared by the soak (``tests/soak/soak.py``) and the fault-injection tests
(``tests/integration/test_chaos.py``), so both talk about the same faults.

``rules(share, seed)`` returns one simulator fault rule per kind below. Each
fires with the same probability, chosen so that together they hit ``share``
of the requests (rules are tried in order and at most one fires per request).
Every rule has its own seed, so a run that sends the same requests in the same
order gets the same faults.
"""

# (label, rule without probability/seed). The labels are what reports count.
KINDS = (
    ('429 API envelope, Retry-After 0', dict(kind='rate_limit', retry_after=0)),
    ('429 API envelope, Retry-After 1', dict(kind='rate_limit', retry_after=1)),
    ('429 API envelope, no Retry-After', dict(kind='rate_limit')),
    ('429 Kong, Retry-After 0', dict(kind='rate_limit_kong', retry_after=0)),
    ('429 Kong, no Retry-After', dict(kind='rate_limit_kong')),
    ('502 JSON', dict(kind='gateway', status=502, format='json')),
    ('502 text', dict(kind='gateway', status=502, format='text')),
    ('503 JSON', dict(kind='gateway', status=503, format='json')),
    ('503 text', dict(kind='gateway', status=503, format='text')),
    ('504 JSON', dict(kind='gateway', status=504, format='json')),
    ('504 text', dict(kind='gateway', status=504, format='text')),
    ('connection reset', dict(kind='reset')),
    ('reply lost after the PUT was applied', dict(kind='lost_reply', method='PUT')),
    ('reply lost (GET)', dict(kind='lost_reply', method='GET')),
    ('answer cut short', dict(kind='truncate')),
    ('answer slower than timeout', dict(kind='delay')),  # delay_ms set by rules()
)

# The connection options that go with the mix: small waits, a retry budget
# that a 30 % fault share cannot exhaust by chance (0.3 ** 9 per request).
CONNECTION = dict(retries=8, max_retry_wait=1, timeout=1)
DELAY_MS = 1500  # > CONNECTION['timeout']


def rules(share=0.3, seed=1, delay_ms=DELAY_MS, tenant=None, path=None, method=None):
    """The fault rules: together they fire on about ``share`` of matching requests."""
    if not 0 < share < 1:
        raise ValueError('share must be between 0 and 1')
    each = 1 - (1 - share) ** (1.0 / len(KINDS))
    out = []
    for number, (label, rule) in enumerate(KINDS):
        rule = dict(rule, probability=round(each, 6), seed=seed * 1000 + number, comment=label)
        if rule['kind'] == 'delay':
            rule['delay_ms'] = delay_ms
        if tenant is not None:
            rule['tenant'] = tenant
        if path is not None:
            rule['path'] = path
        if method is not None and 'method' not in rule:
            rule['method'] = method
        out.append(rule)
    return out


def fired(described):
    """{label: times fired} from the simulator's fault list (``sim.faults()``)."""
    counts = {}
    for rule in described:
        label = rule.get('comment') or rule['kind']
        counts[label] = counts.get(label, 0) + rule['fired']
    return counts


# option -> (API record field, wire form)
WIRE = {
    'strategy': ('strategy', lambda v: v),
    'moh_file_id': ('musicinQueue', lambda v: v),
    'max_wait_sec': ('timeWait', str),
    'announce_position': ('nguongRanhRoi', lambda v: '1' if v else '0'),
}
STRATEGY_CODES = {'normal': 1, 'vip': 2, 'blacklist': 3, 'divert': 4, 'locked': 99}


def strategy_code(value):
    if isinstance(value, str):
        return STRATEGY_CODES.get(value.strip().lower()) or int(value)
    return value


def normalised_value(option, raw):
    """A stored (raw) field value as the module's normalised form, for comparing."""
    if raw is None:
        return None
    if option == 'strategy':
        return int(raw)
    if option == 'max_wait_sec':
        return int(float(raw))
    if option == 'announce_position':
        return str(raw) in ('1', 'true', 'True')
    return raw


def apply_settings(record, settings):
    """The raw stored record after a successful update with ``settings`` (module options).

    A setting whose normalised value already matches is not sent, so the raw
    value stays as it was (``1`` stays ``1`` rather than becoming ``"1"``).
    """
    out = dict(record)
    for option, value in settings.items():
        if value is None or option not in WIRE:
            continue
        if option == 'strategy':
            value = strategy_code(value)
        if normalised_value(option, record.get(WIRE[option][0])) == value:
            continue
        field, wire = WIRE[option]
        out[field] = wire(value)
    return out
