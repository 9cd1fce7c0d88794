"""Two ansible-playbook processes writing the same queues at the same time.

Each writer sends only the fields it changes (partial PUTs), so writers that
change different fields of the same queue both land. The API has no ETag or
If-Match, so two writers changing the SAME field race: the last PUT wins. The
verification read after each PUT catches the loser when its read comes after
the winner's PUT; when it comes before, the loser's value is overwritten
later without anyone being told (docs/reliability.md).

The two processes start together behind a barrier (each touches a "ready"
file and waits for a "go" file), and their first reads of the queues they
share meet at a simulator ``rendezvous`` rule: each is held until the other
writer's arrives, so their GET / PUT / GET sequences interleave however late
a busy machine starts one of them (a barrier and slow requests alone did not:
under load one writer's module started seconds after the other's). Each
writer sends its key in a different header, which tells their requests
apart in the simulator's log; their order is the log's ``arrival`` numbers.
"""

import json
import subprocess
import time

import pytest
import yaml

from conftest import ACME, BIN, ACME_KEY

# The HTTP client's behaviour, which no ansible-core line changes: the newest line only (make test).
pytestmark = pytest.mark.line_independent

QUEUE = 'alohub.callcenter.inbound_queue'
QUEUES = 'alohub.callcenter.inbound_queues'
HEADERS = dict(a='authorization', b='x-api-key')
LOG_NAMES = dict(a='Authorization', b='X-Api-Key')
NAMES = {2: 'vip', 3: 'blacklist'}
BULK_IDS = list(range(1001230, 1001236))


def barrier(workdir, writer):
    script = 'touch %s; while [ ! -e %s ]; do sleep 0.02; done' % (workdir / ('ready-' + writer), workdir / 'go')
    return dict(name='wait for the other writer', **{'ansible.builtin.command': dict(argv=['sh', '-c', script])}, changed_when=False)


def meet(method, path):
    """A rule holding the first request of each writer to ``path`` until the other's arrives."""
    return dict(kind='rendezvous', method=method, path=path, count=2, times=2, wait_ms=20000)


def run_writers(ansible, sim, tasks_by_writer, meetings, latency_ms=100):
    """Start one ansible-playbook per writer, release them together; {writer: (rc, output, tasks)}."""
    sim.config(latency_ms=latency_ms)
    sim.faults(meetings)
    sim.clear_requests()
    workdir = ansible.workdir
    for stale in workdir.glob('ready-*'):
        stale.unlink()
    if (workdir / 'go').exists():
        (workdir / 'go').unlink()
    procs = {}
    for writer, tasks in tasks_by_writer.items():
        play = dict(hosts='localhost', connection='local', gather_facts=False,
                    module_defaults={'group/alohub.callcenter.alohub': dict(
                        api_url=sim.url, api_key=ACME_KEY, auth_header=HEADERS[writer])},
                    tasks=[barrier(workdir, writer)] + tasks)
        path = workdir / ('writer-%s.yml' % writer)
        path.write_text(yaml.safe_dump([play], sort_keys=False))
        capture = workdir / ('writer-%s.jsonl' % writer)
        if capture.exists():
            capture.unlink()
        env = ansible.env(dict(ALOHUB_TEST_CAPTURE=str(capture)))
        procs[writer] = (subprocess.Popen(  # pylint: disable=consider-using-with
            [str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(path)], env=env, cwd=str(workdir),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True), capture)
    deadline = time.monotonic() + 120
    while not all((workdir / ('ready-' + w)).exists() for w in procs):
        assert time.monotonic() < deadline, 'the writers never reached the barrier'
        assert all(p.poll() is None for p, dummy in procs.values()), 'a writer died before the barrier'
        time.sleep(0.02)
    (workdir / 'go').touch()
    out = {}
    for writer, (proc, capture) in procs.items():
        output, dummy = proc.communicate(timeout=300)
        tasks = [json.loads(line) for line in capture.read_text().splitlines()] if capture.exists() else []
        out[writer] = (proc.returncode, output, dict((t['task'], t) for t in tasks))
    sim.config(latency_ms=0)
    sim.faults([])
    return out, sim.requests()


def by_writer(requests, writer):
    return [e for e in requests if e['auth_header'] == LOG_NAMES[writer]]


