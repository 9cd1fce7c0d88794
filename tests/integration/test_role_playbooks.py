"""The inbound_queues role and the export/apply/drift playbooks, through real ansible-playbook.

(Plans, backups, rollback, strict drift and the reports: test_queues_as_code.py.)

The playbooks are run exactly as users run them (``ansible-playbook playbooks/export.yml``, in a
scratch working directory, connection from ALOHUB_* or from the role's alohub_* variables) against
the simulator; every step is checked on what the playbook printed or wrote, on the requests the
simulator logged and on what it stored.

Fixtures (conftest.py): ``sim`` is a simulator reset to its seed, ``ansible`` runs ansible-playbook
with ANSIBLE_COLLECTIONS_PATH pointing at a temporary ansible_collections/alohub/callcenter symlink
to this repo, the venv's ansible-playbook (next to sys.executable), no ALOHUB_* variables
inherited, and the simulator's request log cleared before each run.
"""

import json

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader

from conftest import ACME, ACME_KEY, REPO, expected_config

# The playbooks, the role and interrupted runs: on the newest and the oldest ansible-core line (tests/pytest.ini).
pytestmark = pytest.mark.template_engine

PLAYBOOKS = REPO / 'playbooks'
LIST = '/v1/queues/inbound'
CONFIG_KEYS = ['id', 'name', 'strategy', 'moh_file_id', 'max_wait_sec', 'announce_position']


def item(queue_id):
    return '%s/%d' % (LIST, queue_id)


def puts(run):
    return [(e['path'], e['body']) for e in run.requests(method='PUT')]


def env_connection(sim):
    """The connection through the environment, as in `make demo` and CI."""
    return {'ALOHUB_API_URL': sim.url, 'ALOHUB_API_KEY': ACME_KEY}


def var_connection(sim):
    """The connection through the role's variables instead."""
    return ['-e', 'alohub_api_url=%s' % sim.url, '-e', 'alohub_api_key=%s' % ACME_KEY, '-e', 'alohub_tenant_id=%s' % ACME]


def shown(run, task):
    """What a debug task printed (its msg), as captured from the run."""
    return run.result(task)['msg']


def summary(run):
    return shown(run, 'alohub.callcenter.inbound_queues : Show what changed, per queue and setting')


def read_queues(path):
    """A queues file as Ansible reads it (the loader knows !unsafe), as plain data."""
    return json.loads(json.dumps(DataLoader().load_from_file(str(path))))


def backups(workdir):
    return sorted((workdir / 'alohub-backups').glob('*.yml')) if (workdir / 'alohub-backups').exists() else []


