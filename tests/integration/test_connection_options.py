"""Connection options through ansible-playbook: environment fallbacks,
module_defaults for the action group, both auth headers, tenant_id, URL
prefixes, TLS options, the plain-http warning, and the key never shown.

What the modules sent is read from the simulator's request log, which
records the NAME of the header that carried the key (``auth_header``), the
``X-Tenant-ID`` sent (``tenant_header``, null when none) and the path as
received (with ``/api`` when sent).
"""

import json

import pytest

from conftest import ACME, ACME_KEY, Ansible
from alohub_sim.harness import Simulator
from alohub_test.certs import self_signed

INFO = 'alohub.callcenter.inbound_queue_info'
QUEUE = 'alohub.callcenter.inbound_queue'
QUEUES = 'alohub.callcenter.inbound_queues'
GROUP = 'group/alohub.callcenter.alohub'
BASE = 1001200
TEST_QUEUE = 1001226      # "test": strategy 1, waiting.wav, timeWait "120", nguongRanhRoi null
WRONG_KEY = 'sk_live_wrong_env_K3y9'
LIST_PATH = '/v1/queues/inbound'


def task(title, module, **args):
    return dict(name=title, ignore_errors=True, **{module: args})


def block(title, defaults, tasks):
    """A block with its own module_defaults for the collection's action group."""
    return dict(name=title, module_defaults={GROUP: defaults}, block=tasks)


def item_path(queue_id, prefix=''):
    return '%s%s/%d' % (prefix, LIST_PATH, queue_id)


def warnings_about(result, words):
    return [w for w in result.get('warnings', []) if words in w]


# ---------------------------------------------------------------------------
# An HTTPS simulator with a self-signed certificate (alohub_test.certs).
# ---------------------------------------------------------------------------

@pytest.fixture(scope='module')
def tls_sim(tmp_path_factory):
    cert, key = self_signed(tmp_path_factory.mktemp('tls'))
    with Simulator(tls=(cert, key)) as sim:
        sim.cert = cert
        yield sim


# ---------------------------------------------------------------------------
# Environment variables
# ---------------------------------------------------------------------------

def test_environment_fallbacks(tls_sim, collections_path, tmp_path):
    """No module_defaults, no options in the tasks: every connection option from ALOHUB_* (HTTPS simulator)."""
    tls_sim.reset()
    tls_sim.faults([
        dict(kind='gateway', status=503, path='/%d$' % (BASE + 1)),            # every time: retries decide
        dict(kind='delay', delay_ms=1500, path='/%d$' % (BASE + 2), times=1),  # once: timeout decides
    ])
    ansible = Ansible(tls_sim, collections_path, tmp_path)
    env = dict(
        ALOHUB_API_URL=tls_sim.url + '/api/',
        ALOHUB_API_KEY=ACME_KEY,
        ALOHUB_AUTH_HEADER='x-api-key',
        ALOHUB_TENANT_ID=ACME,
        ALOHUB_TIMEOUT='1',
        ALOHUB_RETRIES='1',
        ALOHUB_VALIDATE_CERTS='false',
    )
    run = ansible.play([
        dict(name='read', **{INFO: dict(id=TEST_QUEUE)}),
        dict(name='bulk check', check_mode=True, **{QUEUES: dict(config=[dict(id=TEST_QUEUE, strategy='vip')])}),
        task('retries from env', INFO, id=BASE + 1),
        task('timeout from env', INFO, id=BASE + 2),
        task('certificate checked, env CA', INFO, id=TEST_QUEUE, validate_certs=True, ca_path=tls_sim.cert),
        task('certificate checked, no CA', INFO, id=TEST_QUEUE, validate_certs=True),
        task('certificate checked, missing CA file', INFO, id=TEST_QUEUE, validate_certs=True, ca_path='/nonexistent/ca.pem'),
    ], defaults=False, env=env)
    tls_sim.reset()
    assert 'Traceback' not in run.output, run.output
    assert ACME_KEY not in run.output

    read = run.result('read')
    assert run.task('read')['status'] == 'ok' and [q['id'] for q in read['queues']] == [TEST_QUEUE]
    assert [(e['path'], e['auth_header'], e['tenant_header'], e['tenant'], e['status']) for e in run.requests('read')] == [
        (item_path(TEST_QUEUE, '/api'), 'X-Api-Key', ACME, ACME, 200)]
    # ALOHUB_VALIDATE_CERTS=false: it worked against a self-signed certificate, and says so.
    assert len(warnings_about(read, 'validate_certs is false')) == 1, read
    bulk = run.result('bulk check')
    assert bulk['changed'] is True and bulk['summary']['changed'] == 1
    assert {(e['auth_header'], e['tenant_header']) for e in run.requests('bulk check')} == {('X-Api-Key', ACME)}
    assert [e['path'] for e in run.requests('bulk check')] == ['/api' + LIST_PATH]

    # ALOHUB_RETRIES=1: two attempts.
    retried = run.result('retries from env')
    assert run.task('retries from env')['status'] == 'failed'
    assert retried['attempts'] == 2 and ' after 2 attempts' in retried['msg'], retried['msg']
    assert [e['status'] for e in run.requests('retries from env')] == [503, 503]
    # ALOHUB_TIMEOUT=1: the 1.5 s answer is given up on, and the retry succeeds.
    timed = run.result('timeout from env')
    assert run.task('timeout from env')['status'] == 'ok' and timed['queues'][0]['id'] == BASE + 2
    assert len(warnings_about(timed, 'no complete answer within timeout (1 s) x1')) == 1, timed
    assert len(run.requests('timeout from env')) == 2

    # Certificates: the self-signed one is accepted with ca_path, refused without; a missing CA file is a clear failure.
    trusted = run.result('certificate checked, env CA')
    assert run.task('certificate checked, env CA')['status'] == 'ok', trusted
    assert not warnings_about(trusted, 'validate_certs'), trusted
    refused = run.result('certificate checked, no CA')
    assert run.task('certificate checked, no CA')['status'] == 'failed'
    assert 'TLS error' in refused['msg'] and 'Hint: set ca_path' in refused['msg'], refused['msg']
    assert run.requests('certificate checked, no CA') == []  # the handshake failed: no request reached the API
    missing = run.result('certificate checked, missing CA file')
    assert run.task('certificate checked, missing CA file')['status'] == 'failed'
    assert 'ca_path' in missing['msg'] and '/nonexistent/ca.pem' in missing['msg'], missing['msg']
    assert 'Traceback' not in json.dumps(missing), missing
    assert run.requests('certificate checked, missing CA file') == []


