"""inbound_queue through ansible-playbook: check mode, real run, rerun; lookups.

Bad input is tested in process: tests/unit/plugins/modules/test_argument_validation.py.
"""

from conftest import ACME, three_ways

QUEUE = 1001226  # "test": strategy 1, waiting.wav, timeWait "120", nguongRanhRoi null


def test_change_check_real_rerun(ansible, sim):
    run = ansible.play(three_ways('alohub.callcenter.inbound_queue', dict(
        id=QUEUE, strategy='vip', max_wait_sec=180, announce_position=True, moh_file_id='waiting.wav')))
    assert run.rc == 0, run.output

    check = run.result('queue check')
    assert check['changed'] is True
    assert check['queue']['strategy'] == 2 and check['queue']['strategy_name'] == 'vip'
    assert check['diff']['before']['max_wait_sec'] == 120 and check['diff']['after']['max_wait_sec'] == 180
    assert check['diff']['before_header'] == 'queue 1001226 (test)'
    assert [e['method'] for e in run.requests('queue check')] == ['GET']

    real = run.result('queue real')
    assert real['changed'] is True
    assert real['queue'] == check['queue']
    puts = run.requests('queue real', 'PUT')
    assert len(puts) == 1
    # Only the differing fields, in the API's wire forms.
    assert puts[0]['body'] == {'strategy': 2, 'max_wait_sec': '180', 'announce_position': '1'}
    assert [e['method'] for e in run.requests('queue real')] == ['GET', 'PUT', 'GET']

    rerun = run.result('queue rerun')
    assert rerun['changed'] is False
    assert 'diff' not in rerun
    assert [e['method'] for e in run.requests('queue rerun')] == ['GET']

    stored = sim.queues(ACME)[QUEUE]
    assert (stored['strategy'], stored['timeWait'], stored['nguongRanhRoi']) == (2, '180', '1')
    assert run.recap['changed'] == 2


def test_equivalent_forms_are_not_a_change(ansible, sim):
    """"120" on the wire equals 120; strategy 1, "1" and normal are the same; "1"/1 flags equal true."""
    sim.set_queue(ACME, QUEUE, nguongRanhRoi=1)
    run = ansible.play([
        dict(name='code', **{'alohub.callcenter.inbound_queue': dict(id=QUEUE, strategy=1, max_wait_sec=120)}),
        dict(name='digits', **{'alohub.callcenter.inbound_queue': dict(id=QUEUE, strategy='1', announce_position=True)}),
        dict(name='by name', **{'alohub.callcenter.inbound_queue': dict(id=QUEUE, strategy='normal', moh_file_id='waiting.wav')}),
    ])
    assert run.rc == 0, run.output
    for name in ('code', 'digits', 'by name'):
        assert run.result(name)['changed'] is False
    assert run.requests(method='PUT') == []


def test_lookup_by_name_one_none_several(ansible, sim):
    run = ansible.play(three_ways('alohub.callcenter.inbound_queue', dict(name='test', max_wait_sec=240)) + [
        dict(name='none', ignore_errors=True, **{'alohub.callcenter.inbound_queue': dict(name='no such queue', strategy=1)}),
        dict(name='several', ignore_errors=True, **{'alohub.callcenter.inbound_queue': dict(name='support', strategy=1)}),
    ])
    assert run.rc == 0, run.output
    assert run.result('queue check')['changed'] is True
    assert run.result('queue real')['queue']['id'] == QUEUE
    assert run.result('queue rerun')['changed'] is False
    assert run.requests('queue rerun', 'PUT') == []
    assert len(run.requests('queue real', 'PUT')) == 1
    assert sim.queues(ACME)[QUEUE]['timeWait'] == '240'

    none = run.task('none')
    assert none['status'] == 'failed'
    assert 'no inbound queue of this tenant is named "no such queue"' in none['result']['msg']
    several = run.task('several')
    assert several['status'] == 'failed'
    ids = several['result']['matching_ids']
    assert len(ids) == 2 and all(str(i) in several['result']['msg'] for i in ids)
    assert run.requests('several', 'PUT') == [] and run.requests('none', 'PUT') == []