def test_export_edit_drift_apply_round_trip(sim, ansible):
    workdir = ansible.workdir
    queues_file = workdir / 'queues.yml'
    seed = sim.queues(ACME)
    assert len(seed) == 42

    # export.yml: the default file, queues.yml in the working directory, holds all 42 queues in
    # config shape, in id order, equal to what the simulator stores, every string !unsafe.
    run = ansible.run_playbook(PLAYBOOKS / 'export.yml', env=env_connection(sim))
    assert run.rc == 0, run.output
    assert puts(run) == []
    text = queues_file.read_text()
    assert '    name: !unsafe "test"\n' in text and '    strategy: 1\n' in text
    document = read_queues(queues_file)
    assert list(document) == ['alohub_file_meta', 'alohub_inbound_queues']
    meta = document['alohub_file_meta']
    assert (meta['kind'], meta['api_url'], meta['tenant_id'], meta['key_by']) == ('queues', sim.url, None, 'id')
    assert meta['tenant_queue_ids'] == sorted(seed)[:5]
    exported = document['alohub_inbound_queues']
    assert [entry['id'] for entry in exported] == sorted(seed)
    assert all(list(entry) == CONFIG_KEYS for entry in exported)
    assert exported == [expected_config(seed[queue_id]) for queue_id in sorted(seed)]
    assert shown(run, 'Report the export') == '42 of 42 queues written to %s (keyed by id)' % queues_file
    # Exported again, nothing changed: the file is left as it is.
    run = ansible.run_playbook(PLAYBOOKS / 'export.yml', env=env_connection(sim))
    assert run.rc == 0 and run.recap['changed'] == 0, run.output

    # Edit two queues, the way a person edits the file: 1001226 (test) gets two settings, one of
    # them as a strategy name; 1001201 (sales) one.
    by_id = dict((entry['id'], dict(entry)) for entry in exported)
    assert (by_id[1001226]['strategy'], by_id[1001226]['max_wait_sec']) == (1, 120)
    assert by_id[1001201]['announce_position'] is False
    by_id[1001226].update(strategy='vip', max_wait_sec=180)
    by_id[1001201]['announce_position'] = True
    queues_file.write_text(yaml.safe_dump({'alohub_file_meta': meta, 'alohub_inbound_queues': [by_id[i] for i in sorted(by_id)]},
                                          sort_keys=False))

    # drift.yml with fail_on_drift=true and a report file: exactly those two queues, with the
    # settings that differ, in the printed report, in the report file and in the failure; nothing sent.
    report_file = workdir / 'drift-report.yml'
    run = ansible.run_playbook(PLAYBOOKS / 'drift.yml', env=env_connection(sim), args=[
        '-e', 'queues_file=queues.yml', '-e', 'fail_on_drift=true', '-e', 'drift_report_file=%s' % report_file])
    assert run.rc == 2, run.output
    assert puts(run) == [] and run.recap['changed'] == 0
    assert shown(run, 'Report the drift per queue') == [
        'DRIFT: 2 queue(s) drifted from queues.yml (42 entries), 0 failed; live value -> value in the file',
        'queue 1001201 (sales): announce_position false -> true',
        'queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
        'queue 1001226 (test): max_wait_sec 120 -> 180',
    ]
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert [t['task'] for t in failed] == ['Fail because the tenant drifted from the file']
    assert failed[0]['result']['msg'] == ('2 queue(s) drifted from queues.yml: queue 1001201 (sales): announce_position '
                                          'false -> true; queue 1001226 (test): strategy 1 (normal) -> 2 (vip); queue '
                                          '1001226 (test): max_wait_sec 120 -> 180')
    report = read_queues(report_file)
    assert (report['status'], report['entries'], report['drifted'], report['failed']) == ('drift', 42, 2, 0)
    assert report['drifted_ids'] == [1001201, 1001226]
    drifted = [q for q in report['queues'] if q['status'] != 'ok']
    assert [(q['id'], q['name'], q['changes']) for q in drifted] == [
        (1001201, 'sales', [dict(setting='announce_position', before=False, after=True)]),
        (1001226, 'test', [dict(setting='strategy', before=1, after=2), dict(setting='max_wait_sec', before=120, after=180)]),
    ]
    assert sim.queues(ACME) == seed

    # apply.yml (connection through the role's variables): one PUT per edited queue, with only
    # the fields that changed, in wire form; the other 40 queues untouched; a backup of what changed.
    run = ansible.run_playbook(PLAYBOOKS / 'apply.yml', args=var_connection(sim) + ['-e', 'queues_file=queues.yml'])
    assert run.rc == 0, run.output
    assert sorted(puts(run)) == [
        (item(1001201), {'announce_position': '1'}),
        (item(1001226), {'strategy': 2, 'max_wait_sec': '180'}),
    ]
    assert all(e['tenant_header'] == ACME for e in run.all_requests)
    assert summary(run) == [
        '42 queue entries: 2 changed, 40 unchanged, 0 failed',
        'changed: queue 1001201 (sales): announce_position false -> true',
        'changed: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)',
        'changed: queue 1001226 (test): max_wait_sec 120 -> 180',
        'backup of what changed: %s' % backups(workdir)[0],
    ]
    backup, = backups(workdir)
    assert backup.name.startswith('tenant-%s-' % ACME)
    assert read_queues(backup)['alohub_plan'] == [
        dict(id=1001201, name='sales', before=dict(announce_position=True), after=dict(announce_position=False)),
        dict(id=1001226, name='test', before=dict(max_wait_sec=180, strategy=2), after=dict(max_wait_sec=120, strategy=1))]
    expected = dict((queue_id, dict(record)) for queue_id, record in seed.items())
    expected[1001226].update(strategy=2, timeWait='180')
    expected[1001201].update(nguongRanhRoi='1')
    stored = sim.queues(ACME)
    assert [expected_config(stored[i]) for i in sorted(stored)] == [expected_config(expected[i]) for i in sorted(expected)]

    # apply.yml again: nothing to do, nothing sent, no backup.
    run = ansible.run_playbook(PLAYBOOKS / 'apply.yml', args=var_connection(sim) + ['-e', 'queues_file=queues.yml'])
    assert run.rc == 0, run.output
    assert run.recap['changed'] == 0
    assert puts(run) == [] and len(backups(workdir)) == 1
    assert summary(run) == ['42 queue entries: 0 changed, 42 unchanged, 0 failed']

    # drift.yml: clean now, even with fail_on_drift=true.
    run = ansible.run_playbook(PLAYBOOKS / 'drift.yml', env=env_connection(sim), args=['-e', 'fail_on_drift=true'])
    assert run.rc == 0 and run.recap['changed'] == 0, run.output
    assert puts(run) == []
    assert shown(run, 'Report the drift per queue') == ['No drift: the 42 queue entries of queues.yml match the tenant']


