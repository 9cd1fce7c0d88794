# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Property-based tests of the trust boundary (Hypothesis).

Whatever the API answers, parsing and normalisation end in a correct result or in an
AlohubError, never in another exception; what comes out has the documented types; and
what the collection writes reads back as the same data. The examples are derandomised
(the same ones each run, so CI does not flake); ``HYPOTHESIS_PROFILE=explore`` runs
ten times as many random ones.
"""

from __future__ import annotations

import base64
import json
import math
import os
from urllib.parse import quote, quote_plus

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.parsing.dataloader import DataLoader

from alohub_test.fakes import Clock, FakeResponse, FakeSession
from ansible_collections.alohub.callcenter.plugins.filter.queues import to_inert_yaml
from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model, reconcile
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError, Redactor
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import Transport, parse_retry_after

settings.register_profile('ci', max_examples=300, derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile('explore', max_examples=3000, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'ci'))

SECRET = 'sk_test_Secret123abc'
FIELDS = [api for dummy, api, dummy2, dummy3 in queue_model.FIELDS]

# Any JSON value, with the nasty corners: NaN, infinities, huge and negative numbers, booleans that
# are ints in Python, lone surrogates, deep nesting.
scalars = (st.none() | st.booleans() | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
           | st.sampled_from(['1', '0', 'true', '120', ' 45 ', '120.0', '-5', '\ud800', '1e400', 'vip']))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8) | st.sampled_from(FIELDS), inner, max_size=4),
                           max_leaves=20)
# Records that look like queue records: the documented fields, any values, sometimes missing.
records = st.fixed_dictionaries({}, optional=dict((field, json_values) for field in FIELDS))
good_ids = st.integers(min_value=1, max_value=2 ** 53)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_normalised(queue):
    """The documented types of a normalised record."""
    assert set(queue) == set(option for option, dummy, dummy2, dummy3 in queue_model.FIELDS) | {'strategy_name'}
    assert is_int(queue['id']) and queue['id'] > 0
    for key in ('name', 'moh_file_id', 'number'):
        assert queue[key] is None or isinstance(queue[key], str)
        if queue[key] is not None:
            queue[key].encode('utf-8')
    assert queue['strategy'] is None or is_int(queue['strategy'])
    assert queue['strategy_name'] in (None,) + tuple(queue_model.STRATEGIES.values())
    assert queue['max_wait_sec'] is None or (is_int(queue['max_wait_sec']) and queue['max_wait_sec'] >= 0)
    assert queue['announce_position'] in (None, True, False)
    json.dumps(queue, allow_nan=False)  # what the module returns is JSON without NaN or Infinity


@given(records)
def test_a_record_is_normalised_to_the_documented_types_or_rejected(record):
    try:
        queue = queue_model.normalise(record, 'record 0 of page 0')
    except AlohubError as exc:
        assert exc.msg.startswith('record 0 of page 0 ')
        return
    check_normalised(queue)


@given(json_values)
def test_any_json_is_a_record_or_a_typed_error(value):
    try:
        check_normalised(queue_model.normalise(value))
    except AlohubError:
        pass


@given(st.one_of(st.floats(), st.booleans(), st.text(max_size=12), st.integers(max_value=0), st.none(),
                 st.lists(good_ids, max_size=2)))
def test_an_id_is_never_coerced(value):
    try:
        queue = queue_model.normalise(dict(callinId=value))
    except AlohubError:
        return
    raise AssertionError('%r was taken as the id %r' % (value, queue['id']))


def transport(replies, **settings_overrides):
    settings = dict(api_url='https://gw.example.test/api', api_key=SECRET, auth_header='authorization',
                    tenant_id=None, validate_certs=True, ca_path=None, timeout=30, retries=1, max_retry_wait=1,
                    retry_budget=5)
    settings.update(settings_overrides)
    clock = Clock()
    return Transport(settings, session=FakeSession(replies), sleep=clock.sleep, clock=clock, rng=lambda: 0.5)


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode('utf-8')),
    st.builds(lambda depth: b'[' * depth + b']' * depth, st.sampled_from([1, 30, 1000, 200000])),
    st.sampled_from([b'{"a": NaN}', b'[1e400]', b'-Infinity', b'{"callinId": 1', b'\xff\xfe', b'  ']),
)
statuses = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503, 504, 418])
headers = st.dictionaries(st.sampled_from(['Retry-After', 'X-RateLimit-Remaining-Tenant', 'RateLimit-Reset',
                                           'RateLimit-Limit', 'Location', 'Content-Type']),
                          st.text(max_size=30), max_size=4)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(statuses, bodies, headers, st.sampled_from(['get', 'list', 'put']))
def test_any_answer_is_a_result_or_a_typed_error(status, body, head, verb):
    """One or two answers (a retry) of any status, body and headers, to each of the client's verbs."""
    reply = FakeResponse(status, body, dict((k, v) for k, v in head.items() if v.isprintable()))
    client = QueueClient(transport([reply, reply]))
    try:
        if verb == 'get':
            queue = client.get(7)
            if queue is not None:
                check_normalised(queue)
                assert queue['id'] == 7
        elif verb == 'list':
            for queue in client.list_all().queues:
                check_normalised(queue)
        else:
            client.update(7, {'strategy': 2})
    except AlohubError as exc:
        assert SECRET not in exc.msg and len(exc.msg) < 2000