# ---------------------------------------------------------------------------
# module_defaults, auth headers, tenant_id, URL prefixes, plain-http warning
# ---------------------------------------------------------------------------

def three_modules(label, **options):
    """The same read-only work through each of the three modules (inbound_queue makes no change)."""
    return [
        task('%s: inbound_queue' % label, QUEUE, id=TEST_QUEUE, strategy=1, **options),
        task('%s: inbound_queue_info' % label, INFO, id=TEST_QUEUE, **options),
        task('%s: inbound_queues' % label, QUEUES, state='gathered', **options),
    ]


def test_module_defaults_headers_tenant_and_url_prefix(ansible, sim):
    """Two blocks, two sets of module_defaults for the action group; every module takes them."""
    plain = dict(api_url=sim.url, api_key='{{ key }}')
    other = dict(api_url=sim.url + '/api/', api_key='{{ key }}', auth_header='x-api-key', tenant_id=ACME)
    port = sim.url.rsplit(':', 1)[1]
    run = ansible.play([
        block('plain', plain, three_modules('plain') + [
            task('plain: trailing slash', INFO, id=TEST_QUEUE, api_url=sim.url + '/'),
            task('plain: localhost', INFO, id=TEST_QUEUE, api_url='http://localhost:%s' % port),
            task('plain: not loopback', INFO, id=TEST_QUEUE, api_url='http://192.0.2.1:9', timeout=1, retries=0),
        ]),
        block('other', other, three_modules('other') + [
            task('other: prefix without slash', INFO, id=TEST_QUEUE, api_url=sim.url + '/api'),
            task('other: header overridden', INFO, id=TEST_QUEUE, auth_header='authorization'),
        ]),
    ], defaults=False, vars=dict(key=ACME_KEY))
    assert ACME_KEY not in run.output

    for module in ('inbound_queue', 'inbound_queue_info', 'inbound_queues'):
        for label, header, tenant, prefix in (('plain', 'Authorization', None, ''), ('other', 'X-Api-Key', ACME, '/api')):
            name = '%s: %s' % (label, module)
            assert run.task(name)['status'] == 'ok', (name, run.result(name))
            entries = run.requests(name)
            assert entries and all(e['status'] == 200 for e in entries), (name, entries)
            assert {(e['auth_header'], e['tenant_header'], e['tenant']) for e in entries} == {(header, tenant, ACME)}, name
            path = prefix + (LIST_PATH if module == 'inbound_queues' else item_path(TEST_QUEUE))
            assert [e['path'] for e in entries] == [path], (name, entries)
            assert all(e['user_agent'].startswith('alohub.callcenter (Ansible collection; ansible-core/') for e in entries), entries
    assert run.result('plain: inbound_queue')['changed'] is False
    assert run.result('plain: inbound_queues')['total'] == 42

    for name, path in (('plain: trailing slash', item_path(TEST_QUEUE)), ('plain: localhost', item_path(TEST_QUEUE)),
                       ('other: prefix without slash', item_path(TEST_QUEUE, '/api'))):
        assert run.task(name)['status'] == 'ok', (name, run.result(name))
        assert [e['path'] for e in run.requests(name)] == [path], name
    assert [(e['auth_header'], e['tenant_header']) for e in run.requests('other: header overridden')] == [('Authorization', ACME)]

    # Plain http to loopback (127.0.0.1, localhost) is a local test server: no warning.
    for entry in run.tasks:
        if entry['task'] != 'plain: not loopback':
            assert not warnings_about(entry['result'], 'http://'), entry
    # To any other host the key would travel in clear text: the warning comes before the (failing) request.
    remote = run.result('plain: not loopback')
    assert run.task('plain: not loopback')['status'] == 'failed'
    assert remote['msg'].startswith('GET http://192.0.2.1:9%s failed: ' % item_path(TEST_QUEUE)), remote['msg']
    assert len(warnings_about(remote, 'plain http:// to 192.0.2.1')) == 1, remote
    assert run.requests('plain: not loopback') == []


