"""The queues-as-code life cycle on a large tenant: plan, apply from the plan, rollback; a promotion; the write-ahead backup.

    make bench-lifecycle                                        # 500 queues, 10 % and 100 % drift: life cycle and promotion
    make bench-lifecycle BENCH_ARGS='--compare-with 78c2b5a'    # and apply A/B against 1.1 (the write-ahead backup)
    python tests/bench/lifecycle.py --queues 2000 --drift 100 --latency-ms 20
    python tests/bench/lifecycle.py --parts promotion
    python tests/bench/lifecycle.py --parts write-ahead --compare-with 78c2b5a --rounds 8

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

Write-ahead backup (``--compare-with REV``: a revision, archived from git, or a directory holding
the collection, such as a work tree of it): 2.0 writes the backup before the first PUT and appends
each accepted id as its answer arrives (plugins/module_utils/backups.py, Journal), 1.1 (78c2b5a)
wrote it with role tasks after the module returned. Each tree makes the drift's plan once with its
own plan.yml; then, in ``--rounds`` interleaved rounds, the tenant is reset before every run and each
tree's apply.yml -e plan_file runs (REV then this tree, the other way round every second round, so
that neither always runs first). Those two differ in all that changed between the trees, not only in
the backup, so each round also runs this tree's inbound_queues module alone on its plan
(tests/bench/playbooks/apply_plan.yml) with and without backup_dir, which differ in the backup only;
and the Journal is timed in process (written, one synced append per item, finished).

Speed is reported as ratios within the run, never asserted. Results go to stdout and
tests/output/bench/lifecycle.md.
"""

import argparse
import datetime
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from ansible.parsing.dataloader import DataLoader

from bench import API_KEY, TENANT, check_converged, desired_state, drifted_indices, server_records  # same directory

from alohub_sim.harness import Simulator

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / 'tests' / 'output' / 'bench'
APPLY_PLAN = Path(__file__).resolve().parent / 'playbooks' / 'apply_plan.yml'
LIST = '/v1/queues/inbound'
PARTS = ('lifecycle', 'promotion', 'write-ahead')

# The promotion's environments: one tenant each, the same queue names under other ids.
ENVIRONMENTS = {'dev': ('90000010', 'sk_bench_dev', 6000000), 'prod': ('90000020', 'sk_bench_prod', 8000000)}
SETTINGS = ('strategy', 'musicinQueue', 'timeWait', 'nguongRanhRoi')   # the API fields a promotion copies
ACCEPTED_KEY = 'alohub_backup_accepted'   # in a 2.0 backup only (plugins/module_utils/backups.py)


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


# ---------------------------------------------------------------------------
# The write-ahead backup: apply.yml A/B against another tree, the module with and without backup_dir
# ---------------------------------------------------------------------------

def other_tree(spec, workdir):
    """The tree to compare with: a directory holding the collection, or a revision of this repository, archived."""
    if Path(spec).is_dir():
        return Tree('other', Path(spec).resolve(), workdir), Path(spec).name
    short = subprocess.run(['git', '-C', str(REPO), 'rev-parse', '--short', '%s^{commit}' % spec], capture_output=True,
                           text=True, check=False)
    if short.returncode != 0:
        raise SystemExit('--compare-with %s: neither a directory nor a revision of %s: %s' % (spec, REPO, short.stderr.strip()))
    root = workdir / ('tree-%s' % short.stdout.strip())
    root.mkdir()
    archive = subprocess.run(['git', '-C', str(REPO), 'archive', '--format=tar', short.stdout.strip()], capture_output=True,
                             check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter='data')
    return Tree('other', root, workdir), short.stdout.strip()


