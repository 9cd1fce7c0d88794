"""Files and terminals are a trust boundary too: through real ansible-playbook, on a real file system.

What the playbooks write never follows a planted link, never replaces a backup or a plan, never loosens a
mode; what they read cannot exhaust the controller; what they print cannot rewrite the screen; one odd
record never makes a tenant unreadable. Hostile names are set through the simulator's admin API, as
anyone who can rename a queue in the AloHub UI could.
"""

import os
import stat
import time
from xml.etree import ElementTree

import junitparser
import pytest
import yaml

from conftest import ACME, ACME_KEY, REPO
from alohub_test.playbook import load_data

# The playbooks, the role and interrupted runs: on the newest and the oldest ansible-core line (tests/pytest.ini).
pytestmark = pytest.mark.template_engine

PLAYBOOKS = REPO / 'playbooks'
LIST = '/v1/queues/inbound'
HOSTILE = 'x\x1b[2J\x1b[3J\x1b[HPLAY RECAP: nothing to change'
NOBODY = 65534


def connection(sim, key=ACME_KEY):
    return {'ALOHUB_API_URL': sim.url, 'ALOHUB_API_KEY': key}


def playbook(ansible, sim, name, *args, check=False, diff=False, env=None):
    extra = []
    for arg in args:
        extra += ['-e', arg]
    return ansible.run_playbook(PLAYBOOKS / ('%s.yml' % name), env=dict(connection(sim), **(env or {})), args=extra,
                                check=check, diff=diff)


def puts(run):
    return [(e['path'], e['body']) for e in run.requests(method='PUT')]


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def write_queues(path, entries):
    path.write_text(yaml.safe_dump({'alohub_inbound_queues': entries}, sort_keys=False))


def planted(link, target):
    """A symbolic link planted by another user (nobody, when the tests run as root) in a shared directory."""
    os.symlink(str(target), str(link))
    if os.geteuid() == 0:
        os.lchown(str(link), NOBODY, NOBODY)
    return link


def test_planted_links_are_refused_and_what_they_point_at_is_untouched(sim, ansible):
    workdir = ansible.workdir
    shared = workdir / 'shared'
    shared.mkdir()
    shared.chmod(0o1777)   # sticky and world-writable, as /tmp and CI scratch directories are
    secret = workdir / 'secret'
    secret.write_text('root only\n')
    secret.chmod(0o600)
    elsewhere = workdir / 'elsewhere'
    elsewhere.mkdir()
    write_queues(workdir / 'queues.yml', [dict(id=1001226, strategy='vip')])
    cases = [
        ('drift', ['queues_file=queues.yml', 'drift_junit_file=shared/drift.xml'], 'drift.xml', secret),
        ('drift', ['queues_file=queues.yml', 'drift_report_file=shared/report.yml'], 'report.yml', secret),
        ('plan', ['queues_file=queues.yml', 'plan_file=shared/plan.yml'], 'plan.yml', secret),
        ('export', ['queues_file=shared/queues.yml'], 'queues.yml', secret),
        ('apply', ['queues_file=queues.yml', 'backup_dir=shared/backups'], 'backups', elsewhere),
    ]
    for name, args, link, target in cases:
        planted(shared / link, target)
        run = playbook(ansible, sim, name, *args)
        assert run.rc == 2, (name, run.output)
        assert '%s is a symbolic link; the collection does not write through links' % (shared / link) in run.output or (
            'backup_dir %s is a symbolic link' % (shared / link)) in run.output, (name, run.output)
        assert secret.read_text() == 'root only\n' and mode(secret) == 0o600
        assert list(elsewhere.iterdir()) == [] and (shared / link).is_symlink()
        assert puts(run) == []   # the backup could not be written, so nothing was sent
    assert sim.queues(ACME)[1001226]['strategy'] == 1


