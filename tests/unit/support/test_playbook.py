"""Run.requests of the shared test support: a task's requests are those between its host's marks."""

import subprocess

import pytest

from alohub_test.playbook import Run


def entry(arrival, tenant='A', method='GET'):
    return dict(arrival=arrival, tenant=tenant, method=method, path='/v1/queues/inbound')


def captured(task, host, mark, status='ok'):
    return dict(task=task, host=host, mark=mark, status=status, result={})


RECAP = 'TASK [x] ***\nok: [h1] => {"msg": "h1 : ok=9"}\n\nPLAY RECAP ***\nlocalhost : ok=2 changed=1 failed=0\n'


def make_run(tasks, requests, start=10, stdout=RECAP):
    proc = subprocess.CompletedProcess([], 0, stdout=stdout, stderr='')
    return Run(proc, tasks, requests, start_mark=start)


def test_one_host_each_task_gets_the_requests_since_the_previous_mark():
    run = make_run([captured('one', 'localhost', 12), captured('two', 'localhost', 12), captured('three', 'localhost', 15)],
                   [entry(11), entry(13, method='PUT'), entry(12), entry(15), entry(14)])   # log order is answer order
    assert [e['arrival'] for e in run.requests('one')] == [11, 12]
    assert run.requests('two') == []
    assert [e['arrival'] for e in run.requests('three')] == [13, 15, 14]
    assert [e['arrival'] for e in run.requests('three', 'PUT')] == [13]
    assert run.recap == dict(ok=2, changed=1, failed=0)


def test_several_hosts_need_the_tenant_of_the_host():
    run = make_run([captured('a1', 'h1', 12), captured('b1', 'h2', 13), captured('a2', 'h1', 16)],
                   [entry(11, 'A'), entry(12, 'B'), entry(13, 'B'), entry(14, 'A'), entry(15, 'B'), entry(16, 'A')])
    with pytest.raises(AssertionError, match='needs the tenant'):
        run.requests('a1')
    assert [e['arrival'] for e in run.requests('a1', tenant='A')] == [11]
    assert [e['arrival'] for e in run.requests('a2', tenant='A')] == [14, 16]
    assert [e['arrival'] for e in run.requests('b1', tenant='B')] == [12, 13]
    assert len(run.requests(tenant='B')) == 3


def test_a_task_without_a_mark_is_an_error_not_an_empty_list():
    run = make_run([captured('one', 'localhost', None)], [entry(11)])
    with pytest.raises(AssertionError, match='no request mark'):
        run.requests('one')


def test_the_recap_sums_the_hosts_of_the_play_recap_only():
    stdout = ('TASK [x] ***\nh1 : ok=7 changed=7\n\nPLAY RECAP ****\n'
              'alohub-dev                 : ok=3    changed=1    failed=0   \n'
              'alohub-prod                : ok=4    changed=0    failed=1   \n\n')
    assert make_run([], [], stdout=stdout).recap == dict(ok=7, changed=1, failed=1)
    assert make_run([], [], stdout='ERROR! the playbook could not be read\n').recap == {}