@settings(max_examples=min(settings.default.max_examples, 150))
@given(st.lists(records, max_size=6), st.integers(min_value=0, max_value=12), st.sampled_from(['merged', 'overridden']))
def test_the_bulk_flow_on_any_list_is_a_result_or_a_typed_error(data, total, state):
    envelope = dict(success='1', totalRecord=total, data=data)
    client = QueueClient(transport([FakeResponse(200, envelope)] * 4))
    try:
        result = reconcile.sync_many(client, state, config=[dict(id=1, strategy='vip'), dict(name='x', max_wait_sec=5)],
                                     check_mode=True)
    except AlohubError:
        return
    json.dumps(result, allow_nan=False)
    assert result['summary']['total'] == 2


@given(st.text(max_size=40) | st.integers() | st.floats() | st.none())
def test_retry_after_is_no_wait_or_a_positive_finite_one(value):
    seconds = parse_retry_after(value, now=1_800_000_000.0)
    assert seconds is None or (math.isfinite(seconds) and seconds > 0)


keys = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=40)


@given(keys, st.text(max_size=30), st.text(max_size=30))
def test_every_form_of_the_key_is_masked(key, before, after):
    raw = key.encode('utf-8')
    forms = [key, quote(key, safe=''), quote_plus(key), base64.b64encode(raw).decode(),
             base64.urlsafe_b64encode(raw).decode().rstrip('=')]
    redact = Redactor(key)
    for form in forms:
        masked = redact(before + form + after)
        assert form not in masked or form in before + after
    data = redact.data(dict(name=before + key + after, items=[key, {'k': quote(key, safe='')}]))
    assert key not in json.dumps(data) or key in before + after


config_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2 ** 60, max_value=2 ** 60) | st.text(max_size=30)
    | st.sampled_from(['0287000000', '{{ lookup("pipe", "id") }}', 'yes', 'null', '~', '1e3', '0x1F', '- a', '#x',
                       'a: b', '!unsafe x', "it's", '"q"', '\\', 'line\nbreak', 'cr\rhere', 'sep\u2028x', '\x85']),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
    max_leaves=15)


def load_as_include_vars(text):
    """Load YAML the way include_vars reads a vars file: on 2.19+ its templates are trusted unless tagged."""
    import inspect
    import tempfile
    with tempfile.NamedTemporaryFile('w', suffix='.yml', encoding='utf-8', delete=False) as handle:
        handle.write(text)
    try:
        loader = DataLoader()
        trusted = 'trusted_as_template' in inspect.signature(loader.load_from_file).parameters
        return loader.load_from_file(handle.name, **(dict(trusted_as_template=True) if trusted else {}))
    finally:
        os.unlink(handle.name)


@given(st.dictionaries(st.sampled_from(['alohub_inbound_queues', 'alohub_plan', 'meta']), config_values, min_size=1),
       st.lists(st.text(max_size=40), max_size=3))
def test_what_is_written_reads_back_as_the_same_data_and_never_as_a_template(data, header):
    text = str(to_inert_yaml(data, header))
    loaded = load_as_include_vars(text)
    assert loaded == data
    assert text.count('\n---') == 0  # the header cannot start another document

    def strings(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, str):
            yield value

    from ansible.utils.unsafe_proxy import AnsibleUnsafe
    try:  # ansible-core 2.19+: data tagging
        from ansible.template import is_trusted_as_template
    except ImportError:
        is_trusted_as_template = None
    for value in strings(loaded):
        # Never templated: marked unsafe (not trusted, on 2.19+), unless it holds no template syntax at all
        # (a string YAML would otherwise read as a number or a boolean, written as a plain quoted one).
        if is_trusted_as_template is not None:
            inert = not is_trusted_as_template(value)
        else:
            inert = isinstance(value, AnsibleUnsafe)
        assert inert or not any(marker in value for marker in ('{{', '{%', '{#')), value
