"""The inbound_queues role and the export/apply/drift playbooks, through real ansible-playbook.

The playbooks are run exactly as users run them (``ansible-playbook playbooks/export.yml``, in a
scratch working directory, connection from ALOHUB_* or from the role's alohub_* variables) against
the simulator; every step is checked on what the playbook printed or wrote, on the requests the
simulator logged and on what it stored.

Fixtures (conftest.py): ``sim`` is a simulator reset to its seed, ``ansible`` runs ansible-playbook
with ANSIBLE_COLLECTIONS_PATH pointing at a temporary ansible_collections/alohub/callcenter symlink
to this repo, the venv's ansible-playbook (next to sys.executable), no ALOHUB_* variables
inherited, and the simulator's request log cleared before each run.
"""

import yaml

from conftest import ACME, ACME_KEY, REPO, expected_config

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
    return shown(run, 'alohub.callcenter.inbound_queues : Show what changed, per queue')


def test_export_edit_drift_apply_round_trip(sim, ansible):
    workdir = ansible.workdir
    queues_file = workdir / 'queues.yml'
    seed = sim.queues(ACME)
    assert len(seed) == 42

    # export.yml: the default file, queues.yml in the working directory, holds all 42 queues in
    # config shape, in id order, equal to what the simulator stores. Reading sends no update.
    run = ansible.run_playbook(PLAYBOOKS / 'export.yml', env=env_connection(sim))
    assert run.rc == 0, run.output
    assert puts(run) == []
    document = yaml.safe_load(queues_file.read_text())
    assert list(document) == ['alohub_inbound_queues']
    exported = document['alohub_inbound_queues']
    assert [entry['id'] for entry in exported] == sorted(seed)
    assert all(list(entry) == CONFIG_KEYS for entry in exported)
    assert exported == [expected_config(seed[queue_id]) for queue_id in sorted(seed)]
    assert shown(run, 'Report the export') == '42 of 42 queues written to %s' % queues_file

    # Edit two queues, the way a person edits the file: 1001226 (test) gets two settings, one of
    # them as a strategy name; 1001201 (sales) one.
    by_id = dict((entry['id'], entry) for entry in exported)
    assert (by_id[1001226]['strategy'], by_id[1001226]['max_wait_sec']) == (1, 120)
    assert by_id[1001201]['announce_position'] is False
    by_id[1001226].update(strategy='vip', max_wait_sec=180)
    by_id[1001201]['announce_position'] = True
    queues_file.write_text(yaml.safe_dump({'alohub_inbound_queues': exported}, sort_keys=False))

    # drift.yml with fail_on_drift=true and a report file: exactly those two queues, with the
    # fields that differ, in the printed report, in the report file and in the failure; nothing sent.
    report_file = workdir / 'drift-report.yml'
    run = ansible.run_playbook(PLAYBOOKS / 'drift.yml', env=env_connection(sim), args=[
        '-e', 'queues_file=queues.yml', '-e', 'fail_on_drift=true', '-e', 'drift_report_file=%s' % report_file])
    assert run.rc == 2, run.output
    assert puts(run) == []
    assert shown(run, 'Report the drift per queue') == [
        'DRIFT: 2 of 42 queue entries of queues.yml differ from the tenant (live value => value in the file)',
        'queue 1001201 (sales): announce_position false => true',
        'queue 1001226 (test): strategy 1 (normal) => 2 (vip), max_wait_sec 120 => 180',
    ]
    assert summary(run)[0] == '42 queue entries: 2 would change, 40 unchanged, 0 failed (check mode: nothing was sent)'
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert [t['task'] for t in failed] == ['Fail because the tenant drifted from the file']
    assert failed[0]['result']['msg'] == ('2 queue(s) drifted from queues.yml: 1001201 (sales): announce_position; '
                                          '1001226 (test): strategy, max_wait_sec')
    report = yaml.safe_load(report_file.read_text())
    assert report['entries'] == 42 and report['drifted'] == 2
    assert report['drift'] == [  # in the file's order
        {'id': 1001201, 'name': 'sales', 'fields': {'announce_position': {'current': False, 'wanted': True}}},
        {'id': 1001226, 'name': 'test',
         'fields': {'strategy': {'current': 1, 'wanted': 2}, 'max_wait_sec': {'current': 120, 'wanted': 180}}},
    ]
    assert sim.queues(ACME) == seed

    # apply.yml (connection through the role's variables): one PUT per edited queue, with only
    # the fields that changed, in wire form; the other 40 queues untouched.
    run = ansible.run_playbook(PLAYBOOKS / 'apply.yml', args=var_connection(sim))
    assert run.rc == 0, run.output
    assert sorted(puts(run)) == [
        (item(1001201), {'announce_position': '1'}),
        (item(1001226), {'strategy': 2, 'max_wait_sec': '180'}),
    ]
    assert all(e['tenant_header'] == ACME for e in run.all_requests)
    assert run.recap['changed'] == 1
    assert summary(run) == [
        '42 queue entries: 2 changed, 40 unchanged, 0 failed',
        'changed: queue 1001201 (sales): announce_position false -> true',
        'changed: queue 1001226 (test): strategy 1 (normal) -> 2 (vip), max_wait_sec 120 -> 180',
    ]
    expected = dict((queue_id, dict(record)) for queue_id, record in seed.items())
    expected[1001226].update(strategy=2, timeWait='180')
    expected[1001201].update(nguongRanhRoi='1')
    stored = sim.queues(ACME)
    assert [expected_config(stored[i]) for i in sorted(stored)] == [expected_config(expected[i]) for i in sorted(expected)]

    # apply.yml again: nothing to do, nothing sent.
    run = ansible.run_playbook(PLAYBOOKS / 'apply.yml', args=var_connection(sim))
    assert run.rc == 0, run.output
    assert run.recap['changed'] == 0
    assert puts(run) == []
    assert summary(run) == ['42 queue entries: 0 changed, 42 unchanged, 0 failed']

    # drift.yml: clean now, even with fail_on_drift=true.
    run = ansible.run_playbook(PLAYBOOKS / 'drift.yml', env=env_connection(sim), args=['-e', 'fail_on_drift=true'])
    assert run.rc == 0, run.output
    assert puts(run) == []
    assert shown(run, 'Report the drift per queue') == ['No drift: the 42 queue entries of queues.yml match the tenant']