def test_apply_in_check_mode_sends_nothing_and_writes_no_backup(sim, ansible):
    queues_file = ansible.workdir / 'queues.yml'
    queues_file.write_text(yaml.safe_dump({'alohub_inbound_queues': [{'id': 1001226, 'strategy': 'vip'}]}))
    run = ansible.run_playbook(PLAYBOOKS / 'apply.yml', env=env_connection(sim), check=True, diff=True,
                               args=['-e', 'queues_file=queues.yml'])
    assert run.rc == 0, run.output
    assert puts(run) == [] and backups(ansible.workdir) == []
    assert summary(run) == ['1 queue entries: 1 would change, 0 unchanged, 0 failed (check mode: nothing was sent)',
                            'would change: queue 1001226 (test): strategy 1 (normal) -> 2 (vip)']


def role_play(path, queues):
    play = [dict(
        name='Apply queues with the role', hosts='localhost', connection='local', gather_facts=False,
        vars={'alohub_inbound_queues': queues, 'alohub_inbound_queues_backup_dir': 'backups'},
        roles=['alohub.callcenter.inbound_queues'],
    )]
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def test_role_reports_a_failing_queue_and_still_applies_the_others(sim, ansible):
    # 2002000 belongs to tenant 20260311: for this key it does not exist. The valid entry around it
    # is still applied (and backed up), then the role fails naming the bad entry. -vvv shows that
    # the key does not leak even at the highest verbosity.
    playbook = role_play(ansible.workdir / 'role.yml', [
        {'id': 1001226, 'max_wait_sec': 240},
        {'id': 2002000, 'strategy': 'vip'},
        {'name': 'sales', 'max_wait_sec': 60},
    ])
    run = ansible.run_playbook(playbook, args=var_connection(sim) + ['-vvv'])
    assert run.rc == 2, run.output
    assert puts(run) == [(item(1001226), {'max_wait_sec': '240'})]
    assert sim.queues(ACME)[1001226]['timeWait'] == '240'
    message = ('config[1]: queue 2002000 was not found for this tenant '
               '(queues of other tenants are reported as not found)')
    backup, = sorted((ansible.workdir / 'backups').glob('*.yml'))
    assert summary(run) == [
        '3 queue entries: 1 changed, 1 unchanged, 1 failed',
        'changed: queue 1001226 (test): max_wait_sec 120 -> 240',
        'missing: %s' % message,
        'backup of what changed: %s' % backup,
    ]
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert [t['task'] for t in failed] == [
        'alohub.callcenter.inbound_queues : Fail when some queue entries failed, or overridden found what the API cannot fix']
    assert failed[0]['result']['msg'] == '3 queue entries: 1 changed, 1 unchanged, 1 failed: %s' % message
    assert read_queues(backup)['alohub_plan'] == [dict(id=1001226, name='test', before=dict(max_wait_sec=240),
                                                       after=dict(max_wait_sec=120))]
    assert ACME_KEY not in run.output


def test_role_names_a_misspelt_setting_by_its_entry_before_any_request(sim, ansible):
    playbook = role_play(ansible.workdir / 'typo.yml', [{'id': 1001226, 'strategy': 1}, {'id': 1001227, 'max_wait': 240}])
    run = ansible.run_playbook(playbook, env=env_connection(sim))
    assert run.rc == 2, run.output
    assert run.all_requests == []
    assert 'config[1] has unsupported keys max_wait; supported: id, name, strategy, moh_file_id, max_wait_sec' in run.output
    # The argument spec no longer validates the entries itself: no dump of the whole specification.
    assert 'argument_spec_data' not in run.output
