"""The API key never appears in any output, whatever happens.

Every run is at -vvvv with --diff; one run gives the key through the
ALOHUB_API_KEY environment variable, the other through play vars (never
inline in a task: Ansible quotes a failing task's source lines, and a key
written there is the playbook author's own leak). Each run covers success,
check mode, reruns, validation failures, HTTP failures, a server that echoes
the key back, retries, an exhausted budget, and the bulk module. Everything
is searched: stdout, stderr, and every captured task result, for the key as
is, URL-quoted and base64-encoded.
"""

import base64
import json
from urllib.parse import quote

from alohub_test.hostplay import play_on_hosts

QUEUE = 'alohub.callcenter.inbound_queue'
INFO = 'alohub.callcenter.inbound_queue_info'
QUEUES = 'alohub.callcenter.inbound_queues'
TENANT = '77000001'
SECRET = 'sk_live_Zq8vN3xR7tW2pK9m-secret'
WRONG = 'sk_live_Wr0ngB4dK3y5678-other'
FIRST = 70000000
# ansible-core 2.21 leaves module arguments out of results unless asked: ask, so that no_log is searched too.
INVOCATION = dict(ANSIBLE_INJECT_INVOCATION='true')


def forms(secret):
    return (secret, quote(secret, safe=''), base64.b64encode(secret.encode()).decode(),
            base64.b64encode(('x:' + secret).encode()).decode())


def leaks(run):
    """(where, form) for every place a secret shows up."""
    found = []
    texts = dict(stdout=run.stdout, stderr=run.stderr, results=json.dumps(run.tasks, ensure_ascii=False))
    for secret in (SECRET, WRONG):
        for form in forms(secret):
            for where, text in texts.items():
                if form in text:
                    found.append((where, form))
    return found


def tasks(label):
    """The same scenarios for each way of giving the key."""
    over = {}

    def t(title, module, **args):
        args.update(over if 'api_key' not in args else {})
        return dict(name='%s %s' % (label, title), ignore_errors=True, diff=True, **{module: args})

    def q(number):
        return FIRST + number

    return {
        'a': [
            t('change', QUEUE, id=q(1), strategy='vip', max_wait_sec=33),
            t('rerun', QUEUE, id=q(1), strategy='vip', max_wait_sec=33),
            dict(t('check', QUEUE, id=q(2), announce_position=True), check_mode=True),
            t('by name', QUEUE, name='queue-00004', moh_file_id='secret-test.wav'),
            t('info', INFO),
            t('retried', QUEUE, id=q(5), strategy=3, retries=3, max_retry_wait=0),
        ],
        'b': [
            t('validation', QUEUE, id=q(1), strategy='turbo'),
            t('validation bulk', QUEUES, config=[dict(id=q(1), strategy=1), dict(id=q(2), max_wait_sec=-1)]),
            t('key with CR/LF', QUEUE, id=q(1), strategy=1, api_key='{{ key_crlf }}'),
            t('key with a blank', INFO, api_key='{{ key_blank }}'),
            t('wrong key', INFO, id=q(1), api_key='{{ wrong_key }}'),
            t('wrong key bulk', QUEUES, state='gathered', api_key='{{ wrong_key }}'),
        ],
        'c': [
            t('server echoes the key', INFO, id=q(6)),
            t('server echoes it escaped', QUEUE, id=q(7), strategy=2),
            t('budget runs out', QUEUE, id=q(8), strategy=2, retries=1, max_retry_wait=0),
            t('bulk', QUEUES, config=[dict(id=q(9), strategy=4), dict(id=q(10), max_wait_sec=7), dict(id=9999, strategy=1)]),
            dict(t('bulk check', QUEUES, config=[dict(id=q(11), strategy=4), dict(name='queue-00013', max_wait_sec=8)]),
                 check_mode=True),
            t('gathered', QUEUES, state='gathered'),
        ],
    }


