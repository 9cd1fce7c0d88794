#!/usr/bin/env python
"""Soak: thousands of queue updates across several tenants under seeded chaos, then check the end state.

::

    python tests/soak/soak.py                  # 2,000 updates over 5 tenants (make soak)
    python tests/soak/soak.py --duration 60    # the 60-second version (make test)

It starts its own simulator (tests/simulator) with generated tenants, turns on
the fault mix of tests/soak/chaos_mix.py for every tenant (each with its own
seed) plus tight rate limits, and runs rounds of real ansible-playbook: in
each round every tenant (one inventory host each, all at once) applies a
random batch with ``inbound_queues`` and a few single queues with
``inbound_queue``. A model of the desired state follows every update.

Then, still under chaos, a convergence pass applies each tenant's whole
desired state, a check-mode pass must find nothing to change and send no
PUT, and the simulator's stored records must equal the model: every managed
setting as desired, every other field and every queue nobody touched as
before. The exit status is 0 only when all of that holds.

What it saw (updates, tasks, requests, faults injected by kind, retries,
429s, wall time, the final checks) is printed, and written as JSON with
``--report``.
"""

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

try:
    from alohub_sim.harness import Simulator
    from alohub_test import chaos_mix
    from alohub_test.hostplay import host_playbook
    from alohub_test.playenv import BIN, link_collection, playbook_env
except ImportError as exc:  # run outside make: say what is missing instead of a bare traceback
    raise SystemExit('soak: %s; run it through `make soak` / `make soak-quick`, or put tests/support and '
                     'tests/simulator on PYTHONPATH' % exc) from exc

QUEUE = 'alohub.callcenter.inbound_queue'
QUEUES = 'alohub.callcenter.inbound_queues'
SETTINGS = ('strategy', 'moh_file_id', 'max_wait_sec', 'announce_position')
UNMANAGED = ('callinName', 'agentSelector', 'callinNumber')
RETRIES = re.compile(r'(\d+) retr(?:y|ies) of requests to the AloHub API')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--updates', type=int, default=2000, help='queue updates to make under chaos (default 2000)')
    parser.add_argument('--duration', type=float, default=None,
                        help='instead of a number of updates, run for about this many seconds in all (e.g. 60)')
    parser.add_argument('--quick', action='store_true', help='the same as --duration 60')
    parser.add_argument('--tenants', type=int, default=5, help='generated tenants (default 5)')
    parser.add_argument('--queues', type=int, default=80, help='queues per tenant (default 80)')
    parser.add_argument('--batch', type=int, default=40, help='entries per inbound_queues task (default 40)')
    parser.add_argument('--singles', type=int, default=2, help='inbound_queue tasks per tenant and round (default 2)')
    parser.add_argument('--share', type=float, default=0.25, help='share of requests that meet a fault (default 0.25)')
    parser.add_argument('--seed', type=int, default=1, help='seed of the updates and of the faults (default 1)')
    parser.add_argument('--rate-limit', type=int, default=60,
                        help='requests per tenant per window the simulator allows (default 60, 0 = unlimited)')
    parser.add_argument('--window', type=float, default=2, help='rate-limit window in seconds (default 2)')
    parser.add_argument('--inject-drift', action='store_true',
                        help='self-test: change one queue behind the modules\' back after the convergence pass, '
                             'so the final check must fail (exit 1)')
    parser.add_argument('--report', help='also write the figures to this JSON file')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (playbooks, outputs)')
    args = parser.parse_args(argv)
    if args.quick and args.duration is None:
        args.duration = 60.0
    if args.tenants < 1 or args.queues < args.batch + args.singles or args.batch < 1:
        parser.error('need --tenants >= 1 and --queues >= --batch + --singles')
    return args


