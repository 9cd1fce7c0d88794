"""The queues-as-code life cycle on a large tenant: plan, apply from the plan, rollback.

    make bench-lifecycle                      # 500 queues, 10 % and 100 % drift
    python tests/bench/lifecycle.py --queues 2000 --drift 100 --latency-ms 20

For each drift it resets the simulator to the benchmark's generated tenant (tests/bench/bench.py),
writes a queues file that differs in ``percent`` % of the queues, then runs the real playbooks:
plan.yml, apply.yml -e plan_file (which writes a backup), rollback.yml -e backup_file, and reports
the wall time of each ``ansible-playbook`` and the requests it made (from the simulator's log). It
also measures the race window of applying a plan: from the stale check's last list page to the
last PUT, the time in which a change made in the UI could still be overwritten (the API has no
conditional update). Results go to stdout and tests/output/bench/lifecycle.md.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench import API_KEY, TENANT, desired_state, drifted_indices, server_records  # same directory

from alohub_sim.harness import Simulator

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / 'tests' / 'output' / 'bench'
LIST = '/v1/queues/inbound'


def run_playbook(workdir, sim, name, *extra):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ALOHUB_'))
    env.update(ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=API_KEY, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,',
               str(REPO / 'playbooks' / ('%s.yml' % name))]
    for arg in extra:
        command += ['-e', arg]
    sim.clear_requests()
    started = time.monotonic()
    proc = subprocess.run(command, cwd=str(workdir), env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('%s failed (rc %d):\n%s' % (name, proc.returncode, proc.stdout[-3000:] + proc.stderr[-2000:]))
    return elapsed, sim.requests()


def counts(requests):
    lists = sum(1 for e in requests if e['method'] == 'GET' and e['path'] == LIST)
    gets = sum(1 for e in requests if e['method'] == 'GET' and e['path'] != LIST)
    puts = sum(1 for e in requests if e['method'] == 'PUT')
    return '%d (%d/%d/%d)' % (len(requests), lists, gets, puts)


def race_window(requests):
    """Seconds from the stale check's last list page to the last PUT."""
    puts = [e['ts'] for e in requests if e['method'] == 'PUT']
    if not puts:
        return None
    checked = max(e['ts'] for e in requests if e['method'] == 'GET' and e['path'] == LIST and e['ts'] <= min(puts))
    return max(puts) - checked, min(puts) - checked


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--queues', type=int, default=500)
    parser.add_argument('--drift', type=int, nargs='+', default=[10, 100], help='percent of queues that differ')
    parser.add_argument('--latency-ms', type=int, default=20, help='latency the simulator adds to every request')
    parser.add_argument('--page-size-cap', type=int, default=50)
    args = parser.parse_args(argv)
    rows = []
    with Simulator() as sim, tempfile.TemporaryDirectory(prefix='alohub-lifecycle-') as workdir:
        workdir = Path(workdir)
        for percent in args.drift:
            records = server_records(args.queues)
            sim.reset({TENANT: dict(keys={API_KEY: ['queue']}, queues=records)})
            sim.config(latency_ms=args.latency_ms, page_size_cap=args.page_size_cap, tenant_limit=0, route_limit=0)
            desired = desired_state(records, drifted_indices(args.queues, percent))
            (workdir / 'queues.yml').write_text(yaml.safe_dump({'alohub_inbound_queues': desired}))
            for backup in (workdir / 'alohub-backups').glob('*.yml') if (workdir / 'alohub-backups').exists() else ():
                backup.unlink()
            plan_time, plan_requests = run_playbook(workdir, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
            apply_time, apply_requests = run_playbook(workdir, sim, 'apply', 'plan_file=plan.yml')
            backup, = sorted((workdir / 'alohub-backups').glob('*.yml'))
            rollback_time, rollback_requests = run_playbook(workdir, sim, 'rollback', 'backup_file=%s' % backup)
            window, first = race_window(apply_requests)
            if sim.queues(TENANT) != dict((r['callinId'], r) for r in records):
                raise SystemExit('the rollback did not restore the tenant')
            rows.append((percent, plan_time, counts(plan_requests), apply_time, counts(apply_requests), rollback_time,
                         counts(rollback_requests), window, first))
    lines = ['# The queues-as-code life cycle on %d queues' % args.queues, '',
             'Simulator latency %d ms per request, page size cap %d, no rate limit. Time = wall time of the '
             '`ansible-playbook` run, start-up included; requests = all (list pages / GET / PUT). Race window = from the '
             'stale check (the last list page read before the first PUT) to the first and to the last PUT.'
             % (args.latency_ms, args.page_size_cap), '',
             '| drift | plan.yml | requests | apply.yml -e plan_file | requests | rollback.yml | requests | race window (to first / last PUT) |',
             '|---:|---:|---|---:|---|---:|---|---|']
    for percent, plan_time, plan_n, apply_time, apply_n, rollback_time, rollback_n, window, first in rows:
        lines.append('| %d %% | %.1f s | %s | %.1f s | %s | %.1f s | %s | %.0f ms / %.2f s |' % (
            percent, plan_time, plan_n, apply_time, apply_n, rollback_time, rollback_n, first * 1000, window))
    text = '\n'.join(lines) + '\n'
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'lifecycle.md').write_text(text)
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