def setup(sim):
    sim.reset(tenants={TENANT: dict(keys={SECRET: ['queue']}, queues=20, first_id=FIRST)})
    escaped = SECRET.replace('_', '\\u005f')  # the key, JSON-escaped: a redaction of the raw text would miss it
    sim.faults([
        dict(kind='rate_limit', path='/%d$' % (FIRST + 5), retry_after=0, times=2),
        dict(kind='error', path='/%d$' % (FIRST + 6), status=401, error_code='UNAUTHORIZED',
             error_message='Invalid API key %s for tenant %s' % (SECRET, TENANT)),
        dict(kind='body', method='PUT', path='/%d$' % (FIRST + 7), status=400,
             body='{"success": "0", "error_code": "INVALID_INPUT", "error_message": "key %s rejected"}' % escaped),
        dict(kind='gateway', path='/%d$' % (FIRST + 8), status=503, format='text'),
    ])


def check_run(run, label):
    assert 'Traceback' not in run.output
    assert leaks(run) == [], leaks(run)
    # The run did what it was meant to, so the search above means something.
    status = dict((t['task'].split(' ', 1)[1], t['status']) for t in run.tasks if t['task'].startswith(label + ' '))
    for name in ('change', 'rerun', 'check', 'by name', 'info', 'retried', 'bulk check', 'gathered'):
        assert status.get(name, 'ok') == 'ok', (name, run.task('%s %s' % (label, name))['result'].get('msg'))
    for name in ('validation', 'validation bulk', 'key with CR/LF', 'key with a blank', 'wrong key', 'wrong key bulk',
                 'server echoes the key', 'server echoes it escaped', 'budget runs out', 'bulk'):
        assert status.get(name, 'failed') == 'failed', name
    echoed = run.result('%s server echoes the key' % label)['msg']
    assert 'HTTP 401 UNAUTHORIZED (Invalid API key ********' in echoed, echoed
    if 'server echoes it escaped' in status:
        assert 'key ******** rejected' in run.result('%s server echoes it escaped' % label)['msg']
    if 'retried' in status:
        assert any('retr' in w for w in run.result('%s retried' % label).get('warnings', []))
    # Every result carries the module's arguments (ANSIBLE_INJECT_INVOCATION); the key only as Ansible's mask.
    invocations = [t['result']['invocation']['module_args'] for t in run.tasks if 'invocation' in t['result']]
    assert len(invocations) >= len(status) - 2, (len(invocations), len(status))
    assert all(args['api_key'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' for args in invocations if 'api_key' in args)
    assert '"changed": true' in run.stdout and 'before' in run.stdout  # the diff was printed


def test_key_from_the_environment(ansible, sim):
    setup(sim)
    run = play_on_hosts(ansible, tasks('env'), defaults=dict(api_url=sim.url), env=dict(ALOHUB_API_KEY=SECRET, **INVOCATION),
                        diff=True, verbosity=4,
                        play_vars=dict(key_crlf=SECRET + '\r\n', key_blank=' ' + SECRET, wrong_key=WRONG))
    check_run(run, 'env')


# The play-vars run repeats a sample of the scenarios: the key's way in is what differs.
VARS_SAMPLE = ('change', 'check', 'info', 'validation', 'key with CR/LF', 'wrong key', 'server echoes the key',
               'budget runs out', 'bulk', 'bulk check')


def test_key_from_play_vars(ansible, sim):
    setup(sim)
    sample = dict((host, [t for t in host_tasks if t['name'].split(' ', 1)[1] in VARS_SAMPLE])
                  for host, host_tasks in tasks('vars').items())
    run = play_on_hosts(ansible, sample, defaults=dict(api_url=sim.url, api_key='{{ alohub_key }}'),
                        diff=True, verbosity=4, env=INVOCATION,
                        play_vars=dict(alohub_key=SECRET, key_crlf=SECRET + '\r\n', key_blank=' ' + SECRET, wrong_key=WRONG))
    check_run(run, 'vars')
