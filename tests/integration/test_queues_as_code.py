"""Queues as code, the whole life cycle, through real ansible-playbook against the simulator.

export -> validate (offline, no key) -> plan -> apply the plan exactly (a backup) -> rollback; a
plan that went stale, a plan for another tenant, a plan that would clear a setting; drift, strict
drift, its YAML and JUnit reports and the set_stats an AWX workflow reads (through ansible-runner,
the way AWX reads artifacts); and what a queue name shaped like a template does (nothing).
Every change is run in check mode, for real, and again.
"""

import json
import os
import shutil

import junitparser
import pytest
import yaml

from ansible.parsing.dataloader import DataLoader

from conftest import ACME, ACME_KEY, BIN, GLOBEX_KEY, REPO

PLAYBOOKS = REPO / 'playbooks'
LIST = '/v1/queues/inbound'


def item(queue_id):
    return '%s/%d' % (LIST, queue_id)


def puts(run):
    return [(e['path'], e['body']) for e in run.requests(method='PUT')]


def connection(sim, key=ACME_KEY):
    return {'ALOHUB_API_URL': sim.url, 'ALOHUB_API_KEY': key}


def load(path):
    """A file the playbooks wrote, as Ansible reads it, as plain data."""
    return json.loads(json.dumps(DataLoader().load_from_file(str(path))))


def shown(run, task):
    return run.result(task)['msg']


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


WANTED = [dict(id=1001226, strategy='vip', max_wait_sec=180), dict(id=1001201, announce_position=True),
          dict(id=1001202, max_wait_sec=90)]