class Soak:

    def __init__(self, args, sim, workdir):
        self.args = args
        self.sim = sim
        self.workdir = workdir
        self.rng = random.Random(args.seed)
        self.count = 0
        self.tenants = dict(('9%07d' % n, 'sk_soak_%d_%s' % (n, 'x' * 8)) for n in range(1, args.tenants + 1))
        self.collections = link_collection(self.workdir / 'collections')
        self.figures = dict(updates=0, entries=0, tasks=0, tasks_failed=0, entries_failed=0, playbooks=0, rounds=0,
                            requests=0, puts=0, status_429=0, status_429_rate_limiter=0, retries_reported=0,
                            busiest_window=0, failures=[], faults_injected={}, wall_seconds=0.0)
        self.initial = {}
        self.desired = {}   # tenant -> {queue id: {option: value}}

    # -- plumbing ------------------------------------------------------------
    def env(self, capture):
        return playbook_env(self.collections, ANSIBLE_FORKS=str(len(self.tenants)), ALOHUB_TEST_CAPTURE=str(capture))

    def play(self, per_tenant, check=False):
        """Run one playbook: one host per tenant, all at once. The captured tasks."""
        self.count += 1
        directory = self.workdir / ('round%04d' % self.count)
        directory.mkdir()
        per_host = dict(('t%s' % tenant, tasks) for tenant, tasks in per_tenant.items())
        defaults = dict(chaos_mix.CONNECTION, api_url=self.sim.url)
        playbook, files = host_playbook(per_host, defaults=defaults)
        for name, tasks in files.items():
            (directory / name).write_text(yaml.safe_dump(tasks, sort_keys=False, allow_unicode=True))
        path = directory / 'play.yml'
        path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        capture = directory / 'capture.jsonl'
        cmd = [str(BIN / 'ansible-playbook'), '-i', ','.join(per_host) + ',', str(path)] + (['--check'] if check else [])
        proc = subprocess.run(cmd, env=self.env(capture), capture_output=True, text=True, timeout=1800, check=False,
                              stdin=subprocess.DEVNULL, cwd=str(directory))
        (directory / 'output.txt').write_text(proc.stdout + proc.stderr)
        self.figures['playbooks'] += 1
        tasks = [json.loads(line) for line in capture.read_text().splitlines()] if capture.exists() else []
        tasks = [t for t in tasks if not t['task'].startswith('tasks of ')]
        if 'Traceback' in proc.stdout + proc.stderr:
            raise SystemExit('a module crashed; see %s' % (directory / 'output.txt'))
        self._count_requests()
        return tasks

    def _count_requests(self):
        log = self.sim.requests(clear=True)
        self.figures['requests'] += len(log)
        self.figures['puts'] += len([e for e in log if e['method'] == 'PUT'])
        self.figures['status_429'] += len([e for e in log if e['status'] == 429])
        self.figures['status_429_rate_limiter'] += len([e for e in log if e['status'] == 429 and not e['fault']])
        windows = {}
        for entry in log:  # the simulator's windows are aligned to the clock
            key = (entry['tenant'], int(entry['ts'] // self.args.window))
            windows[key] = windows.get(key, 0) + 1
        self.figures['busiest_window'] = max([self.figures['busiest_window']] + list(windows.values()))
        return log

    def task(self, tenant, label, module, args):
        return dict(name='%s %s' % (tenant, label), ignore_errors=True,
                    **{module: dict(args, api_key=self.tenants[tenant])})

    # -- the model -------------------------------------------------------------
    def random_settings(self):
        settings = {}
        while not settings:
            if self.rng.random() < 0.5:
                settings['strategy'] = self.rng.choice([1, 2, 3, 4, 99, 'vip', 'normal', 'divert', '2'])
            if self.rng.random() < 0.5:
                settings['moh_file_id'] = self.rng.choice(['waiting.wav', 'jazz.mp3', 'nh\u1ea1c-ch\u1edd.wav', 'soak-%d.wav' % self.rng.randint(0, 99)])
            if self.rng.random() < 0.5:
                settings['max_wait_sec'] = self.rng.choice([0, 30, 60, 120, 300, self.rng.randint(1, 3600)])
            if self.rng.random() < 0.5:
                settings['announce_position'] = self.rng.random() < 0.5
        return settings

    def want(self, tenant, queue, settings):
        merged = self.desired[tenant].setdefault(queue, {})
        for option, value in settings.items():
            merged[option] = chaos_mix.strategy_code(value) if option == 'strategy' else value

    def count_results(self, tasks):
        for entry in tasks:
            result = entry['result']
            self.figures['tasks'] += 1
            if entry['status'] == 'failed':
                self.figures['tasks_failed'] += 1
                if len(self.figures['failures']) < 10:
                    self.figures['failures'].append('%s: %s' % (entry['task'], str(result.get('msg'))[:300]))
            for warning in result.get('warnings', []):
                match = RETRIES.search(warning)
                if match:
                    self.figures['retries_reported'] += int(match.group(1))
            if 'summary' in result:
                self.figures['entries'] += result['summary']['total']
                self.figures['updates'] += result['summary']['changed']
                self.figures['entries_failed'] += result['summary']['failed']
            elif 'queue' in result or entry['status'] == 'failed':
                self.figures['entries'] += 1
                self.figures['updates'] += 1 if result.get('changed') else 0
                self.figures['entries_failed'] += 1 if entry['status'] == 'failed' else 0

    # -- phases ------------------------------------------------------------------
    def setup(self):
        spec = dict((tenant, dict(keys={key: ['queue']}, queues=self.args.queues)) for tenant, key in self.tenants.items())
        self.sim.reset(tenants=spec)
        self.sim.config(page_size_cap=25, tenant_limit=self.args.rate_limit, route_limit=0, window=self.args.window)
        rules = []
        for number, tenant in enumerate(self.tenants):
            rules += chaos_mix.rules(share=self.args.share, seed=self.args.seed * 100 + number, tenant=tenant)
        self.sim.faults(rules)
        for tenant in self.tenants:
            self.initial[tenant] = self.sim.queues(tenant)
            self.desired[tenant] = {}

    def round(self):
        per_tenant = {}
        for tenant in self.tenants:
            ids = self.rng.sample(sorted(self.initial[tenant]), self.args.batch + self.args.singles)
            config = []
            for queue in ids[:self.args.batch]:
                settings = self.random_settings()
                self.want(tenant, queue, settings)
                config.append(dict(id=queue, **settings))
            tasks = [self.task(tenant, 'round %d bulk' % self.count, QUEUES, dict(config=config, parallel=4))]
            for number, queue in enumerate(ids[self.args.batch:]):
                settings = self.random_settings()
                self.want(tenant, queue, settings)
                tasks.append(self.task(tenant, 'round %d single %d' % (self.count, number), QUEUE, dict(id=queue, **settings)))
            per_tenant[tenant] = tasks
        self.count_results(self.play(per_tenant))
        self.figures['rounds'] += 1

    def whole_desired(self, tenant):
        return [dict(id=queue, **settings) for queue, settings in sorted(self.desired[tenant].items())]

    def converge(self):
        """Apply every tenant's whole desired state once more (still under chaos)."""
        per_tenant = dict((tenant, [self.task(tenant, 'converge', QUEUES, dict(config=self.whole_desired(tenant), parallel=4))])
                          for tenant in self.tenants)
        tasks = self.play(per_tenant)
        self.count_results(tasks)
        return [t for t in tasks if t['status'] == 'failed']

    def rerun_is_idle(self):
        """Check mode over the whole desired state: nothing to change, and no PUT at all."""
        per_tenant = dict((tenant, [self.task(tenant, 'verify', QUEUES, dict(config=self.whole_desired(tenant)))])
                          for tenant in self.tenants)
        before = self.figures['puts']
        tasks = self.play(per_tenant, check=True)
        changed = [t['task'] for t in tasks if t['result'].get('changed') or t['status'] != 'ok']
        return changed, self.figures['puts'] - before

    def state_problems(self):
        problems = []
        for tenant in self.tenants:
            stored = self.sim.queues(tenant)
            if sorted(stored) != sorted(self.initial[tenant]):
                problems.append('%s: the set of queues changed' % tenant)
                continue
            for queue, record in stored.items():
                start = self.initial[tenant][queue]
                for field in UNMANAGED:
                    if record[field] != start[field]:
                        problems.append('%s %d: %s changed from %r to %r' % (tenant, queue, field, start[field], record[field]))
                wanted = self.desired[tenant].get(queue, {})
                for option in SETTINGS:
                    field = chaos_mix.WIRE[option][0]
                    expected = wanted.get(option, chaos_mix.normalised_value(option, start[field]))
                    got = chaos_mix.normalised_value(option, record[field])
                    if got != expected:
                        problems.append('%s %d: %s is %r, wanted %r' % (tenant, queue, option, got, expected))
                    if option not in wanted and record[field] != start[field]:
                        problems.append('%s %d: unmanaged %s changed from %r to %r' % (tenant, queue, option, start[field], record[field]))
        return problems


def run(args):
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix='alohub-soak-'))
    with Simulator() as sim:
        soak = Soak(args, sim, workdir)
        soak.setup()
        print('soak: %d tenants x %d queues, %.0f%% of requests faulted (seed %d), rate limit %s/%gs, %s'
              % (args.tenants, args.queues, args.share * 100, args.seed, args.rate_limit or 'none', args.window,
                 'about %gs' % args.duration if args.duration else '%d updates' % args.updates), flush=True)
        round_times = []
        while True:
            elapsed = time.monotonic() - started
            if args.duration:
                typical = max(round_times) if round_times else 10.0
                # room for one more round and for the convergence and check-mode passes (about one round)
                if round_times and elapsed + typical * 2.2 > args.duration:
                    break
            elif soak.figures['updates'] >= args.updates:
                break
            begin = time.monotonic()
            soak.round()
            round_times.append(time.monotonic() - begin)
            print('  round %d: %d updates so far, %d tasks failed, %.1fs'
                  % (soak.figures['rounds'], soak.figures['updates'], soak.figures['tasks_failed'], round_times[-1]), flush=True)
        failed_convergence = soak.converge()
        if args.inject_drift:
            tenant = sorted(soak.tenants)[0]
            queue = sorted(soak.initial[tenant])[0]
            sim.set_queue(tenant, queue, callinNumber='0999999999', timeWait='12345')
            print('  drift injected: %s queue %d (callinNumber, timeWait)' % (tenant, queue), flush=True)
        busy, puts = soak.rerun_is_idle()
        problems = soak.state_problems()
        soak.figures['faults_injected'] = dict((k, v) for k, v in sorted(chaos_mix.fired(sim.faults()).items()))
    figures = soak.figures
    figures['wall_seconds'] = round(time.monotonic() - started, 1)
    figures['rate_limit'] = args.rate_limit
    figures['queues_managed'] = sum(len(d) for d in soak.desired.values())
    figures['convergence_failures'] = [t['task'] for t in failed_convergence]
    figures['rerun_changed'] = busy
    figures['rerun_puts'] = puts
    figures['state_problems'] = problems[:50]
    figures['converged'] = not problems and not busy and puts == 0 and not failed_convergence
    report(figures)
    if args.report:
        Path(args.report).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + '\n')
    if args.keep or not figures['converged']:
        print('work directory kept: %s' % workdir)
    else:
        subprocess.run(['rm', '-rf', str(workdir)], check=False)
    return 0 if figures['converged'] else 1


