"""The queues-as-code life cycle on a large tenant: plan, apply from the plan, rollback; and a promotion, dev -> prod.

    make bench-lifecycle                      # 500 queues, 10 % and 100 % drift: life cycle and promotion
    python tests/bench/lifecycle.py --queues 2000 --drift 100 --latency-ms 20
    python tests/bench/lifecycle.py --parts promotion

Life cycle: for each drift it resets the simulator to the benchmark's generated tenant (tests/bench/bench.py),
writes a queues file that differs in ``percent`` % of the queues, then runs the real playbooks:
plan.yml, apply.yml -e plan_file (which writes a backup), rollback.yml -e backup_file, and reports
the wall time of each ``ansible-playbook`` and the requests it made (from the simulator's log). It
also measures the race window of applying a plan: from the stale check's last list page to the
last PUT, the time in which a change made in the UI could still be overwritten (the API has no
conditional update).

Promotion: two tenants, dev and prod, hold the same queue names under other ids; prod differs from
dev in ``percent`` % of the queues (strategy, wait and hold music). With an inventory of the two
environments (each host its own alohub_api_url, alohub_api_key and alohub_tenant_id) it runs
promote.yml -e source=dev on prod (dev read live, by name), apply.yml -e plan_file on prod, and
apply.yml again, which must send no PUT; then, from the same start, the portable path: export.yml of
dev with key_by=name and promote.yml -e source_file, whose plan must be the live one's. Checked: the
only PUTs are the apply's, to prod; afterwards prod's settings equal dev's, queue by name, and
nothing else of prod, nor anything of dev, changed.

Results go to stdout and tests/output/bench/lifecycle.md.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from ansible.parsing.dataloader import DataLoader

from bench import API_KEY, TENANT, desired_state, drifted_indices, server_records  # same directory

from alohub_sim.harness import Simulator

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / 'tests' / 'output' / 'bench'
LIST = '/v1/queues/inbound'
PARTS = ('lifecycle', 'promotion')

# The promotion's environments: one tenant each, the same queue names under other ids.
ENVIRONMENTS = {'dev': ('90000010', 'sk_bench_dev', 6000000), 'prod': ('90000020', 'sk_bench_prod', 8000000)}
SETTINGS = ('strategy', 'musicinQueue', 'timeWait', 'nguongRanhRoi')   # the API fields a promotion copies


class Tree:
    """A tree of the collection whose playbooks are run: its root, and an ANSIBLE_COLLECTIONS_PATH that finds it there."""

    def __init__(self, label, root, workdir):
        self.label = label
        self.root = Path(root)
        self.collections = Path(workdir) / ('collections-%s' % label)
        link = self.collections / 'ansible_collections' / 'alohub' / 'callcenter'
        link.parent.mkdir(parents=True)
        link.symlink_to(self.root, target_is_directory=True)


def load_data(path):
    """A file the playbooks wrote, read as Ansible reads it (it knows !unsafe)."""
    return DataLoader().load_from_file(str(path))


def run_playbook(sim, tree, cwd, playbook, *extra, inventory=None):
    """Run one playbook of ``tree`` (a name under playbooks/, or a path) in ``cwd``: (wall seconds, requests).

    Without ``inventory`` it runs on localhost, connected by the ALOHUB_* variables; with one, the
    environments' connections are their host variables and no ALOHUB_* variable is set.
    """
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('ALOHUB_', 'ANSIBLE_')) and k != 'PYTHONPATH')
    env.update(ANSIBLE_COLLECTIONS_PATH=str(tree.collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='false')
    if inventory is None:
        env.update(ALOHUB_API_URL=sim.url, ALOHUB_API_KEY=API_KEY)
    path = playbook if isinstance(playbook, Path) else tree.root / 'playbooks' / ('%s.yml' % playbook)
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory or 'localhost,'), str(path)]
    for arg in extra:
        command += ['-e', arg]
    sim.clear_requests()
    started = time.monotonic()
    proc = subprocess.run(command, cwd=str(cwd), env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit('%s (%s) failed (rc %d): %s\n%s' % (
            path.name, tree.label, proc.returncode, ' '.join(command), proc.stdout[-3000:] + proc.stderr[-2000:]))
    return elapsed, sim.requests()


def counts(requests):
    lists = sum(1 for e in requests if e['method'] == 'GET' and e['path'] == LIST)
    gets = sum(1 for e in requests if e['method'] == 'GET' and e['path'] != LIST)
    puts = sum(1 for e in requests if e['method'] == 'PUT')
    return '%d (%d/%d/%d)' % (len(requests), lists, gets, puts)


def puts_of(requests):
    return [e for e in requests if e['method'] == 'PUT']


def race_window(requests):
    """Seconds from the stale check's last list page to the last PUT."""
    puts = [e['ts'] for e in requests if e['method'] == 'PUT']
    if not puts:
        return None
    checked = max(e['ts'] for e in requests if e['method'] == 'GET' and e['path'] == LIST and e['ts'] <= min(puts))
    return max(puts) - checked, min(puts) - checked


