"""Write and run playbooks against the simulator; read back what each task did and sent.

``Ansible(sim, collections, workdir).play(tasks)`` writes one play, runs the real
``ansible-playbook`` in a subprocess and returns a ``Run``: each task's result (through
the test-only ``capture`` callback) and the simulator's request log, split per task.

The split is exact: the callback marks the simulator's log after every task result
(``POST /_sim/mark``: how many API requests have arrived so far), and every log entry
carries its ``arrival`` number. A host's task made the requests that arrived after the
mark of that host's previous task (or the run's start) and up to its own mark.
"""

import json
import re
import subprocess

import yaml

from ansible.parsing.dataloader import DataLoader

from alohub_sim.harness import ACME_KEY
from alohub_test.playenv import BIN, playbook_env

RECAP = re.compile(r'^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$', re.M)


class Run:
    """What one ansible-playbook run produced."""

    def __init__(self, proc, tasks, requests, start_mark=0):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.tasks = tasks
        self.all_requests = requests
        self.start_mark = start_mark
        # The PLAY RECAP, summed over its hosts (localhost, or the environments a play ran on).
        self.recap = {}
        recap_at = self.stdout.rfind('PLAY RECAP')
        for match in RECAP.finditer(self.stdout, recap_at if recap_at >= 0 else len(self.stdout)):
            for item in match.group(2).split():
                key, value = item.split('=')
                self.recap[key] = self.recap.get(key, 0) + int(value)

    @property
    def output(self):
        return self.stdout + self.stderr

    def says(self, text):
        """Whether the run printed ``text``: as it is, or inside a result printed as JSON (2.16 prints a
        failed task's ``msg`` that way, with its double quotes escaped)."""
        return text in self.output or text in self.output.replace('\\"', '"')

    @property
    def hosts(self):
        return sorted(set(t.get('host') for t in self.tasks))

    def task(self, name):
        """The captured entry of the task named ``name`` (exactly one)."""
        found = [t for t in self.tasks if t['task'] == name]
        assert len(found) == 1, 'task %r ran %d times; tasks: %s' % (name, len(found), [t['task'] for t in self.tasks])
        return found[0]

    def result(self, name):
        return self.task(name)['result']

    def span(self, name):
        """``(after, upto)``: task ``name`` made the requests with ``after < arrival <= upto``."""
        task = self.task(name)
        position = next(n for n, t in enumerate(self.tasks) if t is task)
        before = [t for t in self.tasks[:position] if t.get('host') == task.get('host')]
        after = before[-1]['mark'] if before else self.start_mark
        assert after is not None and task['mark'] is not None, (
            'no request mark for task %r: was the simulator reachable from the capture callback?' % name)
        return after, task['mark']

    def requests(self, name=None, method=None, tenant=None):
        """API requests (simulator log, in log order) made by task ``name`` (all when None).

        With several hosts at once, a task's span also holds the other hosts' requests of that
        time: give the ``tenant`` its host works on (one tenant per host).
        """
        entries = self.all_requests
        if name is not None:
            if len(self.hosts) > 1 and tenant is None:
                raise AssertionError('hosts %s ran at once: requests(%r) needs the tenant that host used' % (self.hosts, name))
            after, upto = self.span(name)
            entries = [e for e in entries if after < e['arrival'] <= upto]
        if tenant is not None:
            entries = [e for e in entries if e['tenant'] == tenant]
        if method is not None:
            entries = [e for e in entries if e['method'] == method]
        return entries


class Ansible:
    """Writes and runs playbooks against the simulator ``sim`` (an ``alohub_sim.harness.Simulator``)."""

    def __init__(self, sim, collections, workdir):
        self.sim = sim
        self.collections = collections
        self.workdir = workdir
        self.count = 0

    def env(self, extra=None):
        return playbook_env(self.collections, **(extra or {}))

    def defaults(self, **overrides):
        """The connection options for module_defaults: the simulator, tenant acme."""
        options = dict(api_url=self.sim.url, api_key=ACME_KEY)
        options.update(overrides)
        return dict((k, v) for k, v in options.items() if v is not None)

    def play(self, tasks, defaults=None, env=None, args=(), check=False, diff=False, verbosity=0, vars=None):  # pylint: disable=redefined-builtin
        """Run ``tasks`` (a list of task dicts) in one play on localhost; returns a Run."""
        self.count += 1
        play = dict(hosts='localhost', connection='local', gather_facts=False, tasks=tasks,
                    vars=dict(vars or {}))
        if defaults is not False:
            play['module_defaults'] = {'group/alohub.callcenter.alohub': defaults if defaults is not None else self.defaults()}
        path = self.workdir / ('play%d.yml' % self.count)
        path.write_text(yaml.safe_dump([play], sort_keys=False))
        return self.run_playbook(path, env=env, args=args, check=check, diff=diff, verbosity=verbosity)

    def run_playbook(self, path, env=None, args=(), check=False, diff=False, verbosity=0):
        capture = self.workdir / ('capture%d.jsonl' % self.count)
        if capture.exists():
            capture.unlink()
        cmd = [str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(path)] + list(args)
        if check:
            cmd.append('--check')
        if diff:
            cmd.append('--diff')
        if verbosity:
            cmd.append('-' + 'v' * verbosity)
        environment = self.env(env)
        environment['ALOHUB_TEST_CAPTURE'] = str(capture)
        environment['ALOHUB_TEST_SIM_URL'] = self.sim.url
        self.sim.clear_requests()
        start = self.sim.mark()
        proc = subprocess.run(cmd, env=environment, capture_output=True, text=True, timeout=300, check=False,
                              stdin=subprocess.DEVNULL, cwd=str(self.workdir))
        tasks = []
        if capture.exists():
            tasks = [json.loads(line) for line in capture.read_text().splitlines() if line.strip()]
        return Run(proc, tasks, self.sim.requests(), start_mark=start)


def three_ways(module, args, name='queue'):
    """The same task in check mode, for real, and again: the three runs every change gets."""
    task = {module: args}
    return [
        dict(task, name='%s check' % name, check_mode=True, diff=True),
        dict(task, name='%s real' % name, diff=True),
        dict(task, name='%s rerun' % name, diff=True),
    ]


def counts(summary):
    """The four counts of an inbound_queues summary (without its per-status counts)."""
    return dict((key, summary[key]) for key in ('total', 'changed', 'unchanged', 'failed'))


def load_data(path):
    """A file the playbooks wrote, as Ansible's own loader reads it (it knows !unsafe), as plain data."""
    return json.loads(json.dumps(DataLoader().load_from_file(str(path))))