def overlapped(requests):
    a = [e['arrival'] for e in by_writer(requests, 'a')]
    b = [e['arrival'] for e in by_writer(requests, 'b')]
    alone = [e for e in requests if (e.get('fault') or '').startswith('rendezvous (alone')]
    return not alone and a and b and max(a) > min(b) and max(b) > min(a)


def test_writers_of_different_fields_both_land(ansible, sim):
    before = sim.queues(ACME)
    results, requests = run_writers(ansible, sim, dict(
        a=[dict(name='strategy', **{QUEUE: dict(id=1001226, strategy='vip')}),
           dict(name='bulk hold music', **{QUEUES: dict(config=[dict(id=q, moh_file_id='writer-a.wav') for q in BULK_IDS])})],
        b=[dict(name='wait', **{QUEUE: dict(id=1001226, max_wait_sec=999)}),
           dict(name='bulk announce', **{QUEUES: dict(config=[dict(id=q, announce_position=True) for q in BULK_IDS])})],
    ), [meet('GET', '/1001226$'), meet('GET', 'inbound$')])
    for writer, (rc, output, dummy) in results.items():
        assert rc == 0, (writer, output[-3000:])
    assert overlapped(requests), 'the writers did not overlap; the test proved nothing'
    # Each writer's PUTs carried only its own fields.
    for writer, fields in (('a', {'strategy', 'moh_file_id'}), ('b', {'max_wait_sec', 'announce_position'})):
        puts = [e for e in by_writer(requests, writer) if e['method'] == 'PUT']
        assert puts and all(set(e['body']) <= fields for e in puts), (writer, puts)
    after = sim.queues(ACME)
    assert (after[1001226]['strategy'], after[1001226]['timeWait']) == (2, '999')
    for queue in BULK_IDS:
        assert after[queue]['musicinQueue'] == 'writer-a.wav', queue
        assert after[queue]['nguongRanhRoi'] in ('1', 1), queue
    # Nothing else moved.
    touched = [1001226] + BULK_IDS
    assert dict((q, r) for q, r in after.items() if q not in touched) == dict((q, r) for q, r in before.items() if q not in touched)
    for queue in touched:
        for field in ('callinName', 'agentSelector', 'callinNumber'):
            assert after[queue][field] == before[queue][field], (queue, field)


def test_writers_of_the_same_field_last_one_wins(ansible, sim):
    """The race that remains: no ETag/If-Match, so the last PUT wins; the winner always succeeds."""
    # Both first GETs meet, so both writers read the old value before either PUTs.
    results, requests = run_writers(ansible, sim, dict(
        a=[dict(name='strategy', ignore_errors=True, **{QUEUE: dict(id=1001240, strategy='vip')})],
        b=[dict(name='strategy', ignore_errors=True, **{QUEUE: dict(id=1001240, strategy='blacklist')})],
    ), [meet('GET', '/1001240$')], latency_ms=200)
    assert overlapped(requests), 'the writers did not overlap; the test proved nothing'
    final = sim.queues(ACME)[1001240]['strategy']
    assert final in (2, 3)
    winner = 'a' if final == 2 else 'b'
    loser = 'b' if winner == 'a' else 'a'
    puts = sorted((e for e in requests if e['method'] == 'PUT'), key=lambda e: e['arrival'])
    assert len(puts) == 2 and puts[-1]['auth_header'] == LOG_NAMES[winner]   # the last PUT won
    for writer in 'ab':   # both read the old value before either wrote: a real race
        assert min(e['arrival'] for e in by_writer(requests, writer) if e['method'] == 'GET') < puts[0]['arrival']
    assert results[winner][2]['strategy']['status'] == 'ok'
    lost = results[loser][2]['strategy']
    print("same-field race: winner %s, loser %s" % (winner, lost["status"]))
    if lost['status'] == 'failed':
        # The loser's read-back saw the winner's value: the race is reported, naming both values.
        assert 'back shows the server did not apply it: strategy is %d (%s), wanted %d (%s)' % (
            final, NAMES[final], 5 - final, NAMES[5 - final]) in lost['result']['msg']
        assert lost['result']['changed'] is True  # its PUT was accepted: it changed something, then lost the race
    else:
        # The loser read back before the winner's PUT landed: it succeeded and was overwritten afterwards.
        loser_reads = [e for e in by_writer(requests, loser) if e['method'] == 'GET']
        assert loser_reads[-1]['arrival'] < puts[-1]['arrival']
