"""Queues as code, the whole life cycle, through real ansible-playbook against the simulator.

export -> validate (offline, no key) -> plan -> apply the plan exactly (a backup written before the
first update) -> a retried apply (already applied) -> rollback (latest, twice); every input named and
bound to its tenant; irreversible changes named at plan time; drift that says what it saw, in its YAML
and JUnit reports and the set_stats an AWX workflow reads (through ansible-runner, the way AWX reads
artifacts); and what a queue name shaped like a template does (nothing). Every change is run in check
mode, for real, and again.

(Files and terminals as a trust boundary: test_files_and_terminals.py. Killed and cancelled runs:
test_crash_trials.py.)
"""

import json
import os
import shutil

import junitparser
import pytest
import yaml

from conftest import ACME, ACME_KEY, BIN, GLOBEX, GLOBEX_KEY, REPO
from alohub_test.playbook import load_data

# The playbooks, the role and interrupted runs: on the newest and the oldest ansible-core line (tests/pytest.ini).
pytestmark = pytest.mark.template_engine

PLAYBOOKS = REPO / 'playbooks'
LIST = '/v1/queues/inbound'
SHOW = 'alohub.callcenter.inbound_queues : Show what changed, per queue and setting'
IRREVERSIBLE = '(cannot be undone through the API: it cannot clear a setting)'


def item(queue_id):
    return '%s/%d' % (LIST, queue_id)


def puts(run):
    return [(e['path'], e['body']) for e in run.requests(method='PUT')]


def connection(sim, key=ACME_KEY):
    return {'ALOHUB_API_URL': sim.url, 'ALOHUB_API_KEY': key}


def shown(run, task):
    return run.result(task)['msg']


def statuses(run):
    """{queue id: status} of the run's inbound_queues task (the one result that has per-entry results)."""
    found = [t['result'] for t in run.tasks if isinstance((t.get('result') or {}).get('results'), list)
             and 'summary' in t['result']]
    assert len(found) == 1, [t['task'] for t in run.tasks]
    return dict((r.get('id'), r.get('status')) for r in found[0]['results'])


def playbook(ansible, sim, name, *args, check=False, env=None, key=ACME_KEY):
    extra = []
    for arg in args:
        extra += ['-e', arg]
    return ansible.run_playbook(PLAYBOOKS / ('%s.yml' % name), env=dict(connection(sim, key), **(env or {})),
                                args=extra, check=check)


def write_queues(path, entries):
    path.write_text(yaml.safe_dump({'alohub_inbound_queues': entries}, sort_keys=False))


def backups(workdir):
    folder = workdir / 'alohub-backups'
    return sorted(folder.glob('*.yml')) if folder.exists() else []


def failed_tasks(run):
    return [t['task'] for t in run.tasks if t['status'] == 'failed']


WANTED = [dict(id=1001226, strategy='vip', max_wait_sec=180), dict(id=1001201, announce_position=True),
          dict(id=1001202, max_wait_sec=90)]