def test_plan_apply_exactly_backup_rollback(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    seed = sim.queues(ACME)
    assert seed[1001202]['timeWait'] is None  # not set before: a rollback cannot clear it again

    # plan.yml: check mode, nothing sent; the plan file holds the changes and where they were planned.
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    assert puts(run) == [] and [e['method'] for e in run.all_requests] == ['GET']
    lines = shown(run, 'Show the plan, one line per queue and setting')
    assert lines == ['3 queue entries: 3 would change, 0 unchanged, 0 failed (check mode: nothing was sent)',
                     'would change: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
                     'would change: queue 1001226 (test): max_wait_sec 120 -> 180',
                     'would change: queue 1001201 (sales): announce_position false -> true',
                     'would change: queue 1001202 (billing): max_wait_sec null -> 90']
    text = (workdir / 'plan.yml').read_text()
    assert '# queue 1001226 (test): strategy 1 (normal) -> 2 (vip)\n' in text  # a reviewer reads it in the PR
    plan = load(workdir / 'plan.yml')
    assert plan['alohub_plan'] == [
        dict(id=1001226, name='test', before=dict(strategy=1, max_wait_sec=120), after=dict(strategy=2, max_wait_sec=180)),
        dict(id=1001201, name='sales', before=dict(announce_position=False), after=dict(announce_position=True)),
        dict(id=1001202, name='billing', before=dict(max_wait_sec=None), after=dict(max_wait_sec=90))]
    meta = plan['alohub_plan_meta']
    assert (meta['kind'], meta['api_url'], meta['tenant_id']) == ('plan', sim.url, None)
    assert meta['queues_file'] == str(workdir / 'queues.yml') and len(meta['queues_file_sha256']) == 64
    assert meta['created'].endswith('Z')
    assert sim.queues(ACME) == seed

    # apply.yml -e plan_file in check mode: nothing sent, no backup.
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml', check=True)
    assert run.rc == 0, run.output
    assert puts(run) == [] and backups(workdir) == []

    # For real: exactly the planned PUTs, and a backup of what changed.
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    assert sorted(puts(run)) == [(item(1001201), {'announce_position': '1'}), (item(1001202), {'max_wait_sec': '90'}),
                                 (item(1001226), {'strategy': 2, 'max_wait_sec': '180'})]
    backup, = backups(workdir)
    assert backup.name.startswith('127.0.0.1-') and backup.name.endswith('Z.yml')
    assert shown(run, 'alohub.callcenter.inbound_queues : Say where the backup is') == \
        'backup of 3 changed queue(s): %s' % backup
    saved = load(backup)
    assert saved['alohub_plan_meta']['kind'] == 'backup' and saved['alohub_plan_meta']['api_url'] == sim.url
    assert saved['alohub_plan'][0] == dict(id=1001226, name='test', before=dict(strategy=2, max_wait_sec=180),
                                           after=dict(strategy=1, max_wait_sec=120))

    # Again: the tenant no longer holds what the plan started from, so it is stale: nothing sent.
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 2 and puts(run) == [] and len(backups(workdir)) == 1, run.output
    assert 'the plan is stale, so nothing was sent' in run.output

    # rollback.yml: the backup sets max_wait_sec of 1001202 back to null, which the API cannot do: it
    # says so before anything is sent, naming the setting and what to do.
    run = playbook(ansible, sim, 'rollback', 'backup_file=%s' % backup)
    assert run.rc == 2 and run.all_requests == [], run.output
    assert ('the plan sets settings back to null, which the API cannot do (it cannot clear a setting), so nothing was '
            'sent: plan[2] (queue 1001202 (billing)): max_wait_sec back to null (it is 90). Set those settings by hand in '
            'the AloHub UI, or edit the plan to give them a value') in run.output

    # Without that item, the rollback restores the other two: check mode, real, rerun.
    saved['alohub_plan'] = saved['alohub_plan'][:2]
    trimmed = workdir / 'rollback.yml'
    trimmed.write_text(yaml.safe_dump(saved, sort_keys=False))
    run = playbook(ansible, sim, 'rollback', 'backup_file=%s' % trimmed, check=True)
    assert run.rc == 0 and puts(run) == [], run.output
    run = playbook(ansible, sim, 'rollback', 'backup_file=%s' % trimmed)
    assert run.rc == 0, run.output
    assert sorted(puts(run)) == [(item(1001201), {'announce_position': '0'}),
                                 (item(1001226), {'strategy': 1, 'max_wait_sec': '120'})]
    now = sim.queues(ACME)
    assert now[1001226] == seed[1001226] and now[1001201] == seed[1001201]
    assert len(backups(workdir)) == 2  # the rollback can be undone too
    run = playbook(ansible, sim, 'rollback', 'backup_file=%s' % trimmed)
    assert run.rc == 2 and puts(run) == [] and 'stale' in run.output


def test_a_plan_that_went_stale_sends_nothing(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    sim.set_queue(ACME, 1001226, timeWait='150')      # someone changed it in the UI after the review
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml')
    assert run.rc == 2 and puts(run) == [] and backups(workdir) == [], run.output
    assert 'queue 1001226 (test): max_wait_sec is 150 now, was 120 when planned' in run.output
    assert sim.queues(ACME)[1001201]['nguongRanhRoi'] != '1'  # not even the queues that did not move


def test_a_plan_for_another_tenant_is_refused(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    run = playbook(ansible, sim, 'plan', 'queues_file=queues.yml', 'plan_file=plan.yml')
    assert run.rc == 0, run.output
    run = playbook(ansible, sim, 'apply', 'plan_file=plan.yml', 'alohub_tenant_id=20260311', key=GLOBEX_KEY)
    assert run.rc == 2 and run.all_requests == [], run.output
    assert 'This plan was made for %s (tenant from the key), not for %s (tenant 20260311): nothing was sent' % (
        sim.url, sim.url) in run.output


def test_a_misspelt_variable_fails_instead_of_passing_silently(sim, ansible):
    write_queues(ansible.workdir / 'queues.yml', WANTED)
    run = playbook(ansible, sim, 'drift', 'fail_on_drfit=true')
    assert run.rc == 2 and run.all_requests == [], run.output
    assert 'Unknown variable fail_on_drfit (did you mean fail_on_drift?)' in run.output
    run = playbook(ansible, sim, 'drift', 'strict=maybe')
    assert run.rc == 2 and run.all_requests == [] and "strict" in run.output, run.output


def test_strict_drift_reports_what_the_file_misses_and_what_ci_reads(sim, ansible):
    workdir = ansible.workdir
    run = playbook(ansible, sim, 'export', 'queues_file=queues.yml')
    assert run.rc == 0, run.output
    # After the export: a queue created in the UI, a setting set that was null, a queue deleted,
    # and a setting changed.
    sim.set_queue(ACME, 1009999, callinName='created-in-ui', strategy=1)
    sim.set_queue(ACME, 1001202, timeWait='45')
    sim.delete_queue(ACME, 1001203)
    sim.set_queue(ACME, 1001226, strategy=3)
    args = ['queues_file=queues.yml', 'drift_report_file=report.yml', 'drift_junit_file=report.xml']

    run = playbook(ansible, sim, 'drift', *args)
    assert run.rc == 0 and run.recap['changed'] == 0 and puts(run) == [], run.output
    report = load(workdir / 'report.yml')
    assert (report['status'], report['strict'], report['drifted'], report['failed']) == ('drift', False, 2, 0)
    assert report['drifted_ids'] == [1001203, 1001226]  # not strict: the UI queue and the null setting are not seen

    run = playbook(ansible, sim, 'drift', 'strict=true', 'fail_on_drift=true', *args)
    assert run.rc == 2 and run.recap['changed'] == 0 and puts(run) == [], run.output
    assert [t['task'] for t in run.tasks if t['status'] == 'failed'] == ['Fail because the tenant drifted from the file']
    report = load(workdir / 'report.yml')
    assert (report['status'], report['strict'], report['drifted'], report['unmanageable']) == ('drift', True, 4, 2)
    statuses = dict((q['id'], q['status']) for q in report['queues'] if q['status'] != 'ok')
    assert statuses == {1001202: 'drift', 1001203: 'missing', 1001226: 'drift', 1009999: 'unmanaged'}
    suite, = list(junitparser.JUnitXml.fromfile(str(workdir / 'report.xml')))
    assert (suite.tests, suite.failures, suite.errors) == (43, 4, 0)
    failures = dict((case.name, case.result[0].type) for case in suite if case.result)
    assert failures == {'queue 1001202 (billing)': 'drift', 'queue 1001203 (support)': 'missing',
                        'queue 1001226 (test)': 'drift', 'queue 1009999 (created-in-ui)': 'drift'}


def test_a_failed_check_is_not_drift_and_still_writes_the_reports(sim, ansible):
    workdir = ansible.workdir
    write_queues(workdir / 'queues.yml', WANTED)
    args = ['queues_file=queues.yml', 'drift_report_file=report.yml', 'drift_junit_file=report.xml']
    run = playbook(ansible, sim, 'drift', *args, key='sk_test_not_a_key')
    assert run.rc == 2 and run.recap['changed'] == 0, run.output
    assert [t['task'] for t in run.tasks if t['status'] == 'failed'] == [
        'Fail because the drift check itself failed (this is not drift)']
    report = load(workdir / 'report.yml')
    assert report['status'] == 'error' and 'HTTP 401 UNAUTHORIZED' in report['error'] and report['queues'] == []
    suite, = list(junitparser.JUnitXml.fromfile(str(workdir / 'report.xml')))
    case, = list(suite)
    assert case.name == 'drift check' and isinstance(case.result[0], junitparser.Error)
    # A queues file that is not there is a failed check too, reported the same way.
    (workdir / 'report.yml').unlink()
    run = playbook(ansible, sim, 'drift', 'queues_file=nope.yml', 'drift_report_file=report.yml')
    assert run.rc == 2 and run.all_requests == [], run.output
    assert load(workdir / 'report.yml')['status'] == 'error'


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
    exported = load(workdir / 'queues.yml')['alohub_inbound_queues']
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
    assert json.loads(lines[1]) == dict(id=1001226, name=None, body=dict(strategy=2, max_wait_sec='180'))
    write_queues(workdir / 'queues.yml', [dict(id=1001226, strategy=1, strategy_name='vip')])
    run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=queues.yml'])
    assert run.rc == 2 and "config[0].strategy_name is 'vip' but config[0].strategy is 1 (normal)" in run.output


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
    result = ansible_runner.run(private_data_dir=str(private), playbook='playbooks/drift.yml', inventory=inventory,
                                envvars=envvars, extravars={'queues_file': 'queues.yml'}, ident='drift', quiet=True,
                                suppress_env_files=True)
    assert result.status == 'successful', (private / 'artifacts' / 'drift' / 'stdout').read_text()
    # AWX stores a job's set_stats as its artifacts from the playbook_on_stats event's artifact_data, and a
    # workflow node's later jobs get them as extra variables.
    stats_event, = [e for e in result.events if e.get('event') == 'playbook_on_stats']
    stats = stats_event['event_data']['artifact_data']['alohub_drift']
    assert (stats['status'], stats['drifted'], stats['failed'], stats['entries']) == ('drift', 3, 0, 3)
    assert sorted(stats['drifted_ids']) == [1001201, 1001202, 1001226] and stats['error'] is None