def clear_backups(cwd):
    for backup in (cwd / 'alohub-backups').glob('*.yml') if (cwd / 'alohub-backups').exists() else ():
        backup.unlink()


# ---------------------------------------------------------------------------
# Life cycle: plan, apply, rollback
# ---------------------------------------------------------------------------

def lifecycle(sim, tree, workdir, args, sim_config):
    rows = []
    for percent in args.drift:
        records = server_records(args.queues)
        sim.reset({TENANT: dict(keys={API_KEY: ['queue']}, queues=records)})
        sim.config(**sim_config)
        desired = desired_state(records, drifted_indices(args.queues, percent))
        (workdir / 'queues.yml').write_text(yaml.safe_dump({'alohub_inbound_queues': desired}))
        clear_backups(workdir)
        plan_time, plan_requests = run_playbook(sim, tree, workdir, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
        apply_time, apply_requests = run_playbook(sim, tree, workdir, 'apply', 'plan_file=plan.yml')
        backup, = sorted((workdir / 'alohub-backups').glob('*.yml'))
        rollback_time, rollback_requests = run_playbook(sim, tree, workdir, 'rollback', 'backup_file=%s' % backup)
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
    return lines


# ---------------------------------------------------------------------------
# Promotion: dev -> prod, live and through a portable file
# ---------------------------------------------------------------------------

def environment_records(environment, count, drifted=()):
    """The benchmark's tenant under the environment's ids; the ``drifted`` queues have another strategy, wait and music."""
    first_id = ENVIRONMENTS[environment][2]
    drifted = set(drifted)
    records = []
    for index, record in enumerate(server_records(count)):
        record['callinId'] = first_id + index
        if index in drifted:
            record.update(strategy=2 if record['strategy'] != 2 else 1, timeWait=str(int(record['timeWait']) + 30),
                          musicinQueue='hold-%s.wav' % environment)
        records.append(record)
    return records


def by_environment(requests):
    """Requests per (environment, method); a request of no known tenant counts under '?'."""
    names = dict((tenant, name) for name, (tenant, dummy, dummy2) in ENVIRONMENTS.items())
    return Counter((names.get(e['tenant'], '?'), e['method']) for e in requests)


def promotion_problems(sim, dev, prod):
    """What is wrong after the promotion: prod's settings unlike dev's (by name), prod's other fields or dev changed."""
    problems = []
    if sim.queues(ENVIRONMENTS['dev'][0]) != dict((r['callinId'], r) for r in dev):
        problems.append('dev changed')
    now = sim.queues(ENVIRONMENTS['prod'][0])
    for source, before in zip(dev, prod):
        got = now.get(before['callinId'])
        if got is None:
            problems.append('prod queue %d (%s) disappeared' % (before['callinId'], before['callinName']))
            continue
        for field, value in got.items():
            want = source[field] if field in SETTINGS else before[field]
            if value != want:
                problems.append('prod queue %d (%s): %s is %r, wanted %r' % (
                    before['callinId'], before['callinName'], field, value, want))
    return problems


def promotion_steps(sim, tree, cwd, args, sim_config, percent):
    """The promotion at one drift, checked step by step: [(step, wall seconds, requests per environment and method)]."""
    drifted = drifted_indices(args.queues, percent)
    dev, prod = environment_records('dev', args.queues), environment_records('prod', args.queues, drifted)
    tenants = dict((ENVIRONMENTS[name][0], dict(keys={ENVIRONMENTS[name][1]: ['queue']}, queues=records))
                   for name, records in (('dev', dev), ('prod', prod)))
    inventory = cwd / 'environments.yml'
    inventory.write_text(yaml.safe_dump({'all': {'vars': {'ansible_connection': 'local'}, 'hosts': dict(
        (name, dict(alohub_api_url=sim.url, alohub_api_key=key, alohub_tenant_id=tenant))
        for name, (tenant, key, dummy) in ENVIRONMENTS.items())}}))
    wanted_ids = [ENVIRONMENTS['prod'][2] + index for index in drifted]
    steps = []

    def step(label, playbook, *extra):
        seconds, requests = run_playbook(sim, tree, cwd, playbook, *extra, inventory=inventory)
        steps.append((label, seconds, by_environment(requests)))
        return requests

    def fail(label, problem):
        raise SystemExit('promotion, %d %% drift, %s: %s' % (percent, label, problem))

    def check_plan(label, requests, name):
        if puts_of(requests):
            fail(label, '%d PUT(s) sent' % len(puts_of(requests)))
        items = load_data(cwd / name)['alohub_plan']
        if [item['id'] for item in items] != wanted_ids:
            fail(label, 'the plan has %d item(s) (ids %s ...), not the %d drifted queues of prod' % (
                len(items), ', '.join(str(item['id']) for item in items[:3]), len(wanted_ids)))
        return items

    sim.reset(tenants)
    sim.config(**sim_config)
    label = 'promote.yml -e source=dev'
    live = check_plan(label, step(label, 'promote', 'alohub_environment=prod', 'source=dev', 'plan_file=live.plan.yml'),
                      'live.plan.yml')
    label = 'apply.yml -e plan_file'
    sent = by_environment(puts_of(step(label, 'apply', 'alohub_environment=prod', 'plan_file=live.plan.yml')))
    if sent != Counter({('prod', 'PUT'): len(drifted)}):
        fail(label, 'PUTs sent: %s; wanted %d, all to prod' % (dict(sent), len(drifted)))
    problems = promotion_problems(sim, dev, prod)
    if problems:
        fail(label, '%d problem(s): %s' % (len(problems), '; '.join(problems[:5])))
    label = 'apply.yml again'
    if puts_of(step(label, 'apply', 'alohub_environment=prod', 'plan_file=live.plan.yml')):
        fail(label, 'the rerun sent PUTs')
    # The portable path, from the same start: dev's queues by name in a file, the file promoted.
    sim.reset(tenants)
    sim.config(**sim_config)
    label = 'export.yml dev -e key_by=name'
    requests = by_environment(step(label, 'export', 'alohub_environment=dev', 'queues_file=dev.yml', 'key_by=name'))
    if requests['dev', 'PUT'] or requests['prod', 'GET'] or requests['prod', 'PUT']:
        fail(label, 'it sent a PUT or read prod: %s' % dict(requests))
    label = 'promote.yml -e source_file'
    if check_plan(label, step(label, 'promote', 'alohub_environment=prod', 'source_file=dev.yml', 'plan_file=file.plan.yml'),
                  'file.plan.yml') != live:
        fail(label, 'its plan is not the live one\'s')
    return steps


def promotion(sim, tree, workdir, args, sim_config):
    rows = []
    for percent in args.drift:
        cwd = workdir / ('promotion-%d' % percent)
        cwd.mkdir()
        rows += [(percent,) + row for row in promotion_steps(sim, tree, cwd, args, sim_config, percent)]
    lines = ['# A promotion, dev -> prod, of %d queues' % args.queues, '',
             'Two tenants with the same %d queue names under other ids; prod differs from dev in the drift\'s share of the queues '
             '(strategy, wait and hold music). An inventory of the two environments, each with its own connection. Checked: '
             'the plan holds exactly the drifted queues, the only PUTs are the apply\'s, to prod, after it prod\'s settings '
             'equal dev\'s by name and nothing else changed, the second apply sends no PUT, the portable file gives the same '
             'plan. Requests are GET / PUT per tenant (list pages are GETs).' % args.queues, '',
             '| drift | step | wall | dev GET / PUT | prod GET / PUT |', '|---:|---|---:|---|---|']
    for percent, label, seconds, requests in rows:
        lines.append('| %d %% | %s | %.1f s | %d / %d | %d / %d |' % (
            percent, label, seconds, requests['dev', 'GET'], requests['dev', 'PUT'], requests['prod', 'GET'],
            requests['prod', 'PUT']))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--queues', type=int, default=500)
    parser.add_argument('--drift', type=int, nargs='+', default=[10, 100], help='percent of queues that differ')
    parser.add_argument('--latency-ms', type=int, default=20, help='latency the simulator adds to every request')
    parser.add_argument('--page-size-cap', type=int, default=50)
    parser.add_argument('--parts', nargs='+', choices=PARTS, default=list(PARTS), help='what to measure (default: both)')
    args = parser.parse_args(argv)
    sim_config = dict(latency_ms=args.latency_ms, page_size_cap=args.page_size_cap, tenant_limit=0, route_limit=0)
    sections = []
    with Simulator() as sim, tempfile.TemporaryDirectory(prefix='alohub-lifecycle-') as workdir:
        workdir = Path(workdir)
        tree = Tree('this', REPO, workdir)
        for part, measure in (('lifecycle', lifecycle), ('promotion', promotion)):
            if part in args.parts:
                sections.append('\n'.join(measure(sim, tree, workdir, args, sim_config)))
                print(sections[-1] + '\n', flush=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'lifecycle.md').write_text('\n\n'.join(sections) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