def journal_seconds(tree, directory, count, repeat=7):
    """Medians, in process, of the Journal of a ``count``-item apply: (written and synced, ``count`` synced appends, finished)."""
    if str(tree.collections) not in sys.path:
        sys.path.insert(0, str(tree.collections))
    from ansible_collections.alohub.callcenter.plugins.module_utils import backups   # pylint: disable=import-outside-toplevel
    items = [dict(id=index, name='queue-%05d' % index, before=dict(strategy=2, max_wait_sec=150),
                  after=dict(strategy=1, max_wait_sec=120)) for index in range(count)]
    meta = dict(kind='backup', format=backups.FORMAT, operation='apply', created='2026-01-01T00:00:00Z', api_url='http://sim',
                tenant_id=TENANT)
    phases = []
    for dummy in range(repeat):
        started = time.perf_counter()
        journal = backups.Journal(str(directory), dict(tenant_id=TENANT), meta, items, datetime.datetime.now(datetime.timezone.utc))
        written = time.perf_counter()
        for item in items:
            journal.accepted_update(item['id'])
        appended = time.perf_counter()
        os.unlink(journal.finish())
        phases.append((written - started, appended - written, time.perf_counter() - appended))
    return tuple(statistics.median(phase) for phase in zip(*phases))


def write_ahead(sim, tree, workdir, args, sim_config):
    other, other_label = other_tree(args.compare_with, workdir)
    here_label = subprocess.run(['git', '-C', str(REPO), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True,
                                check=False).stdout.strip() or 'this tree'
    arms = (('%s apply.yml' % other_label, other, 'apply'), ('%s apply.yml' % here_label, tree, 'apply'),
            ('%s module, backup_dir' % here_label, tree, 'module+backup'), ('%s module, no backup' % here_label, tree, 'module'))
    records = server_records(args.queues)
    tables = []
    for percent in args.drift:
        desired = desired_state(records, drifted_indices(args.queues, percent))
        walls, requests, written_as = dict((arm, []) for arm in arms), {}, {}
        for which in (other, tree):
            cwd = workdir / ('ab-%s-%d' % (which.label, percent))
            cwd.mkdir()
            (cwd / 'queues.yml').write_text(yaml.safe_dump({'alohub_inbound_queues': desired}))
            sim.reset({TENANT: dict(keys={API_KEY: ['queue']}, queues=records)})
            sim.config(**sim_config)
            run_playbook(sim, which, cwd, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
        for index in range(args.rounds):
            # Each pair (REV and this tree's apply.yml, the module with and without backup_dir) runs A B, then B A.
            for arm in [arm for pair in (arms[:2], arms[2:]) for arm in (pair if index % 2 == 0 else pair[::-1])]:
                label, which, how = arm
                cwd = workdir / ('ab-%s-%d' % (which.label, percent))
                clear_backups(cwd)
                sim.reset({TENANT: dict(keys={API_KEY: ['queue']}, queues=records)})
                sim.config(**sim_config)
                if how == 'apply':
                    seconds, log = run_playbook(sim, which, cwd, 'apply', 'plan_file=plan.yml')
                else:
                    seconds, log = run_playbook(sim, which, cwd, APPLY_PLAN, 'plan_file=%s' % (cwd / 'plan.yml'),
                                                'backup_dir=%s' % (cwd / 'alohub-backups' if how == 'module+backup' else ''))
                problems = check_converged(sim, records, desired)
                if problems:
                    raise SystemExit('%s, %d %% drift: %s' % (label, percent, '; '.join(problems[:5])))
                written = sorted((cwd / 'alohub-backups').glob('*.yml')) if (cwd / 'alohub-backups').exists() else []
                written_as[arm] = 'none' if not written else (
                    'write-ahead' if ACCEPTED_KEY in written[-1].read_text() else 'after the module')
                walls[arm].append(seconds)
                requests[arm] = counts(log)
        tables.append((percent, walls, requests, written_as, journal_seconds(tree, workdir / 'journal', len(
            drifted_indices(args.queues, percent)))))
    lines = ['# The write-ahead backup: apply.yml of %s and of %s, %d queues' % (other_label, here_label, args.queues), '',
             'Interleaved rounds (each pair of columns A B, then B A), the tenant reset before every run; each tree applies the '
             'plan its own plan.yml made. The '
             'module rows run %s\'s inbound_queues alone on its plan (tests/bench/playbooks/apply_plan.yml), with and '
             'without backup_dir: they differ in the backup only. Wall time of `ansible-playbook`; requests = all (list '
             'pages / GET / PUT); backup = how the run\'s backup was written.' % here_label, '']
    for percent, walls, requests, written_as, dummy in tables:
        lines += ['| %d %% drift | %s |' % (percent, ' | '.join(arm[0] for arm in arms)),
                  '|---|%s' % ('---:|' * len(arms))]
        for index in range(args.rounds):
            lines.append('| round %d | %s |' % (index + 1, ' | '.join('%.2f s' % walls[arm][index] for arm in arms)))
        lines.append('| **median** | %s |' % ' | '.join('**%.2f s**' % statistics.median(walls[arm]) for arm in arms))
        lines.append('| requests | %s |' % ' | '.join(requests[arm] for arm in arms))
        lines.append('| backup | %s |' % ' | '.join(written_as[arm] for arm in arms))
        lines.append('')
    lines += ['| drift | %s / %s apply.yml (medians) | module: backup_dir / none (medians) | Journal in process: items, written + '
              'appends + finished |' % (here_label, other_label), '|---:|---:|---:|---|']
    for percent, walls, dummy, dummy2, journal in tables:
        median = dict((arm, statistics.median(walls[arm])) for arm in arms)
        lines.append('| %d %% | %.2f | %.2f | %d: %s = %.0f ms |' % (
            percent, median[arms[1]] / median[arms[0]], median[arms[2]] / median[arms[3]], len(drifted_indices(args.queues, percent)),
            ' + '.join('%.1f' % (phase * 1000) for phase in journal), sum(journal) * 1000))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--queues', type=int, default=500)
    parser.add_argument('--drift', type=int, nargs='+', default=[10, 100], help='percent of queues that differ')
    parser.add_argument('--latency-ms', type=int, default=20, help='latency the simulator adds to every request')
    parser.add_argument('--page-size-cap', type=int, default=50)
    parser.add_argument('--parts', nargs='+', choices=PARTS, help='what to measure (default: lifecycle and promotion, '
                        'and write-ahead with --compare-with)')
    parser.add_argument('--compare-with', metavar='REV', help='a revision of this repository (78c2b5a is 1.1) or a '
                        'directory holding the collection, whose apply.yml the write-ahead part runs against this tree\'s')
    parser.add_argument('--rounds', type=int, default=6, help='interleaved rounds of the write-ahead part (at least 3; even: each order as often)')
    args = parser.parse_args(argv)
    parts = args.parts or ['lifecycle', 'promotion'] + (['write-ahead'] if args.compare_with else [])
    if 'write-ahead' in parts and not args.compare_with:
        parser.error('the write-ahead part needs --compare-with REV (e.g. 78c2b5a, the 1.1 line)')
    if args.rounds < 3:
        parser.error('--rounds must be at least 3: a median of fewer says little')
    sim_config = dict(latency_ms=args.latency_ms, page_size_cap=args.page_size_cap, tenant_limit=0, route_limit=0)
    sections = []
    with Simulator() as sim, tempfile.TemporaryDirectory(prefix='alohub-lifecycle-') as workdir:
        workdir = Path(workdir)
        tree = Tree('this', REPO, workdir)
        for part, measure in (('lifecycle', lifecycle), ('promotion', promotion), ('write-ahead', write_ahead)):
            if part in parts:
                sections.append('\n'.join(measure(sim, tree, workdir, args, sim_config)))
                print(sections[-1] + '\n', flush=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / 'lifecycle.md').write_text('\n\n'.join(sections) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
