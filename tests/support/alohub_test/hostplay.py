"""Run different task lists at once, one list per (local) host, in one ansible-playbook.

Each module task costs a Python start-up on the controller, and many of the
adversarial cases spend their time waiting (retries, timeouts). Giving each
list its own inventory host (all ``connection: local``) and running them with
the ``free`` strategy lets those waits overlap, while every host's own list
still runs in order (so a seeded fault rule restricted to that host's tenant
sees the same requests in the same order every time).

Used by the integration tests through their ``ansible`` fixture
(``play_on_hosts(ansible, {...})``) and by the soak (``host_playbook``).
"""

import yaml


def host_playbook(per_host, defaults=None, play_vars=None):
    """(playbook, {file name: task list}) for ``per_host`` = {host: [task, ...]}."""
    files = {}
    for host, tasks in per_host.items():
        files['tasks_%s.yml' % host] = list(tasks)
    play = dict(hosts=','.join(per_host), connection='local', gather_facts=False, strategy='free',
                vars=dict(play_vars or {}),
                tasks=[dict(name='tasks of {{ inventory_hostname }}',
                            **{'ansible.builtin.include_tasks': '{{ playbook_dir }}/tasks_{{ inventory_hostname }}.yml'})])
    if defaults:
        play['module_defaults'] = {'group/alohub.callcenter.alohub': defaults}
    return [play], files


def play_on_hosts(ansible, per_host, defaults=None, env=None, check=False, diff=False, verbosity=0, play_vars=None):
    """Like ``ansible.play`` (``alohub_test.playbook.Ansible``), with one task list per host.

    Task names must be unique across hosts. The hosts run at once, so the returned
    Run's ``requests(name, tenant=T)`` needs the tenant ``T`` that the task's host works
    on (one tenant per host); or filter ``run.all_requests`` by path or tenant.
    """
    ansible.count += 1
    workdir = ansible.workdir / ('hosts%d' % ansible.count)
    workdir.mkdir()
    playbook, files = host_playbook(per_host, defaults=ansible.defaults() if defaults is None else defaults,
                                    play_vars=play_vars)
    for name, tasks in files.items():
        (workdir / name).write_text(yaml.safe_dump(tasks, sort_keys=False, allow_unicode=True))
    path = workdir / 'play.yml'
    path.write_text(yaml.safe_dump(playbook, sort_keys=False, allow_unicode=True))
    hosts = ','.join(per_host) + ','
    return ansible.run_playbook(path, env=env, args=('-i', hosts, '-f', str(max(1, len(per_host)))),
                                check=check, diff=diff, verbosity=verbosity)