def test_directories_and_files_keep_their_modes(sim, ansible):
    workdir = ansible.workdir
    shared = workdir / 'shared'
    shared.mkdir()
    shared.chmod(0o1777)
    write_queues(workdir / 'queues.yml', [dict(id=1001226, strategy='vip')])
    run = playbook(ansible, sim, 'apply', 'queues_file=queues.yml', 'backup_dir=%s' % shared)
    assert run.rc == 0, run.output
    assert mode(shared) == 0o1777   # an existing directory is never changed
    backup, = shared.glob('*.yml')
    assert mode(backup) == 0o600
    run = playbook(ansible, sim, 'apply', 'queues_file=queues.yml', 'backup_dir=fresh/backups')
    assert run.rc == 0, run.output   # nothing to change: no backup, no directory
    assert not (workdir / 'fresh').exists()
    # A file that existed as 0600 stays 0600 when rewritten; under umask 077, new files are 0600.
    run = playbook(ansible, sim, 'export', 'queues_file=export.yml')
    assert run.rc == 0, run.output
    (workdir / 'export.yml').chmod(0o600)
    sim.set_queue(ACME, 1001201, timeWait='61')
    run = playbook(ansible, sim, 'export', 'queues_file=export.yml')
    assert run.rc == 0 and run.recap['changed'] == 1 and mode(workdir / 'export.yml') == 0o600, run.output
    old = os.umask(0o077)
    try:
        run = playbook(ansible, sim, 'drift', 'queues_file=queues.yml', 'drift_report_file=private.yml',
                       'drift_junit_file=private.xml')
    finally:
        os.umask(old)
    assert run.rc == 0, run.output
    assert mode(workdir / 'private.yml') == 0o600 and mode(workdir / 'private.xml') == 0o600