def test_plan_apply_exactly_retry_backup_rollback_latest_twice(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    seed = sim.queues(ACME)
    assert seed[1001202]['timeWait'] is None  # not set before: a rollback cannot clear it again

    # plan.yml: check mode, nothing sent; the plan file says what it is, whom it is for, and what cannot be undone.
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    assert puts(run) == [] and [e['method'] for e in run.all_requests] == ['GET']
    lines = shown(run, 'Show the plan, one line per queue and setting')
    assert lines == ['3 queue entries: 3 would change, 0 unchanged, 0 failed (check mode: nothing was sent)',
                     'would change: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
                     'would change: queue 1001226 (test): max_wait_sec 120 -> 180',
                     'would change: queue 1001201 (sales): announce_position false -> true',
                     'would change: queue 1001202 (billing): max_wait_sec null -> 90 ' + IRREVERSIBLE]
    text = (workdir / 'plan.yml').read_text()
    assert '# queue 1001226 (test): strategy 1 (normal) -> 2 (vip)\n' in text  # a reviewer reads it in the PR
    assert '# queue 1001202 (billing): max_wait_sec null -> 90 %s\n' % IRREVERSIBLE in text
    plan = load_data(workdir / 'plan.yml')
    assert list(plan) == ['alohub_plan_meta', 'alohub_plan']
    assert plan['alohub_plan'] == [
        dict(id=1001226, name='test', before=dict(strategy=1, max_wait_sec=120), after=dict(strategy=2, max_wait_sec=180)),
        dict(id=1001201, name='sales', before=dict(announce_position=False), after=dict(announce_position=True)),
        dict(id=1001202, name='billing', before=dict(max_wait_sec=None), after=dict(max_wait_sec=90))]
    meta = plan['alohub_plan_meta']
    assert (meta['kind'], meta['api_url'], meta['tenant_id']) == ('plan', sim.url, None)
    assert meta['tenant_queue_ids'] == [1001200, 1001201, 1001202, 1001203, 1001204]
    assert meta['queues_file'] == str(workdir / 'queues.yml') and len(meta['queues_file_sha256']) == 64
    assert meta['created'].endswith('Z') and meta['digest'].startswith('sha256:')
    assert meta['irreversible'] == ['queue 1001202 (billing) max_wait_sec']
    assert oct((workdir / 'plan.yml').stat().st_mode & 0o777) == '0o600'
    assert sim.queues(ACME) == seed

    # apply.yml -e plan_file in check mode: nothing sent, no backup.
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml', check=True)
    assert run.rc == 0, run.output
    assert puts(run) == [] and backups(workdir) == []

    # For real: exactly the planned PUTs, and a backup, named after the tenant, of what changed.
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    assert sorted(puts(run)) == [(item(1001201), {'announce_position': '1'}), (item(1001202), {'max_wait_sec': '90'}),
                                 (item(1001226), {'strategy': 2, 'max_wait_sec': '180'})]
    backup, = backups(workdir)
    assert backup.name.startswith('tenant-of-queue-1001200-') and backup.name.endswith('Z.yml')
    assert shown(run, SHOW)[-1] == 'backup of what changed: %s' % backup
    saved = load_data(backup)
    assert (saved['alohub_plan_meta']['kind'], saved['alohub_plan_meta']['operation']) == ('backup', 'apply')
    assert saved['alohub_plan_meta']['undoes']['digest'] == meta['digest']
    assert saved['alohub_backup_accepted'] == [1001226, 1001201, 1001202] or sorted(
        saved['alohub_backup_accepted']) == [1001201, 1001202, 1001226]
    assert saved['alohub_plan'][0] == dict(id=1001226, name='test', before=dict(strategy=2, max_wait_sec=180),
                                           after=dict(strategy=1, max_wait_sec=120))

    # Again (a CI retry): every queue holds what the plan sets, so nothing is sent, and it succeeds.
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 0 and puts(run) == [] and run.recap['changed'] == 0 and len(backups(workdir)) == 1, run.output
    assert shown(run, SHOW)[1] == 'already applied: every queue of the plan holds its "after" values, so nothing was sent'

    # rollback.yml -e backup_file=latest: in check mode nothing is sent; for real it restores the two settings it
    # can, then fails naming the one the API cannot clear.
    run = playbook(ansible, sim, 'rollback', 'backup_file=latest', check=True)
    assert run.rc == 0 and puts(run) == [], run.output
    assert statuses(run) == {1001226: 'would_change', 1001201: 'would_change', 1001202: 'unrestorable'}
    run = playbook(ansible, sim, 'rollback', 'backup_file=latest')
    assert run.rc == 2, run.output
    assert sorted(puts(run)) == [(item(1001201), {'announce_position': '0'}),
                                 (item(1001226), {'strategy': 1, 'max_wait_sec': '120'})]
    assert failed_tasks(run) == [
        'alohub.callcenter.inbound_queues : Fail when some queue entries failed, or overridden found what the API cannot fix']
    assert ('queue 1001202 (billing): cannot restore max_wait_sec back to null: the API cannot clear a setting; clear it '
            'in the AloHub UI') in run.output
    assert statuses(run) == {1001226: 'changed', 1001201: 'changed', 1001202: 'unrestorable'}
    now = sim.queues(ACME)
    assert now[1001226] == seed[1001226] and now[1001201] == seed[1001201] and now[1001202]['timeWait'] == '90'
    assert len(backups(workdir)) == 2  # the rollback can be undone too

    # The same command again: latest is still the apply's backup (never the rollback's own): nothing is sent.
    run = playbook(ansible, sim, 'rollback', 'backup_file=latest')
    assert run.rc == 2 and puts(run) == [] and run.recap['changed'] == 0, run.output
    assert shown(run, 'Show what the file holds')[0].startswith('%s: a backup of 3 queue(s)' % backup)
    assert 'cannot restore max_wait_sec back to null' in run.output and len(backups(workdir)) == 2
    assert sim.queues(ACME)[1001226] == seed[1001226]


def test_every_input_is_named_and_nothing_is_applied_by_default(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    for args, says in [
            ((), 'apply.yml applies exactly one input: -e plan_file=PLAN (a reviewed plan, as plan.yml writes) or -e '
                 'queues_file=FILE (a queues file); neither was given; nothing was sent'),
            (('plan=plan.yml',), 'This playbook does not take -e plan (did you mean plan_file?); nothing was sent. It '
                                 'takes plan_file, queues_file, overlay_file, backup_dir, alohub_inbound_queues_parallel, '
                                 'and the connection variables alohub_environment, alohub_api_url'),
            (('reviewed_plan=plan.yml',), 'This playbook does not take -e reviewed_plan; nothing was sent.'),
            (('plan_path=plan.yml', 'queues=queues.yml'), 'does not take -e plan_path, queues (did you mean queues_file?)'),
            (('plan_file=plan.yml', 'queues_file=queues.yml'), 'apply.yml applies exactly one input: -e plan_file=PLAN'),
            (('plan_file=plan.yml', 'backup_dir='),
             'backup_dir is empty: apply.yml always writes a backup before it changes anything'),
            (('{"alohub_inbound_queues": [{"id": 1001226, "strategy": 3}]}',),
             'does not take -e alohub_inbound_queues (that is what a queues file holds: name the file instead); nothing was sent')]:
        run = playbook(ansible, sim, 'apply', *args)
        assert run.rc == 2 and run.all_requests == [], (args, run.output)
        assert says in run.output, (args, run.output[-1500:])
    assert sim.queues(ACME)[1001226]['strategy'] == 1
    # A plan is not a backup: rollback.yml refuses it (it would apply the change, not undo it).
    run = playbook(ansible, sim, 'rollback', 'backup_file=plan.yml')
    assert run.rc == 2 and run.all_requests == [], run.output
    assert 'plan.yml is a plan file, not a backup (a backup, as playbooks/apply.yml writes' in run.output
    # Ansible's and AWX's own variables are fine.
    run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=queues.yml', '-e', 'awx_job_id=7',
                                                                 '-e', 'tower_job_id=7', '-e', 'ansible_verbosity=0'])
    assert run.rc == 0, run.output


