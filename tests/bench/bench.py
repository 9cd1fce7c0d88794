"""Benchmark: reconcile N inbound queues three ways against the simulator.

    python tests/bench/bench.py                      # the full run (tens of minutes), writes docs/benchmark.{md,png}
    python tests/bench/bench.py --quick              # a smoke run (about a minute), writes tests/output/bench/

The three ways (playbooks in tests/bench/playbooks/):

* ``uri``    - ansible.builtin.uri: GET every queue, then a conditional PUT of the differing fields;
* ``module`` - alohub.callcenter.inbound_queue in a loop (GET, PUT when it differs, GET to verify);
* ``bulk``   - alohub.callcenter.inbound_queues in one task (list pages, PUT the changed, verify).

For every N and drift, the simulator is reset to the same generated tenant and each approach gets
the same desired file. Measured per run: wall time of the ansible-playbook process, API requests
and 429s (the simulator's request log), peak RSS of the module processes (an interpreter wrapper
records each module process's max RSS) and of the ansible-playbook process tree. After every run
the server state is checked against the desired state, and after a bulk run the bulk playbook is
run again and must make no PUT.

Run it with the Python of a venv that has ansible-core and requests (``make bench`` uses .venv).
The PNG needs matplotlib: when it is missing and the script runs inside a venv, it installs
tests/bench/requirements.txt into that venv (``--no-install`` turns that off and skips the PNG).
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

try:
    from alohub_sim.harness import Simulator
except ImportError as exc:  # run outside make: say what is missing instead of a bare traceback
    raise SystemExit('bench: %s; run it through `make bench`, or put tests/simulator on PYTHONPATH' % exc) from exc

TENANT = '90000001'
API_KEY = 'sk_bench'
FIRST_ID = 5000000
APPROACHES = ('uri', 'module', 'bulk')
LOOPS = ('uri', 'module')
NAMES = {
    'uri': 'uri loop',
    'module': 'inbound_queue loop',
    'bulk': 'inbound_queues',
}
PLAYBOOKS = {
    'uri': HERE / 'playbooks' / 'uri_loop.yml',
    'module': HERE / 'playbooks' / 'module_loop.yml',
    'bulk': HERE / 'playbooks' / 'bulk.yml',
}
BULK_PAGE_REQUEST = 100      # the page size plugins/module_utils/client.py asks for
MODULE_MEMORY_TARGET_MB = 150
HANDFUL_OF_429 = 5

# The generated tenant: every setting the benchmark compares is set, so "differs" is unambiguous.
STRATEGY_CYCLE = (1, 2, 1, 3, 1, 4, 99)
WAIT_CYCLE = (120, 60, 300, 45, 180, 90)
MUSIC_CYCLE = ('waiting.wav', 'jazz.mp3', 'default')


# ---------------------------------------------------------------------------
# Tenant and desired state
# ---------------------------------------------------------------------------

def server_records(count):
    """The raw API records the simulator starts from."""
    return [dict(
        callinId=FIRST_ID + index,
        callinName='queue-%05d' % (index + 1),
        strategy=STRATEGY_CYCLE[index % len(STRATEGY_CYCLE)],
        musicinQueue=MUSIC_CYCLE[index % len(MUSIC_CYCLE)],
        timeWait=str(WAIT_CYCLE[index % len(WAIT_CYCLE)]),
        agentSelector=None,
        nguongRanhRoi=('0', '1')[index % 2],
        callinNumber='0287%06d' % index if index % 3 == 0 else None,
    ) for index in range(count)]


def drifted_indices(count, percent):
    """``percent`` % of ``count`` queues, spread evenly (10 % = every tenth queue)."""
    return [index for index in range(count)
            if (index + 1) * percent // 100 > index * percent // 100]


def desired_state(records, drifted):
    """The desired file: every queue's strategy and max_wait_sec; the drifted ones differ in both."""
    drifted = set(drifted)
    queues = []
    for index, record in enumerate(records):
        strategy = record['strategy']
        wait = int(record['timeWait'])
        if index in drifted:
            strategy = 2 if strategy != 2 else 1
            wait += 30
        queues.append(dict(id=record['callinId'], strategy=strategy, max_wait_sec=wait))
    return queues


def check_converged(sim, records, desired):
    """Problems with the server state after a run: a wanted setting missing, or another field touched."""
    now = sim.queues(TENANT)
    problems = []
    for record, want in zip(records, desired):
        got = now.get(record['callinId'])
        if got is None:
            problems.append('queue %d disappeared' % record['callinId'])
            continue
        if got.get('strategy') != want['strategy'] or str(got.get('timeWait')) != str(want['max_wait_sec']):
            problems.append('queue %d: strategy %r timeWait %r, wanted %r %r' % (
                record['callinId'], got.get('strategy'), got.get('timeWait'), want['strategy'], want['max_wait_sec']))
        for field in ('callinName', 'musicinQueue', 'agentSelector', 'nguongRanhRoi', 'callinNumber'):
            if got.get(field) != record[field]:
                problems.append('queue %d: %s changed from %r to %r' % (record['callinId'], field, record[field], got.get(field)))
    return problems