# ---------------------------------------------------------------------------
# The key never appears
# ---------------------------------------------------------------------------

def test_key_never_appears_at_vvvv(ansible, sim):
    """-vvvv, --diff, check mode and normal mode, success and failure, a server that echoes the key: never the key."""
    sim.faults([
        dict(kind='error', path='/%d$' % (BASE + 1)),
        dict(kind='body', path='/%d$' % (BASE + 2), status=500,
             body=json.dumps(dict(error_code='FAIL', error_message='bad key ' + ACME_KEY))),
        dict(kind='body', path='/%d$' % (BASE + 3), status=401, content_type='text/plain', body='key %s rejected' % ACME_KEY),
        dict(kind='body', path='/%d$' % (BASE + 4), status=401, body='{"message": "key sk_test_\\u0061cme rejected"}'),
    ])
    change = dict(id=TEST_QUEUE, strategy='vip', max_wait_sec=180)
    run = ansible.play([
        block('key from vars', dict(api_url=sim.url, api_key='{{ secret_key }}'), [
            task('read all', INFO),
            dict(name='change, check mode', check_mode=True, **{QUEUE: change}),
            dict(name='change', **{QUEUE: change}),
            dict(name='bulk, check mode', check_mode=True, **{QUEUES: dict(config=[dict(id=BASE + 5, strategy='locked')])}),
            task('500', INFO, id=BASE + 1),
            task('echoed in json', INFO, id=BASE + 2),
            task('echoed in text', INFO, id=BASE + 3),
            task('echoed escaped', INFO, id=BASE + 4),
        ]),
        block('wrong key from env', dict(api_url=sim.url), [
            task('401', INFO, id=TEST_QUEUE),
            dict(name='401, check mode', check_mode=True, ignore_errors=True, **{QUEUE: change}),
        ]),
    ], defaults=False, diff=True, verbosity=4, vars=dict(secret_key=ACME_KEY),
        # ansible-core 2.21 leaves the module's arguments out of results unless asked; ask, so no_log is tested too.
        env=dict(ALOHUB_API_KEY=WRONG_KEY, ANSIBLE_INJECT_INVOCATION='true'))

    # The run did what it should, so the absence of the key means something.
    assert run.result('read all')['total'] == 42
    assert run.result('change, check mode')['changed'] is True and run.result('change')['changed'] is True
    assert run.result('bulk, check mode')['changed'] is True
    assert '--- before: queue %d (test)' % TEST_QUEUE in run.output     # the diff was printed
    assert 'ESTABLISH LOCAL CONNECTION' in run.output                     # -vvvv was in effect
    invocations = [t['result']['invocation']['module_args'] for t in run.tasks if 'invocation' in t['result']]
    assert len(invocations) == len(run.tasks), run.tasks
    assert all(args['api_key'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' for args in invocations), invocations
    for name in ('500', 'echoed in json', 'echoed in text', 'echoed escaped', '401', '401, check mode'):
        assert run.task(name)['status'] == 'failed', name
    for name in ('echoed in json', 'echoed in text', 'echoed escaped'):
        assert '********' in run.result(name)['msg'], run.result(name)['msg']
    assert [(e['auth_header'], e['status'], e['tenant']) for e in run.requests('401')] == [('Authorization', 401, None)]
    assert [e['status'] for e in run.requests('401, check mode')] == [401]
    assert run.requests('change', 'PUT')[0]['body'] == {'strategy': 2, 'max_wait_sec': '180'}

    for secret in (ACME_KEY, WRONG_KEY):
        assert secret not in run.output
        assert secret not in json.dumps(run.tasks)