def test_files_know_their_tenant(sim, ansible):
    workdir = ansible.workdir
    # The tenant of the key writes its export; the export of another key's tenant does not replace it.
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    acme = (workdir / 'queues.yml').read_text()
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml', key=GLOBEX_KEY)
    assert run.rc == 2 and (workdir / 'queues.yml').read_text() == acme, run.output
    assert ('queues.yml is a queues file of another tenant (its queues 1001200, 1001201, 1001202... are not this '
            "tenant's, whose queues are 2002000, 2002001, 2002002...); nothing was written. Give another path, or -e "
            'force=true to replace it') in run.output
    # A queues file of one tenant is refused by another, before any update.
    run = playbook(ansible, sim, 'apply', 'queues_file=queues.yml', key=GLOBEX_KEY)
    assert run.rc == 2 and puts(run) == [], run.output
    assert ('this queues file was made for another tenant, the tenant of its key at %s (queues 1001200, 1001201, '
            '1001202...), not for the tenant of its key at %s (queues 2002000, 2002001, 2002002...): nothing was sent'
            % (sim.url, sim.url)) in run.output
    # So is a plan, even when the other side names its tenant_id.
    write_queues(workdir / 'wanted.yml', WANTED)
    run = playbook(ansible, sim, 'plan', 'queues_file=wanted.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml', 'alohub_tenant_id=%s' % GLOBEX, key=GLOBEX_KEY)
    assert run.rc == 2 and puts(run) == [], run.output
    assert ('this plan was made for another tenant, the tenant of its key at %s (queues 1001200, 1001201, 1001202...), '
            'not for tenant %s at %s (queues 2002000, 2002001, 2002002...): nothing was sent' % (sim.url, GLOBEX, sim.url)
            ) in run.output
    assert 'no longer exists' not in run.output
    # -e force=true replaces another tenant's export (never a plan or a backup).
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml', 'force=true', key=GLOBEX_KEY)
    assert run.rc == 0 and 'globex-main' in (workdir / 'queues.yml').read_text(), run.output
    run = playbook(ansible, sim, 'export', 'queues_file=plan.yml', 'force=true')
    assert run.rc == 2 and 'plan.yml is a plan, not a queues; a plan is never overwritten' in run.output