def bulk_minimum(count, changed, page_size_cap):
    """Requests the bulk module needs: list pages + changed PUTs + verification (GET each or re-list)."""
    per_page = min(BULK_PAGE_REQUEST, page_size_cap) if page_size_cap else BULK_PAGE_REQUEST
    pages = max(1, math.ceil(count / float(per_page)))  # reading stops once totalRecord queues were seen
    verify = min(changed, pages) if changed else 0
    return pages, pages + changed + verify


# ---------------------------------------------------------------------------
# Running ansible-playbook
# ---------------------------------------------------------------------------

WRAPPER = '''#!{python} -IS
# Interpreter wrapper written by tests/bench/bench.py: runs the real interpreter and
# appends the peak RSS (KiB) of that process (and anything it waited for) and its wall time to a file.
import os, sys, time
REAL = {python!r}
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execv(REAL, [REAL] + sys.argv[1:])
    finally:
        os._exit(127)
dummy, status, usage = os.wait4(pid, 0)
with open({log!r}, 'a') as handle:
    handle.write('%d %.3f %s\\n' % (usage.ru_maxrss, time.monotonic() - start,
                                   os.path.basename(sys.argv[-1]) if len(sys.argv) > 1 else '-'))
sys.exit(os.waitstatus_to_exitcode(status))
'''


