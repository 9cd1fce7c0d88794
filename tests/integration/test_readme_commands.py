"""Every command README.md shows, run as written, in order, against the API simulator.

README.md's fenced blocks are the test's script:

* ``sh`` blocks are commands. They run in one bash session (``set -euo pipefail``, so exported
  variables carry over from block to block), in a fresh clone of the repository (its committed
  HEAD, as a reader who follows "in a clone of the repository" has it), with an empty HOME of
  their own (the collection is installed where ``ansible-galaxy`` puts it by default:
  ``~/.ansible/collections``), the venv's tools first on PATH, no ANSIBLE_COLLECTIONS_PATH and no
  PYTHONPATH.
* ``yaml`` blocks whose first line is ``# NAME.yml`` are files the text tells the reader to save:
  they are written under that name before the commands run.
* ``text`` blocks are sample output; any other fenced block fails the test, so no command can hide
  in a block that is not run.

What is not literally "as written", and why:

* The block that starts the simulator in a second terminal is started in the background (in the
  repository, as written), on a free loopback port instead of 8080, which other runs on this
  machine may hold; ``127.0.0.1:8080`` in the other blocks becomes that port.
* ``ansible-galaxy collection install alohub.callcenter`` downloads from Galaxy, which is not
  reachable from CI: ANSIBLE_GALAXY_SERVER points it at a local stand-in for Galaxy's v3 API that
  serves the artifact built from this work tree (hacking/build.sh), so the very command installs
  this collection.
* The "two commands" run in the repository: ``make demo`` for real, ``make test`` as ``make -n
  test`` (this test is itself part of ``make test``, which takes minutes).

Release tooling: marked ``release`` (newest ansible-core line only); not shipped in the artifact
(galaxy.yml build_ignore): it runs make and reads the clone's README.
"""

import hashlib
import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ansible.parsing.dataloader import DataLoader

from conftest import BIN, REPO, run

pytestmark = pytest.mark.release

FENCE = re.compile(r'^```([^\n`]*)\n(.*?)^```\s*$', re.M | re.S)
MARK = '@@README-BLOCK %d@@'
TENANT = '20260310'