def test_a_plan_that_went_stale_sends_nothing(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    sim.set_queue(ACME, 1001226, timeWait='150')      # someone changed it in the UI after the review
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 2 and puts(run) == [] and backups(workdir) == [], run.output
    assert 'queue 1001226 (test): max_wait_sec is 150 now, was 120 when planned (and the plan sets 180)' in run.output
    assert sim.queues(ACME)[1001201]['nguongRanhRoi'] != '1'  # not even the queues that did not move


def test_offline_validation_rejects_what_apply_would(sim, ansible):
    workdir = ansible.workdir
    for text, says in [
            ('alohub_inbound_queues:\n  - {name: sales, strategy: 1}\n  - {name: sales, max_wait_sec: 60}\n',
             'queues.yml entry 1 (sales) and queues.yml entry 2 (sales) both name the queue "sales"'),
            ('alohub_inbound_queues:\n  - {id: 1001226, max_wait_sec: 017}\n',
             'line 2: YAML reads it as the number 15, not as what is written; quote it ("017")'),
            ('alohub_inbound_queues:\n  - {id: 1001226, moh_file_id: 0123}\n', 'YAML reads it as the number 83'),
            ('alohub_inbound_queues:\n  - {id: 1001226, max_wait_sec: 12:30}\n', 'YAML reads it as the number 750')]:
        (workdir / 'queues.yml').write_text(text)
        run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=queues.yml'])
        assert run.rc == 2 and run.all_requests == [] and run.says(says), run.output


def test_drift_says_what_it_saw_in_every_report(sim, ansible):
    """Each status a drift check can see, in the printed lines, the YAML report, the JUnit XML and the failure."""
    workdir = ansible.workdir
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    entries = load_data(workdir / 'queues.yml')['alohub_inbound_queues']
    # A file that names some queues by name; then the UI changes the tenant under it.
    entries = [dict(name='test', max_wait_sec=120) if e['name'] == 'test' else e for e in entries]
    (workdir / 'queues.yml').write_text(yaml.safe_dump(dict(alohub_inbound_queues=entries), sort_keys=False))
    sim.set_queue(ACME, 1009999, callinName='created-in-ui', strategy=1)   # unmanaged
    sim.set_queue(ACME, 1009998, callinName='test')                        # now "test" is ambiguous
    sim.set_queue(ACME, 1001204, callinName='renamed-in-ui')               # renamed
    sim.delete_queue(ACME, 1001205)                                        # missing
    sim.set_queue(ACME, 1001206, strategy=3)                               # drift
    sim.set_queue(ACME, 1001202, timeWait='45')                            # set where the file has null (strict)
    args = ['queues_file=queues.yml', 'strict=true', 'fail_on_drift=true', 'drift_report_file=report.yml',
            'drift_junit_file=report.xml']
    run = playbook(ansible, sim, 'drift', *args)
    assert run.rc == 2 and run.recap['changed'] == 0 and puts(run) == [], run.output
    assert failed_tasks(run) == ['Fail because the tenant drifted from the file']
    report = load_data(workdir / 'report.yml')
    assert report['alohub_file_meta']['kind'] == 'drift' and report['status'] == 'drift'
    statuses = dict((q['entry'] or q['id'], q['status']) for q in report['queues'] if q['status'] != 'ok')
    assert statuses == {'queues.yml entry 3 (billing)': 'drift', 'queues.yml entry 5 (vip)': 'renamed',
                        'queues.yml entry 6 (overflow)': 'missing', 'queues.yml entry 7 (hotline 1900)': 'drift',
                        'queues.yml entry 27 (test)': 'ambiguous', 1009999: 'unmanaged'}
    ambiguous, = [q for q in report['queues'] if q['status'] == 'ambiguous']
    assert ambiguous['id'] is None and ambiguous['matching_ids'] == [1001226, 1009998]
    assert report['drifted_ids'] == [1001202, 1001204, 1001205, 1001206, 1001226, 1009998, 1009999]
    assert None not in report['drifted_ids']
    lines = shown(run, 'Report the drift per queue')
    assert lines[0].startswith('DRIFT: 6 queue(s) drifted from queues.yml (42 entries, strict), 0 failed')
    assert ('queues.yml entry 27 (test): ambiguous: queues.yml entry 27 (test): 2 inbound queues are named "test" '
            '(ids 1001226, 1009998); use id to pick one') in lines
    assert 'queue 1009999 (created-in-ui): the queue is not in config; queues cannot be created or deleted through the API: ' \
           'add it to config, or remove it in the AloHub UI' in lines
    for text in ['\n'.join(lines), (workdir / 'report.xml').read_text(), run.result(failed_tasks(run)[0])['msg']]:
        assert 'config[' not in text and 'True' not in text and 'None' not in text and "failed_when" not in text
    suite, = list(junitparser.JUnitXml.fromfile(str(workdir / 'report.xml')))
    failures = dict((case.name, case.result[0].type) for case in suite if case.result)
    assert failures == {'queue 1001202 (billing)': 'drift', 'queue 1001204 (vip)': 'renamed',
                        'queue 1001205 (overflow)': 'missing', 'queue 1001206 (hotline 1900)': 'drift',
                        'queues.yml entry 27 (test)': 'ambiguous', 'queue 1009999 (created-in-ui)': 'unmanaged'}


def test_a_failed_check_is_not_drift_and_still_writes_the_reports(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    args = ['queues_file=queues.yml', 'drift_report_file=report.yml', 'drift_junit_file=report.xml']
    run = playbook(ansible, sim, 'drift', *args, key='sk_test_not_a_key')
    assert run.rc == 2 and run.recap['changed'] == 0, run.output
    assert failed_tasks(run) == ['Fail because the drift check itself failed (this is not drift)']
    report = load_data(workdir / 'report.yml')
    assert report['status'] == 'error' and 'HTTP 401 UNAUTHORIZED' in report['error'] and report['queues'] == []
    suite, = list(junitparser.JUnitXml.fromfile(str(workdir / 'report.xml')))
    case, = list(suite)
    assert case.name == 'drift check' and isinstance(case.result[0], junitparser.Error)
    # A queues file that is not there is a failed check too, reported the same way, in the file's own words.
    run = playbook(ansible, sim, 'drift', 'queues_file=nope.yml', 'drift_report_file=report.yml')
    assert run.rc == 2 and run.all_requests == [], run.output
    report = load_data(workdir / 'report.yml')
    assert report['status'] == 'error'
    assert report['error'] == ('%s does not exist (or is not a file); a queues file, as playbooks/export.yml writes was '
                               'expected there' % (workdir / 'nope.yml'))


def test_a_template_in_a_queue_name_never_runs(sim, ansible):
    """A name set in the UI, exported, planned, applied, drift-checked: text all the way."""
    workdir = ansible.workdir
    marker = workdir / 'pwned'
    name = '{{ lookup("ansible.builtin.pipe", "touch %s") }}' % marker
    sim.set_queue(ACME, 1001226, callinName=name, musicinQueue='0287000000')
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    text = (workdir / 'queues.yml').read_text()
    assert 'name: !unsafe "{{ lookup(\\"ansible.builtin.pipe\\", \\"touch %s\\") }}"' % marker in text
    assert 'moh_file_id: !unsafe "0287000000"' in text  # a string for a YAML 1.2 reader too
    exported = load_data(workdir / 'queues.yml')['alohub_inbound_queues']
    entry = next(e for e in exported if e['id'] == 1001226)
    assert entry['name'] == name and entry['moh_file_id'] == '0287000000'
    # A hand-written entry may hold one too: it is sent as text, never rendered.
    (workdir / 'queues.yml').write_text(text.replace('moh_file_id: !unsafe "0287000000"', 'moh_file_id: "{{ 6 * 7 }}.wav"'))
    for step in (['plan', 'queues_file=queues.yml', 'plan_file=plan.yml'], ['drift', 'queues_file=queues.yml', 'strict=true'],
                 ['apply', 'plan_file=plan.yml'], ['drift', 'queues_file=queues.yml']):
        run = playbook(ansible, sim, *step)
        assert 'Traceback' not in run.output and run.rc in (0, 2), run.output
    assert not marker.exists()
    assert sim.queues(ACME)[1001226]['musicinQueue'] == '{{ 6 * 7 }}.wav'
    assert sim.queues(ACME)[1001226]['callinName'] == name


def test_export_then_apply_sends_no_put(sim, ansible):
    """The round trip on every ansible-core line: what export writes, apply reads back unchanged."""
    sim.set_queue(ACME, 1001226, musicinQueue='0123', callinName='true')   # octal-looking and boolean-looking strings
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    for check in (True, False):
        run = playbook(ansible, sim, 'apply', 'queues_file=queues.yml', check=check)
        assert run.rc == 0 and puts(run) == [] and run.recap['changed'] == 0, run.output
    assert backups(ansible.workdir) == []


def test_validate_needs_no_key_and_no_network(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED + [dict(name='sales', strategy_name='locked')])
    run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=queues.yml'])
    assert run.rc == 0 and run.all_requests == [], run.output
    lines = shown(run, 'Say what each entry would send')
    assert lines[0] == 'queues.yml: 4 entries, all valid'
    assert json.loads(lines[1]) == dict(entry='queues.yml entry 1 (id 1001226)', id=1001226, name=None,
                                        body=dict(strategy=2, max_wait_sec='180'))
    write_queues(workdir / 'queues.yml', [dict(id=1001226, strategy=1, strategy_name='vip')])
    run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=queues.yml'])
    assert run.rc == 2 and run.says('queues.yml entry 1 (id 1001226): strategy_name is "vip" but queues.yml entry 1 '
                                    '(id 1001226): strategy is 1 (normal)'), run.output


@pytest.mark.release
def test_drift_set_stats_as_an_awx_workflow_reads_them(sim, tmp_path, collections_path, monkeypatch):
    """ansible-runner, the engine AWX runs jobs with: the artifacts a workflow node branches on."""
    import ansible_runner  # pylint: disable=import-outside-toplevel
    for name in list(os.environ):
        if name.startswith('ALOHUB_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('PATH', str(BIN) + os.pathsep + os.environ.get('PATH', ''))
    private = tmp_path / 'job'
    shutil.copytree(REPO / 'playbooks', private / 'project' / 'playbooks')
    shutil.copytree(REPO / 'roles', private / 'project' / 'roles')
    (private / 'project' / 'queues.yml').write_text(yaml.safe_dump({'alohub_inbound_queues': WANTED}))
    envvars = dict(connection(sim), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    inventory = {'all': {'hosts': {'localhost': {'ansible_connection': 'local',
                                                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}
    # AWX passes its own job variables as extra variables too: the playbook takes them.
    result = ansible_runner.run(private_data_dir=str(private), playbook='playbooks/drift.yml', inventory=inventory,
                                envvars=envvars, extravars={'queues_file': 'queues.yml', 'awx_job_id': 42,
                                                            'tower_job_id': 42, 'alohub_plan_file_b64': ''},
                                ident='drift', quiet=True, suppress_env_files=True)
    assert result.status == 'successful', (private / 'artifacts' / 'drift' / 'stdout').read_text()
    # AWX stores a job's set_stats as its artifacts from the playbook_on_stats event's artifact_data, and a
    # workflow node's later jobs get them as extra variables.
    stats_event, = [e for e in result.events if e.get('event') == 'playbook_on_stats']
    stats = stats_event['event_data']['artifact_data']['alohub_drift']
    assert (stats['status'], stats['drifted'], stats['failed'], stats['entries']) == ('drift', 3, 0, 3)
    assert sorted(stats['drifted_ids']) == [1001201, 1001202, 1001226] and stats['error'] is None