def role_play(path, queues):
    play = [dict(
        name='Apply queues with the role', hosts='localhost', connection='local', gather_facts=False,
        vars={'alohub_inbound_queues': queues},
        roles=['alohub.callcenter.inbound_queues'],
    )]
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def test_role_reports_a_failing_queue_and_still_applies_the_others(sim, ansible):
    # 2002000 belongs to tenant 20260311: for this key it does not exist. The valid entry around it
    # is still applied, then the role fails naming the bad entry. -vvv shows that the key does not
    # leak even at the highest verbosity.
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
    assert summary(run) == [
        '3 queue entries: 1 changed, 1 unchanged, 1 failed',
        'changed: queue 1001226 (test): max_wait_sec 120 -> 240',
        'failed: %s' % message,
    ]
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert [t['task'] for t in failed] == ['alohub.callcenter.inbound_queues : Fail when some queue entries failed']
    assert failed[0]['result']['msg'] == '1 of 3 queue entries failed (1 changed, 1 unchanged): %s' % message
    assert ACME_KEY not in run.output


def test_role_rejects_a_misspelt_setting_before_any_request(sim, ansible):
    playbook = role_play(ansible.workdir / 'typo.yml', [{'id': 1001226, 'max_wait': 240}])
    run = ansible.run_playbook(playbook, env=env_connection(sim))
    assert run.rc == 2, run.output
    assert run.all_requests == []
    assert 'alohub_inbound_queues.max_wait. Supported parameters include' in run.output