class Ansible:
    """ansible-playbook with the collection linked in a temporary tree and a memory-recording interpreter."""

    def __init__(self, workdir, api_url, bulk_parallel=None):
        self.workdir = Path(workdir)
        self.playbook_bin = Path(sys.executable).parent / 'ansible-playbook'
        if not self.playbook_bin.exists():
            raise SystemExit('bench: %s not found; run this script with the Python of a venv that has ansible-core'
                             % self.playbook_bin)
        link = self.workdir / 'collections' / 'ansible_collections' / 'alohub' / 'callcenter'
        link.parent.mkdir(parents=True)
        link.symlink_to(REPO, target_is_directory=True)
        self.rss_log = self.workdir / 'module-rss.log'
        self.interpreter = self.workdir / 'bin' / 'python3'
        self.interpreter.parent.mkdir()
        self.interpreter.write_text(WRAPPER.format(python=sys.executable, log=str(self.rss_log)), encoding='utf-8')
        self.interpreter.chmod(0o755)
        self.inventory = self.workdir / 'inventory.ini'
        self.inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % self.interpreter,
                                  encoding='utf-8')
        self.connection = self.workdir / 'connection.json'
        connection = dict(bench_api_url=api_url, bench_api_key=API_KEY)
        if bulk_parallel:
            connection['bench_parallel'] = bulk_parallel
        self.connection.write_text(json.dumps(connection), encoding='utf-8')
        self.desired = self.workdir / 'desired.json'
        self.logs = self.workdir / 'logs'
        self.logs.mkdir()
        self.config = self.workdir / 'ansible.cfg'  # an empty one: no ansible.cfg of the caller applies
        self.config.write_text('[defaults]\n', encoding='utf-8')
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'ALOHUB_')))
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(link.parents[2]),
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
            ANSIBLE_INVENTORY=str(self.inventory),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / 'ansible-local'),
            ANSIBLE_REMOTE_TEMP=str(self.workdir / 'ansible-remote'),
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_RETRY_FILES_ENABLED='false',
            ANSIBLE_LOCALHOST_WARNING='false',
            ANSIBLE_CONFIG=str(self.config),
            PATH=str(self.playbook_bin.parent) + os.pathsep + env.get('PATH', ''),
        )
        self.env = env
        self.count = 0

    def write_desired(self, queues):
        self.desired.write_text(json.dumps(dict(queues=queues)), encoding='utf-8')

    def run(self, approach, tag):
        """Run one playbook; wall time, exit code, peak RSS of module processes and of the whole tree."""
        self.count += 1
        self.rss_log.write_text('', encoding='utf-8')
        log_path = self.logs / ('%03d-%s-%s.log' % (self.count, approach, tag))
        cmd = [str(self.playbook_bin), str(PLAYBOOKS[approach]), '-e', '@%s' % self.desired, '-e', '@%s' % self.connection]
        load_before = os.getloadavg()[0]
        with open(log_path, 'wb') as log:
            start = time.monotonic()
            proc = subprocess.Popen(cmd, cwd=str(self.workdir), env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            dummy, status, usage = os.wait4(proc.pid, 0)
            wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rows = [line.split() for line in self.rss_log.read_text(encoding='utf-8').splitlines() if line.strip()]
        module_rss = [int(row[0]) for row in rows]
        return dict(
            wall=wall, rc=proc.returncode, log=str(log_path), load=(load_before, os.getloadavg()[0]),
            tree_rss_mb=usage.ru_maxrss / 1024.0,
            module_rss_mb=(max(module_rss) / 1024.0) if module_rss else None,
            module_processes=len(module_rss),
            module_seconds=sum(float(row[1]) for row in rows),
        )


def tail(path, lines=30):
    try:
        return '\n'.join(Path(path).read_text(encoding='utf-8', errors='replace').splitlines()[-lines:])
    except OSError:
        return ''


# ---------------------------------------------------------------------------
# One measurement
# ---------------------------------------------------------------------------

def count_requests(entries):
    api = [e for e in entries if e.get('path', '').split('?')[0].rstrip('/').split('/')[-1] != '_sim']
    stats = dict(requests=len(api), r429=sum(1 for e in api if e.get('status') == 429))
    stats['lists'] = sum(1 for e in api if e['method'] == 'GET' and e['path'].split('?')[0].rstrip('/').endswith('/inbound'))
    stats['gets'] = sum(1 for e in api if e['method'] == 'GET') - stats['lists']
    stats['puts'] = sum(1 for e in api if e['method'] == 'PUT')
    stats['puts_ok'] = sum(1 for e in api if e['method'] == 'PUT' and e.get('status') == 200)
    stats['other_errors'] = sum(1 for e in api if e.get('status') not in (200, 429))
    if api:
        stats['first_ts'] = min(e['ts'] for e in api)
        stats['last_ts'] = max(e['ts'] for e in api)
    return stats


def prepare(sim, ansible, count, drift, sim_config):
    """Reset the simulator to the generated tenant and write the desired file; (records, desired, changed)."""
    records = server_records(count)
    sim.reset({TENANT: dict(keys={API_KEY: ['queue']}, queues=records)})
    sim.config(**sim_config)  # also restarts the rate-limit counters
    drifted = drifted_indices(count, drift)
    desired = desired_state(records, drifted)
    ansible.write_desired(desired)
    sim.clear_requests()
    return records, desired, len(drifted)


def median_run(runs):
    """The run with the median wall time; every run's time is kept in ``walls``, every run's problems too."""
    ordered = sorted(runs, key=lambda r: r['wall'])
    chosen = dict(ordered[len(ordered) // 2])
    chosen['walls'] = [r['wall'] for r in runs]
    chosen['problems'] = [problem for r in runs for problem in r['problems']]
    return chosen


def round_trip_ms(sim, samples=20):
    """Median time of one keep-alive GET of one queue with no added latency: the simulator's own cost per request."""
    sim.reset({TENANT: dict(keys={API_KEY: ['queue']}, queues=server_records(1))})
    sim.config(latency_ms=0, tenant_limit=0, route_limit=0)
    conn = sim.connection()
    times = []
    try:
        for dummy in range(samples + 1):
            start = time.monotonic()
            conn.request('GET', '/v1/queues/inbound/%d' % FIRST_ID, headers={'Authorization': API_KEY})
            conn.getresponse().read()
            times.append((time.monotonic() - start) * 1000.0)
    finally:
        conn.close()
    times = sorted(times[1:])
    return times[len(times) // 2]


def measure(sim, ansible, approach, count, drift, sim_config, scenario):
    records, desired, changed = prepare(sim, ansible, count, drift, sim_config)
    tag = '%s-n%d-d%d' % (scenario, count, drift)
    print('  %-18s N=%-5d drift=%3d%% ... ' % (NAMES[approach], count, drift), end='', flush=True)
    result = ansible.run(approach, tag)
    stats = count_requests(sim.requests(clear=True))
    result.update(stats)
    result.update(approach=approach, n=count, drift=drift, changed=changed, scenario=scenario)
    result['problems'] = check_converged(sim, records, desired) if result['rc'] == 0 else ['ansible-playbook exited %d' % result['rc']]
    pages, minimum = bulk_minimum(count, changed, sim_config.get('page_size_cap', 50))
    result['bulk_minimum'] = minimum
    result['pages'] = pages
    if approach == 'bulk' and result['rc'] == 0:
        rerun = ansible.run('bulk', tag + '-rerun')
        rstats = count_requests(sim.requests(clear=True))
        result['rerun'] = dict(wall=rerun['wall'], rc=rerun['rc'], requests=rstats['requests'], puts=rstats['puts'],
                               changed_in_recap='changed=0' not in tail(rerun['log'], 5))
        if rerun['rc'] != 0 or rstats['puts'] or result['rerun']['changed_in_recap']:
            result['problems'].append('rerun of the bulk module was not a no-op: rc %d, %d PUT(s)' % (rerun['rc'], rstats['puts']))
    print('%7.1f s  %5d req  %3d x429  module %s MB%s' % (
        result['wall'], result['requests'], result['r429'],
        '%.0f' % result['module_rss_mb'] if result['module_rss_mb'] else '?',
        '' if not result['problems'] else '  PROBLEM: %s' % '; '.join(result['problems'][:3])), flush=True)
    if result['problems']:
        print(tail(result['log']), flush=True)
    return result


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def parse_rate(text):
    """'100/10' -> (100, 10.0): requests per window seconds."""
    try:
        limit, window = text.split('/')
        limit, window = int(limit), float(window)
    except ValueError:
        raise argparse.ArgumentTypeError('expected LIMIT/WINDOW_SECONDS, e.g. 100/10; got %r' % text)
    if limit < 0 or window <= 0:
        raise argparse.ArgumentTypeError('limit must be >= 0 and window > 0; got %r' % text)
    return limit, window


def int_list(text):
    try:
        values = [int(v) for v in text.split(',') if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError('expected comma-separated integers; got %r' % text)
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError('expected positive integers; got %r' % text)
    return values


def floor_seconds(requests, rate):
    limit, window = rate
    if not limit:
        return None
    return requests / float(limit) * window


def fmt_time(seconds):
    if seconds is None:
        return '-'
    if seconds >= 120:
        return '%.0f s (%.1f min)' % (seconds, seconds / 60.0)
    return '%.1f s' % seconds


def fmt_wall(result):
    walls = result.get('walls') or []
    if len(walls) < 2:
        return fmt_time(result['wall'])
    return '%s (median of %s)' % (fmt_time(result['wall']), ', '.join('%.1f' % w for w in walls))


def fmt_mb(value):
    return '-' if value is None else '%.0f' % value


def estimate_loop(results, approach, count, drift):
    """Linear extrapolation of a skipped loop run from the largest measured one (same drift)."""
    done = [r for r in results if r['approach'] == approach and r['drift'] == drift and r['scenario'] == 'main'
            and r['rc'] == 0]
    if not done:
        return None
    base = max(done, key=lambda r: r['n'])
    return base['wall'] * count / float(base['n'])


def build_report(args, results, skipped, machine, elapsed):
    main = [r for r in results if r['scenario'] == 'main']
    bind = [r for r in results if r['scenario'] == 'binding']
    by_key = dict(((r['approach'], r['n'], r['drift']), r) for r in main)
    out = []
    out.append('# Benchmark: reconciling N queues three ways')
    out.append('')
    out.append('Generated by `tests/bench/bench.py` (`make bench`) on %s; the whole run took %s.'
               % (machine['date'], fmt_time(elapsed)))
    out.append('Re-run it with `make bench`, or `python tests/bench/bench.py --help` for the options.')
    out.append('')
    out.append('## What is compared')
    out.append('')
    out.append('Each approach brings the same tenant (reset before every run) to the same desired file '
               '(`strategy` and `max_wait_sec` of every queue; the drifted queues differ in both):')
    out.append('')
    out.append('- **uri loop**: `ansible.builtin.uri` GET of every queue, then a PUT of only the differing fields, '
               '`when:` something differs (`tests/bench/playbooks/uri_loop.yml`). What a user writes without this collection.')
    out.append('- **inbound_queue loop**: `alohub.callcenter.inbound_queue` with `loop:` (GET, PUT when it differs, '
               'GET to verify) (`tests/bench/playbooks/module_loop.yml`).')
    out.append('- **inbound_queues**: `alohub.callcenter.inbound_queues` in one task (list pages, PUT only the '
               'changed queues with %s, verify) (`tests/bench/playbooks/bulk.yml`).'
               % ('`parallel: %d`' % args.bulk_parallel if args.bulk_parallel else 'the default `parallel: 4`'))
    out.append('')
    out.append('Setup: simulator latency %d ms per request, page size cap %d, rate limit %s (the simulator\'s default) '
               'for the main table; Ansible defaults (linear strategy, no pipelining), one host, `connection: local`.'
               % (args.latency_ms, args.page_size_cap, describe_rate(args.base_rate)))
    out.append('')
    trip = machine.get('round_trip_ms')
    if trip is not None:
        out.append('%s: one keep-alive GET against the simulator with no added latency takes '
                   '%.1f ms (median of 20), so each request really costs about %.0f ms.%s' % (
                       machine.get('round_trip_when', 'Measured before the runs'), trip, trip + args.latency_ms,
                       ' That is far more than a local HTTP exchange (about 1 ms): the simulator answers with the '
                       'headers and the body in two writes and leaves Nagle\'s algorithm on, so each body waits for '
                       'the client\'s delayed ACK (40 ms on Linux). Every approach pays it on every request; the bulk '
                       'module, whose time is mostly requests, pays relatively most.' if trip > 20 else ''))
        out.append('')
    out.append('Columns:')
    out.append('')
    out.append('- **time**: wall time of the `ansible-playbook` process, start-up included%s.' % (
        '; for inbound_queues in the main table the median of %d runs, each from a fresh reset (the other columns '
        'come from that run): a run takes seconds, so one hiccup of the shared machine would double it' % args.bulk_repeat
        if args.bulk_repeat > 1 else ''))
    out.append('- **in modules**: wall time spent inside module processes, summed (one process per loop item); the rest '
               'of **time** is the controller: start-up, templating, handling results.')
    out.append('- **API phase**: first to last API request of the run in the simulator\'s log.')
    out.append('- **requests**, **429s**: from the simulator\'s request log (GET list = list pages, GET = one queue).')
    out.append('- **floor**: requests made (429s excluded) / rate limit: the least time the gateway allows for them.')
    out.append('- **module MB**: the largest peak RSS of any module process. `ansible_python_interpreter` is a small '
               'wrapper that runs the real interpreter and records its `ru_maxrss`; it adds about 15 ms to every module '
               'run, the same for all approaches.')
    out.append('- **tree MB**: the largest peak RSS of any process of the ansible-playbook tree (`wait4` on '
               'ansible-playbook: the controller, its workers and the modules).')
    out.append('- **load**: the higher of the 1-minute load averages at the start and end of the run (2 cores; other '
               'jobs shared the machine, and a loop\'s time grows with the load).')
    out.append('- **converged**: after every run the server state is compared with the desired state, and the fields '
               'not managed must be untouched; after every bulk run the bulk playbook runs again and must make no PUT.')
    out.append('')
    out.append('## Results')
    out.append('')
    out.append('| N | drift | approach | time | in modules | API phase | requests (GET list/GET/PUT) | 429s | floor | module MB | tree MB '
               '| load | converged |')
    out.append('|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|')
    for count in args.sizes:
        for drift in args.drift:
            for approach in args.approaches:
                r = by_key.get((approach, count, drift))
                if r is None:
                    est = estimate_loop(results, approach, count, drift)
                    out.append('| %d | %d %% | %s | skipped%s | - | - | - | - | - | - | - | - | - |' % (
                        count, drift, NAMES[approach], ' (est. %s)' % fmt_time(est) if est else ''))
                    continue
                floor = floor_seconds(r['requests'] - r['r429'], args.base_rate)
                out.append('| %d | %d %% | %s | %s | %s | %s | %d (%d/%d/%d) | %d | %s | %s | %s | %.1f | %s |' % (
                    count, drift, NAMES[approach], fmt_wall(r), fmt_time(r.get('module_seconds')),
                    fmt_time(api_span(r)), r['requests'], r['lists'],
                    r['gets'], r['puts'], r['r429'], fmt_time(floor), fmt_mb(r['module_rss_mb']), fmt_mb(r['tree_rss_mb']),
                    max(r['load']),
                    'yes' if not r['problems'] else 'NO: ' + '; '.join(r['problems'][:2])))
    out.append('')
    if skipped:
        out.append('Skipped: %s. Loops above N = %d are not run (`--loop-max`): a loop costs one module run per item '
                   '(%s in this run), so they would take far more than a few minutes; the estimate scales the largest '
                   'measured loop run linearly.' % ('; '.join(skipped), args.loop_max, per_item(main)))
        out.append('')
    out.append('Rerun of the bulk module with nothing to change (must make no PUT):')
    out.append('')
    out.append('| N | drift | time | requests | PUTs |')
    out.append('|---:|---:|---:|---:|---:|')
    for r in main:
        if r['approach'] == 'bulk' and r.get('rerun'):
            rerun = r['rerun']
            out.append('| %d | %d %% | %s | %d | %d |' % (r['n'], r['drift'], fmt_time(rerun['wall']), rerun['requests'], rerun['puts']))
    out.append('')
    out.append('## Ratios (time of the loop / time of inbound_queues; requests likewise)')
    out.append('')
    out.append('| N | drift | uri loop / bulk: time | requests | inbound_queue loop / bulk: time | requests |')
    out.append('|---:|---:|---:|---:|---:|---:|')
    for count in args.sizes:
        for drift in args.drift:
            bulk = by_key.get(('bulk', count, drift))
            if bulk is None:
                continue
            cells = []
            for approach in LOOPS:
                r = by_key.get((approach, count, drift))
                if r is None:
                    est = estimate_loop(results, approach, count, drift)
                    cells += ['~%.0fx (est.)' % (est / bulk['wall']) if est else '-', '-']
                else:
                    cells += ['%.1fx' % (r['wall'] / bulk['wall']), '%.1fx' % (r['requests'] / float(max(1, bulk['requests'])))]
            out.append('| %d | %d %% | %s |' % (count, drift, ' | '.join(cells)))
    out.append('')
    if bind:
        out.append('## With a rate limit that binds')
        out.append('')
        out.append('Rate limit %s per tenant (route limit off), latency %d ms. floor = requests made (429s excluded) '
                   '/ rate limit. The bulk module paces itself from the rate-limit headers.'
                   % (describe_rate(args.rate_limit), args.latency_ms))
        out.append('')
        out.append('| N | drift | approach | time | requests | 429s | floor | time / floor | API phase | API phase / floor | converged |')
        out.append('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|')
        for r in bind:
            floor = floor_seconds(r['requests'] - r['r429'], args.rate_limit)
            span = api_span(r)
            out.append('| %d | %d %% | %s | %s | %d | %d | %s | %s | %s | %s | %s |' % (
                r['n'], r['drift'], NAMES[r['approach']], fmt_time(r['wall']), r['requests'], r['r429'], fmt_time(floor),
                '%.2f' % (r['wall'] / floor) if floor else '-', fmt_time(span),
                '%.2f' % (span / floor) if floor and span is not None else '-',
                'yes' if not r['problems'] else 'NO: ' + '; '.join(r['problems'][:2])))
        out.append('')
        out.append('API phase = from the first to the last API request of the run in the simulator\'s log: the time '
                   'the pacing controls, without Ansible\'s start-up. The windows are fixed and aligned to the clock, '
                   'so a run that starts late in a window gets that window\'s full budget early, and can come in '
                   'under the floor.')
        out.append('')
        out.append('The loops are only run at N <= %d here: they make requests more slowly than the limit allows, so '
                   'the limit does not bind for them (their time is the same as without it).' % args.bind_loop_max)
        out.append('')
    out.append('## Targets')
    out.append('')
    out.append('| target | measured | met |')
    out.append('|---|---|---|')
    for row in check_targets(args, results):
        out.append('| %s | %s | %s |' % row)
    out.append('')
    out.append('## Machine')
    out.append('')
    for key in ('commit', 'cpu', 'cores', 'memory', 'os', 'python', 'ansible'):
        out.append('- %s: %s' % (key, machine[key]))
    out.append('- 1-minute load average at the start and end of the runs: %s (other jobs shared the machine; '
               'the loops\' times grow with it, the bulk module\'s much less)' % load_range(results))
    out.append('')
    out.append('![time against N](benchmark.png)' if args.png else '')
    out.append('')
    return '\n'.join(out)


def per_item(results):
    """'0.9 to 1.4 s per loop item': module runs are N for the module loop, N GETs + the changed PUTs for the uri loop."""
    rates = []
    for r in results:
        if r['approach'] in LOOPS and r['rc'] == 0:
            items = r['n'] + (r['changed'] if r['approach'] == 'uri' else 0)
            rates.append(r['wall'] / float(items))
    if not rates:
        return 'not measured'
    return '%.2f to %.2f s per loop item' % (min(rates), max(rates))


def api_span(result):
    if 'first_ts' not in result:
        return None
    return result['last_ts'] - result['first_ts']


def load_range(results):
    loads = [value for r in results for value in r.get('load', ())]
    if not loads:
        return '?'
    return '%.1f to %.1f' % (min(loads), max(loads))


def describe_rate(rate):
    limit, window = rate
    if not limit:
        return 'none'
    return '%d requests / %g s (%g req/s)' % (limit, window, limit / window)


def check_targets(args, results):
    """(target, measured, met) rows."""
    rows = []
    main = dict(((r['approach'], r['n'], r['drift']), r) for r in results if r['scenario'] == 'main')
    for count, factor in ((50, 10), (500, 50)):
        for drift in args.drift:
            bulk = main.get(('bulk', count, drift))
            if bulk is None:
                continue
            for approach in LOOPS:
                loop = main.get((approach, count, drift))
                if loop is None:
                    continue
                ratio = loop['wall'] / bulk['wall']
                rows.append(('inbound_queues >= %dx faster than the %s, N = %d, drift %d %%' % (factor, NAMES[approach], count, drift),
                             '%.1fx' % ratio, 'yes' if ratio >= factor else '**no**'))
    for r in results:
        if r['approach'] != 'bulk':
            continue
        ok = r['requests'] - r['r429'] <= r['bulk_minimum']
        rows.append(('bulk requests <= list pages + changed PUTs + verification, N = %d, drift %d %% (%s)'
                     % (r['n'], r['drift'], r['scenario']),
                     '%d made (429s excluded: %d), %d allowed' % (r['requests'], r['requests'] - r['r429'], r['bulk_minimum']),
                     'yes' if ok else '**no**'))
    for r in results:
        if r['approach'] != 'bulk' or r['scenario'] != 'binding':
            continue
        floor = floor_seconds(r['requests'] - r['r429'], args.rate_limit)
        if not floor:
            continue
        ratio = r['wall'] / floor
        rows.append(('binding limit: time <= 1.25 x floor, N = %d, drift %d %%' % (r['n'], r['drift']),
                     '%.1f s / %.1f s = %.2f' % (r['wall'], floor, ratio), 'yes' if ratio <= 1.25 else '**no**'))
        rows.append(('binding limit: at most a handful (%d) of 429s, N = %d, drift %d %%' % (HANDFUL_OF_429, r['n'], r['drift']),
                     '%d' % r['r429'], 'yes' if r['r429'] <= HANDFUL_OF_429 else '**no**'))
    big = [r for r in results if r['approach'] == 'bulk' and r['scenario'] == 'main' and r['module_rss_mb']]
    if big:
        top = max(args.sizes)
        for r in big:
            if r['n'] == top:
                rows.append(('bulk module peak memory < %d MB at N = %d, drift %d %%' % (MODULE_MEMORY_TARGET_MB, r['n'], r['drift']),
                             '%.0f MB' % r['module_rss_mb'], 'yes' if r['module_rss_mb'] < MODULE_MEMORY_TARGET_MB else '**no**'))
    for r in results:
        if r['problems']:
            rows.append(('converges, %s N = %d drift %d %% (%s)' % (NAMES[r['approach']], r['n'], r['drift'], r['scenario']),
                         '; '.join(r['problems'][:2]), '**no**'))
    return rows


def machine_facts():
    cpu = platform.processor() or '?'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    memory = '?'
    try:
        with open('/proc/meminfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('MemTotal'):
                    memory = '%.1f GiB' % (int(line.split()[1]) / 1024.0 / 1024.0)
                    break
    except OSError:
        pass
    ansible = '?'
    try:
        ansible = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '--version'], check=False,
                                 capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    commit = '?'
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=str(REPO), check=False,
                                capture_output=True, text=True).stdout.strip() or '?'
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'plugins'], cwd=str(REPO), check=False,
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            commit += ' (plugins/ has uncommitted changes)'
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), memory=memory, os=platform.platform(), commit=commit,
                python='%s (%s)' % (platform.python_version(), sys.executable), ansible=ansible,
                date=datetime.datetime.now().strftime('%Y-%m-%d %H:%M'))


# ---------------------------------------------------------------------------
# Plot
# ---------------------------------------------------------------------------

def ensure_matplotlib(allow_install):
    """Import matplotlib, installing tests/bench/requirements.txt into the running venv when allowed."""
    try:
        import matplotlib  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
        return True
    except ImportError:
        pass
    command = [sys.executable, '-m', 'pip', 'install', '--quiet', '-r', str(HERE / 'requirements.txt')]
    in_venv = sys.prefix != getattr(sys, 'base_prefix', sys.prefix)
    if not allow_install or not in_venv:
        print('bench: matplotlib is missing, so no PNG will be drawn; install it with: %s' % ' '.join(command))
        return False
    print('bench: installing matplotlib into %s (tests/bench/requirements.txt)' % sys.prefix, flush=True)
    if subprocess.run(command, check=False).returncode != 0:
        print('bench: pip failed; no PNG will be drawn')
        return False
    return True


def draw(args, results, png):
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    import matplotlib.ticker  # pylint: disable=import-outside-toplevel

    main = [r for r in results if r['scenario'] == 'main' and r['rc'] == 0]
    colours = {'uri': '#d62728', 'module': '#ff7f0e', 'bulk': '#1f77b4'}
    styles = {10: '--', 100: '-'}
    markers = {10: 'o', 100: 's'}
    fig, (ax_time, ax_req) = plt.subplots(1, 2, figsize=(13, 6.2))
    for approach in APPROACHES:
        for drift in args.drift:
            rows = sorted((r for r in main if r['approach'] == approach and r['drift'] == drift), key=lambda r: r['n'])
            if not rows:
                continue
            label = '%s, %d %% drift' % (NAMES[approach], drift)
            ax_time.plot([r['n'] for r in rows], [r['wall'] for r in rows], styles.get(drift, '-'),
                         marker=markers.get(drift, 'o'), color=colours[approach], label=label)
            ax_req.plot([r['n'] for r in rows], [r['requests'] for r in rows], styles.get(drift, '-'),
                        marker=markers.get(drift, 'o'), color=colours[approach], label=label)
            if approach in LOOPS:
                missing = [n for n in args.sizes if n > rows[-1]['n']]
                if missing:
                    est = [estimate_loop(results, approach, n, drift) for n in missing]
                    ax_time.plot([rows[-1]['n']] + missing, [rows[-1]['wall']] + est, ':', color=colours[approach],
                                 marker=markers.get(drift, 'o'), markerfacecolor='none', alpha=0.6)
    bulk_full = sorted((r for r in main if r['approach'] == 'bulk' and r['drift'] == max(args.drift)), key=lambda r: r['n'])
    if bulk_full and args.base_rate[0]:
        ax_time.plot([r['n'] for r in bulk_full], [floor_seconds(r['requests'] - r['r429'], args.base_rate) for r in bulk_full],
                     ':', color='grey', label='rate-limit floor of inbound_queues, %d %% drift' % max(args.drift))
    plain = matplotlib.ticker.FuncFormatter(lambda value, pos: '%g' % value)
    for ax in (ax_time, ax_req):
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlabel('queues (N)')
        ax.set_xticks(args.sizes)
        ax.set_xticklabels([str(n) for n in args.sizes])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.grid(True, which='major', alpha=0.4)
        ax.grid(True, which='minor', alpha=0.15)
    ax_time.set_ylabel('wall time of ansible-playbook (s)')
    ax_time.set_title('Time to reconcile N queues (hollow, dotted: not run, extrapolated)', fontsize=10)
    ax_req.set_ylabel('HTTP requests')
    ax_req.set_title('HTTP requests', fontsize=10)
    handles, labels = ax_time.get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=4, fontsize=8, frameon=False)
    fig.suptitle('alohub.callcenter: uri loop vs inbound_queue loop vs inbound_queues  (latency %d ms, limit %s)'
                 % (args.latency_ms, describe_rate(args.base_rate)), fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(str(png), dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog='Defaults give the full run of docs/benchmark.md (tens of minutes on 2 cores).')
    parser.add_argument('--sizes', type=int_list, default=None, help='queue counts N (default 50,500,2000)')
    parser.add_argument('--drift', type=int_list, default=None, help='percent of queues that differ (default 10,100)')
    parser.add_argument('--latency-ms', type=int, default=20, help='simulator latency per request (default 20)')
    parser.add_argument('--page-size-cap', type=int, default=50, help='simulator page size cap (default 50, its default)')
    parser.add_argument('--base-rate', type=parse_rate, default=(1000, 10.0), metavar='LIMIT/WINDOW',
                        help='tenant and route limit for the main table (default 1000/10, the simulator\'s default; 0/10 = none)')
    parser.add_argument('--rate-limit', type=parse_rate, default=None, metavar='LIMIT/WINDOW',
                        help='tenant limit of the binding scenario (default 100/10)')
    parser.add_argument('--bind-sizes', type=int_list, default=None, help='N of the binding scenario, 100 %% drift (default 50,500,2000)')
    parser.add_argument('--bind-loop-max', type=int, default=None,
                        help='largest N at which the loops run in the binding scenario (default 50; they do not bind)')
    parser.add_argument('--loop-max', type=int, default=None,
                        help='largest N at which the loops run (default 500: at 0.3-0.6 s per module run, a loop over 2000 '
                             'queues takes 15-40 minutes per run)')
    parser.add_argument('--bulk-repeat', type=int, default=3,
                        help='runs of the bulk playbook per cell of the main table, the median is reported (default 3: '
                             'a run takes seconds, so one hiccup of a shared machine would double it; loops run for minutes '
                             'and are run once)')
    parser.add_argument('--bulk-parallel', type=int, default=None,
                        help='the parallel option of inbound_queues (default: the module\'s default)')
    parser.add_argument('--approaches', default=','.join(APPROACHES), help='subset of uri,module,bulk (default all)')
    parser.add_argument('--out', type=Path, default=None, help='markdown report (default docs/benchmark.md; --quick: tests/output/bench/)')
    parser.add_argument('--png', type=Path, default=None, help='plot (default docs/benchmark.png; --quick: tests/output/bench/)')
    parser.add_argument('--json', type=Path, default=None, help='raw results (default tests/output/bench/results.json)')
    parser.add_argument('--quick', action='store_true', help='smoke run: N=10,40 (loops only at 10), drift 10,100, binding N=40 at 20/2 (a minute or two)')
    parser.add_argument('--no-install', action='store_true', help='do not pip-install matplotlib when it is missing')
    parser.add_argument('--keep', action='store_true', help='keep the temporary directory (playbook logs)')
    parser.add_argument('--from-json', type=Path, default=None, metavar='RESULTS',
                        help='run nothing: write the report and plot again from the raw results of an earlier run')
    args = parser.parse_args(argv)
    quick = args.quick
    output = REPO / 'tests' / 'output' / 'bench'
    defaults = dict(
        sizes=[10, 40] if quick else [50, 500, 2000],
        drift=[10, 100],
        rate_limit=(20, 2.0) if quick else (100, 10.0),
        bind_sizes=[40] if quick else [50, 500, 2000],
        bind_loop_max=0 if quick else 50,
        loop_max=10 if quick else 500,
        out=output / 'benchmark-quick.md' if quick else REPO / 'docs' / 'benchmark.md',
        png=output / 'benchmark-quick.png' if quick else REPO / 'docs' / 'benchmark.png',
        json=output / ('results-quick.json' if quick else 'results.json'),
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.approaches = [a.strip() for a in args.approaches.split(',') if a.strip()]
    unknown = set(args.approaches) - set(APPROACHES)
    if unknown:
        parser.error('unknown approach(es): %s' % ', '.join(sorted(unknown)))
    return args


RUN_SETTINGS = ('sizes', 'drift', 'latency_ms', 'page_size_cap', 'base_rate', 'rate_limit', 'bind_sizes', 'bind_loop_max',
                'loop_max', 'approaches', 'bulk_repeat', 'bulk_parallel')


def write_outputs(args, results, skipped, machine, elapsed, have_matplotlib):
    for path in (args.out, args.png):
        path.parent.mkdir(parents=True, exist_ok=True)
    if have_matplotlib:
        draw(args, results, args.png)
    else:
        args.png = None
    args.out.write_text(build_report(args, results, skipped, machine, elapsed), encoding='utf-8')
    print('bench: wrote %s%s' % (args.out, ', %s' % args.png if args.png else ''))


def report_again(args):
    """--from-json: the report and the plot of an earlier run, with the settings it ran with."""
    data = json.loads(args.from_json.read_text(encoding='utf-8'))
    for name in RUN_SETTINGS:
        value = data['args'].get(name, dict(bulk_repeat=1).get(name))
        setattr(args, name, tuple(value) if name in ('base_rate', 'rate_limit') else value)
    write_outputs(args, data['results'], data['skipped'], data['machine'], data['elapsed'], ensure_matplotlib(not args.no_install))
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.from_json:
        return report_again(args)
    started = time.monotonic()
    have_matplotlib = ensure_matplotlib(not args.no_install)
    machine = machine_facts()
    print('bench: %s; %s cores; latency %d ms; main limit %s; binding limit %s' % (
        machine['ansible'], machine['cores'], args.latency_ms, describe_rate(args.base_rate), describe_rate(args.rate_limit)),
        flush=True)
    base_config = dict(latency_ms=args.latency_ms, page_size_cap=args.page_size_cap,
                       tenant_limit=args.base_rate[0], route_limit=args.base_rate[0], window=args.base_rate[1])
    bind_config = dict(base_config, tenant_limit=args.rate_limit[0], route_limit=0, window=args.rate_limit[1])
    results = []
    skipped = []
    workdir = tempfile.mkdtemp(prefix='alohub-bench-')
    try:
        with Simulator() as sim:
            ansible = Ansible(workdir, sim.url, args.bulk_parallel)
            machine['round_trip_ms'] = round_trip_ms(sim)
            print('simulator round trip without added latency: %.1f ms per request' % machine['round_trip_ms'], flush=True)
            print('main table:', flush=True)
            for count in args.sizes:
                for drift in args.drift:
                    for approach in args.approaches:
                        if approach in LOOPS and count > args.loop_max:
                            skipped.append('%s at N = %d, drift %d %%' % (NAMES[approach], count, drift))
                            continue
                        repeats = args.bulk_repeat if approach == 'bulk' else 1
                        runs = [measure(sim, ansible, approach, count, drift, base_config, 'main') for dummy in range(repeats)]
                        results.append(median_run(runs))
            print('binding rate limit %s:' % describe_rate(args.rate_limit), flush=True)
            for count in args.bind_sizes:
                for approach in args.approaches:
                    if approach in LOOPS and count > args.bind_loop_max:
                        continue
                    results.append(measure(sim, ansible, approach, count, 100, bind_config, 'binding'))
    finally:
        if args.keep:
            print('bench: logs kept in %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(args={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                                         machine=machine, elapsed=elapsed, skipped=skipped, results=results), indent=1),
                         encoding='utf-8')
    print('bench: done in %s; raw results in %s' % (fmt_time(elapsed), args.json))
    write_outputs(args, results, skipped, machine, elapsed, have_matplotlib)
    failed = [r for r in results if r['problems']]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