def report(f):
    injected = sum(f['faults_injected'].values())
    print()
    print('soak report')
    print('  wall time            %.1f s (%d rounds, %d playbooks, %d tasks)' % (f['wall_seconds'], f['rounds'], f['playbooks'], f['tasks']))
    print('  queue updates        %d applied (%d entries asked for, %d queues managed)' % (f['updates'], f['entries'], f['queues_managed']))
    print('  requests             %d (%d PUTs)' % (f['requests'], f['puts']))
    print('  faults injected      %d (%.1f%% of requests)' % (injected, 100.0 * injected / max(1, f['requests'])))
    for kind, count in f['faults_injected'].items():
        print('    %-36s %d' % (kind, count))
    print('  429 answers          %d (%d from the rate limiter, the rest injected)' % (f['status_429'], f['status_429_rate_limiter']))
    print('  busiest window       %d requests of one tenant in one rate-limit window (limit %s)'
          % (f['busiest_window'], f['rate_limit'] or 'none'))
    print('  retries reported     %d (by the modules\' warnings)' % f['retries_reported'])
    print('  tasks failed         %d (their queues were applied again by the convergence pass)' % f['tasks_failed'])
    for failure in f['failures']:
        print('    %s' % failure)
    print('  convergence pass     %s' % ('ok' if not f['convergence_failures'] else 'FAILED: %s' % f['convergence_failures']))
    print('  check-mode rerun     %s' % ('no change, no PUT' if not f['rerun_changed'] and not f['rerun_puts']
                                         else 'FAILED: changed %s, %d PUTs' % (f['rerun_changed'], f['rerun_puts'])))
    print('  final state          %s' % ('equals the desired state exactly' if not f['state_problems']
                                         else 'DIFFERS:\n    ' + '\n    '.join(f['state_problems'])))
    print('  result               %s' % ('CONVERGED' if f['converged'] else 'NOT CONVERGED'))


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