def blocks(text):
    """(language, body) of every fenced block of a Markdown text, in order."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class FakeGalaxy:
    """Just enough of Galaxy's v3 API for `ansible-galaxy collection install NAMESPACE.NAME`."""

    def __init__(self, tarball):
        data = Path(tarball).read_bytes()
        with tarfile.open(tarball) as tar:
            info = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
        ns, name, version = info['namespace'], info['name'], info['version']
        base = '/api/v3/collections/%s/%s/' % (ns, name)
        href = '%sversions/%s/' % (base, version)
        download = '/download/%s' % Path(tarball).name
        self.requests = []
        routes = {
            # The API root, where ansible-galaxy looks first (relative to the server URL it is given).
            '/': {'available_versions': {'v3': 'api/v3/'}},
            base: {'namespace': ns, 'name': name, 'href': base, 'updated_at': '2026-01-01T00:00:00Z',
                   'highest_version': {'version': version, 'href': href}},
            base + 'versions/': {'meta': {'count': 1}, 'links': {'next': None},
                                 'data': [{'version': version, 'href': href}]},
            href: {'namespace': {'name': ns}, 'collection': {'name': name}, 'version': version, 'href': href,
                   'download_url': download, 'artifact': {'sha256': hashlib.sha256(data).hexdigest()},
                   'metadata': {'dependencies': info['dependencies']}, 'signatures': []},
        }
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path.split('?', 1)[0]
                fake.requests.append(path)
                if path == download:
                    body, kind = data, 'application/gzip'
                elif path in routes:
                    body, kind = json.dumps(routes[path]).encode(), 'application/json'
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Type', kind)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def sim_get(port, path):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    try:
        conn.request('GET', path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def wait_healthy(port, proc, log):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, 'the README\'s simulator command exited:\n' + log.read_text()
        try:
            if sim_get(port, '/_sim/health').get('ok'):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError('the simulator did not become healthy:\n' + log.read_text())


def clean_env(**extra):
    """The environment of a reader's shell: nothing from make or from the test harness."""
    drop = ('PYTHONPATH', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL',
            'MAKEOVERRIDES', 'VENV', 'ANSIBLE_CORE', 'PYTHON_SERIES', 'PYTHON', 'LINE')
    env = dict((k, v) for k, v in os.environ.items() if k not in drop and not k.startswith(('ALOHUB_', 'PYTEST_')))
    env['PATH'] = str(BIN) + os.pathsep + env.get('PATH', '')
    env.update(extra)
    return env


def test_every_readme_command_works_as_written(tmp_path):
    found = blocks((REPO / 'README.md').read_text())
    assert found, 'README.md has no fenced blocks'
    unknown = [(lang, body[:60]) for lang, body in found if lang not in ('sh', 'yaml', 'text')]
    assert unknown == [], 'fenced blocks must be sh (run), yaml (saved files) or text (output): %s' % unknown

    work = tmp_path / 'clone'
    home = tmp_path / 'home'
    run(['git', 'clone', '--quiet', REPO, work])
    home.mkdir()
    port = free_port()
    sh_blocks = []
    make_blocks = []
    simulator_block = None
    for lang, body in found:
        if lang == 'yaml':
            first = body.splitlines()[0]
            match = re.match(r'^# (\S+\.ya?ml)$', first)
            if match:
                (work / match.group(1)).write_text(body)
        elif lang == 'sh':
            commands = [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith('#')]
            if any(' -m alohub_sim' in line for line in commands):
                assert simulator_block is None, 'two blocks start the simulator'
                simulator_block = body
            elif commands and all(line.startswith('make ') for line in commands):
                make_blocks.append(commands)
            else:
                sh_blocks.append(body.replace('127.0.0.1:8080', '127.0.0.1:%d' % port))
    assert simulator_block and '--port 8080' in simulator_block, 'README must show how to start the simulator'
    assert [[c.split('#')[0].split() for c in b] for b in make_blocks][:1] == [[['make', 'demo'], ['make', 'test']]], \
        'the two commands come first: make demo, make test'

    # The two commands, in the repository.
    env = clean_env(HOME=os.environ.get('HOME', str(home)))
    demo = subprocess.run(['make', 'demo'], cwd=str(REPO), env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert 'Idempotent' in demo.stdout, demo.stdout
    run(['make', '-n', 'test'], cwd=str(REPO), env=env)

    # The simulator, as the README starts it, on a free port.
    sim_cmd = simulator_block.strip().replace('--port 8080', '--port %d' % port)
    log = tmp_path / 'simulator.log'
    with open(log, 'w') as out:
        simulator = subprocess.Popen(['bash', '-c', sim_cmd], cwd=str(work), env=clean_env(),
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
    galaxy = None
    try:
        wait_healthy(port, simulator, log)
        tarball = run([REPO / 'hacking' / 'build.sh', tmp_path / 'dist'], env=clean_env()).strip().splitlines()[-1]
        galaxy = FakeGalaxy(tarball)

        script = ['set -euo pipefail']
        for number, body in enumerate(sh_blocks):
            script += ['echo %s' % shlex.quote(MARK % number), body]
        env = clean_env(HOME=str(home), ANSIBLE_GALAXY_SERVER=galaxy.url, ANSIBLE_NOCOLOR='1',
                        ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
        proc = subprocess.run(['bash', '-c', '\n'.join(script)], cwd=str(work), env=env, capture_output=True,
                              text=True, timeout=400, stdin=subprocess.DEVNULL, check=False)
        parts = re.split(r'^@@README-BLOCK (\d+)@@$', proc.stdout, flags=re.M)
        outputs = dict((int(parts[i]), parts[i + 1]) for i in range(1, len(parts) - 1, 2))
        assert proc.returncode == 0, 'README block %d failed:\n%s\n--- output ---\n%s\n%s' % (
            max(outputs, default=0), sh_blocks[max(outputs, default=0)], proc.stdout[-6000:], proc.stderr[-4000:])
        assert len(outputs) == len(sh_blocks)

        # What the commands did: the collection came from "Galaxy" and is the one Ansible found ...
        assert any(path.startswith('/download/') for path in galaxy.requests), galaxy.requests
        assert (home / '.ansible' / 'collections' / 'ansible_collections' / 'alohub' / 'callcenter' / 'MANIFEST.json').is_file()
        # ... the example playbook changed the queues it names, and its last run changed nothing ...
        by_id = dict((q['callinId'], q) for q in sim_get(port, '/_sim/queues?tenant=%s' % TENANT))
        assert (by_id[1001226]['strategy'], str(by_id[1001226]['timeWait']), str(by_id[1001226]['nguongRanhRoi'])) == \
            (2, '180', '1')
        sales = [q for q in by_id.values() if q['callinName'] == 'sales']
        assert [q['musicinQueue'] for q in sales] == ['waiting.wav']
        playbook_runs = [out for out in outputs.values() if 'queue_settings.yml' in out or 'Queue settings' in out]
        assert playbook_runs and re.search(r'changed=0\s', playbook_runs[-1].split('PLAY RECAP')[-1]), playbook_runs[-1:]
        # ... and queues as code: the export holds every queue, and it has no drift from the tenant.
        # (read as Ansible reads it: the export tags every string !unsafe)
        exported = DataLoader().load_from_file(str(work / 'queues.yml'))['alohub_inbound_queues']
        assert sorted(e['id'] for e in exported) == sorted(by_id)
        assert 'No drift' in proc.stdout
        # ... and the plan was applied, applied again (nothing sent), then rolled back from its backup.
        assert len(list((work / 'alohub-backups').glob('*.yml'))) == 2 and 'stale' not in proc.stdout
        assert 'already applied' in proc.stdout
        assert [q['timeWait'] for q in by_id.values() if q['callinId'] == 1001226] == ['180']
    finally:
        if galaxy:
            galaxy.close()
        if simulator.poll() is None:
            os.killpg(simulator.pid, signal.SIGTERM)
            simulator.wait(timeout=10)