def test_a_read_only_play_never_destroys_undo_information(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', [dict(id=1001226, strategy='vip')])
    run = playbook(ansible, sim, 'apply', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    backup, = (workdir / 'alohub-backups').glob('*.yml')
    before = backup.read_bytes()
    for check in (True, False):
        run = playbook(ansible, sim, 'drift', 'queues_file=queues.yml', 'drift_report_file=%s' % backup, check=check)
        assert run.rc == 2, run.output
        assert ('%s is a backup, not a drift; a backup is never overwritten (it is what undoes an apply): give another '
                'path' % backup) in run.output
        assert backup.read_bytes() == before and mode(backup) == 0o600
    run = playbook(ansible, sim, 'rollback', 'backup_file=%s' % backup)
    assert run.rc == 0 and sim.queues(ACME)[1001226]['strategy'] == 1, run.output


def no_raw_controls(text):
    """Nothing in ``text`` that acts on a terminal: no ESC or other C0/C1 control (but newline), no bidi control."""
    return not any((ord(c) < 32 and c not in '\n\t') or 0x7f <= ord(c) <= 0x9f or c in '\u202a\u202b\u202c\u202d\u202e'
                   '\u2066\u2067\u2068\u2069\u061c\u200e\u200f' for c in text)


def test_queue_names_cannot_rewrite_the_terminal_or_a_review(sim, ansible):
    workdir = ansible.workdir
    sim.set_queue(ACME, 1001226, callinName=HOSTILE)
    sim.set_queue(ACME, 1001201, callinName='sales\u202eevil\x9b2J')
    sim.set_queue(ACME, 1001202, callinName='billing\nPLAY RECAP: forged\r\x85\u2028line')
    write_queues(workdir / 'queues.yml', [dict(id=1001226, max_wait_sec=1), dict(id=1001201, max_wait_sec=2),
                                          dict(id=1001202, max_wait_sec=3)])
    write_queues(workdir / 'renamed.yml', [dict(id=1001226, name='test', max_wait_sec=1), dict(id=1001201, max_wait_sec=2)])
    for result_format in ('json', 'yaml'):
        env = dict(ANSIBLE_CALLBACK_RESULT_FORMAT=result_format)
        # The diff of a dry run (its headers and records), the lines the role prints, and the error the play fails with.
        run = playbook(ansible, sim, 'apply', 'queues_file=queues.yml', check=True, diff=True, env=env)
        assert run.rc == 0, run.output
        failing = playbook(ansible, sim, 'apply', 'queues_file=renamed.yml', check=True, diff=True, env=env)
        assert failing.rc == 2, failing.output
        for output in (run.output, failing.output):
            assert no_raw_controls(output), [line for line in output.splitlines() if not no_raw_controls(line)]
            assert not any(line.startswith('PLAY RECAP: ') for line in output.splitlines())
        assert '--- before: queue 1001226 (x\\x1b[2J\\x1b[3J\\x1b[HPLAY RECAP: nothing to change)' in run.output
        lines = run.result('alohub.callcenter.inbound_queues : Show what changed, per queue and setting')['msg']
        assert 'would change: queue 1001201 (sales\\u202eevil\\x9b2J): max_wait_sec 60 -> 2' in lines
        assert 'would change: queue 1001202 (billing\\x0aPLAY RECAP: forged\\x0d\\x85\\u2028line): max_wait_sec null -> 3 ' \
            '(cannot be undone through the API: it cannot clear a setting)' in lines
        error, = [t['result']['msg'] for t in failing.tasks if t['status'] == 'failed']
        assert ('queue 1001226 (x\\x1b[2J\\x1b[3J\\x1b[HPLAY RECAP: nothing to change) is named "x\\u001b[2J' in error)
    # The export holds the names exactly, with every such character escaped in its quotes: a pull request shows them
    # as they are, and they read back the same (export -> apply sends nothing).
    run = playbook(ansible, sim, 'export', 'queues_file=export.yml')
    assert run.rc == 0, run.output
    text = (workdir / 'export.yml').read_text(encoding='utf-8')
    assert no_raw_controls(text) and '\r' not in text
    assert 'name: !unsafe "sales\\u202Eevil\\x9B2J"' in text
    assert 'name: !unsafe "x\\x1B[2J\\x1B[3J\\x1B[HPLAY RECAP: nothing to change"' in text
    names = dict((e['id'], e['name']) for e in load_data(workdir / 'export.yml')['alohub_inbound_queues'])
    assert names[1001226] == HOSTILE and names[1001201] == 'sales\u202eevil\x9b2J'
    run = playbook(ansible, sim, 'apply', 'queues_file=export.yml')
    assert run.rc == 0 and puts(run) == [], run.output


def test_one_control_character_keeps_junit_valid(sim, ansible):
    workdir = ansible.workdir
    sim.set_queue(ACME, 1001226, callinName='esc\x1bname', strategy=3)
    write_queues(workdir / 'queues.yml', [dict(id=1001226, strategy=1)])
    run = playbook(ansible, sim, 'drift', 'queues_file=queues.yml', 'drift_junit_file=drift.xml', 'strict=true')
    assert run.rc == 0, run.output
    ElementTree.parse(str(workdir / 'drift.xml'))
    suite, = list(junitparser.JUnitXml.fromfile(str(workdir / 'drift.xml')))
    names = [case.name for case in suite]
    assert 'queue 1001226 (esc\\x1bname)' in names and all(name.isprintable() for name in names)


def test_the_reviewed_header_is_bound_to_the_plan(sim, ansible):
    workdir = ansible.workdir
    sim.set_queue(ACME, 1001201, callinName='sales\n# queue 1001226 (test): strategy 1 (normal) -> 1 (normal)\r')
    write_queues(workdir / 'queues.yml', [dict(id=1001226, max_wait_sec=999), dict(id=1001201, max_wait_sec=5)])
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    text = (workdir / 'plan.yml').read_text()
    header = [line for line in text.splitlines() if line.startswith('# queue')]
    assert header == ['# queue 1001226 (test): max_wait_sec 120 -> 999',
                      '# queue 1001201 (sales\\x0a# queue 1001226 (test): strategy 1 (normal) -> 1 (normal)\\x0d): '
                      'max_wait_sec 60 -> 5']   # one line per setting, whatever a name holds
    # The data edited under an unchanged header: another setting, another queue. Nothing is sent.
    edited = text.replace('max_wait_sec: 120\n', 'max_wait_sec: 120\n      strategy: 1\n', 1)
    edited = edited.replace('max_wait_sec: 999', 'max_wait_sec: 999\n      strategy: 99', 1)
    edited = edited.replace('alohub_plan:\n', 'alohub_plan:\n  - id: 1001202\n    name: !unsafe "billing"\n    before:\n'
                            '      strategy: 1\n    after:\n      strategy: 99\n', 1)
    (workdir / 'plan.yml').write_text(edited)
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 2 and puts(run) == [], run.output
    assert 'the plan plan.yml was edited after it was made (its digest does not match its items and metadata), so ' \
           'nothing was sent: make a new plan and review it again' in run.output


def test_small_files_cannot_exhaust_the_controller(sim, ansible):
    workdir = ansible.workdir
    lines = ['alohub_plan_meta: {kind: plan}', 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += ['a%d: &a%d [%s]' % (n, n, ', '.join(['*a%d' % (n - 1)] * 9)) for n in range(1, 9)]
    lines += ['alohub_plan: *a8']
    (workdir / 'bomb.yml').write_text('\n'.join(lines) + '\n')
    assert (workdir / 'bomb.yml').stat().st_size < 600
    started = time.monotonic()
    run = playbook(ansible, sim, 'apply', 'plan_file=bomb.yml')
    assert run.rc == 2 and run.all_requests == [], run.output
    assert '%s line 2: a YAML anchor (&a0); queues files and plans do not use anchors or aliases' % (workdir / 'bomb.yml') \
        in run.output
    item = '  - {id: %d, before: {strategy: 1}, after: {strategy: 2}}\n'
    (workdir / 'huge.yml').write_text('alohub_plan_meta: {kind: plan}\nalohub_plan:\n' + ''.join(
        item % (1000000 + n) for n in range(100000)))
    run = playbook(ansible, sim, 'apply', 'plan_file=huge.yml')
    assert run.rc == 2 and run.all_requests == [], run.output
    assert 'huge.yml holds a list of 100000 items; the most a queues file or plan needs is 50000' in run.output
    print('alias bomb and 100,000-item plan refused in %.1f s together' % (time.monotonic() - started))


def test_odd_records_stay_readable(sim, ansible):
    workdir = ansible.workdir
    sim.set_queue(ACME, 1001226, callinName='lone \ud800 surrogate')
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    # JSON carries the lone surrogate, UTF-8 (and so no module result or file) cannot: it is written as its escape,
    # which reads back, compares and round-trips as that text.
    assert 'name: !unsafe "lone \\\\ud800 surrogate"' in (workdir / 'queues.yml').read_text()
    for step in (['plan', 'queues_file=queues.yml', 'plan_file=plan.yml'], ['drift', 'queues_file=queues.yml'],
                 ['apply', 'queues_file=queues.yml']):
        run = playbook(ansible, sim, *step)
        assert run.rc == 0 and puts(run) == [], (step, run.output)
    # Nine names of 1 MB: a page of 100 queues is over the 8 MiB an answer may have; smaller pages are read instead.
    for n in range(9):
        sim.set_queue(ACME, 1001230 + n, callinName='%d' % n + 'n' * 1000000)
    run = playbook(ansible, sim, 'export', 'queues_file=big.yml')
    assert run.rc == 0, run.output
    assert 'the queue list was read 50 queues per page instead of 100' in run.output or \
        'queues per page instead of 100' in run.output
    assert len(load_data(workdir / 'big.yml')['alohub_inbound_queues']) == 42
