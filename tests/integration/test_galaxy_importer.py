"""galaxy-importer, the check Galaxy and Automation Hub run on every uploaded collection, on the artifact.

The artifact is built the way `make build` builds it (hacking/build.sh: a copy of the files git
would commit, then ``ansible-galaxy collection build``), and imported with galaxy-importer from the
dev venv (tests/requirements-dev.txt), with the venv's ansible-doc and ansible-lint first on PATH.
Its ansible-test step is off (``RUN_ANSIBLE_TEST = False``): it runs sanity in a container, and
there is no container engine here; ``make sanity`` runs the same tests. Everything else runs as on
Galaxy: metadata and file manifest, ansible-doc of every plugin, the role's argument specs, the
changelog, ``meta/runtime.yml``, and ansible-lint over the unpacked collection (production profile).

The import must complete with no warning and no error at all: each one is shown to users on the
collection's import log, and Automation Hub's certification reviewers read them.

Release tooling: marked ``release`` (run on the newest ansible-core line only); not shipped in the
artifact (galaxy.yml build_ignore), which has no hacking/ to build from.
"""

import json
import os
import re
import subprocess

import pytest
import yaml

from conftest import BIN, REPO, run

pytestmark = pytest.mark.release

# The levels galaxy-importer's log formatter prefixes (INFO lines have none).
FLAGGED = re.compile(r'^(WARNING|ERROR|CRITICAL):', re.M)


def importer_env(tmp_path):
    env = dict((k, v) for k, v in os.environ.items()
               if k not in ('PYTHONPATH', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS'))
    config = tmp_path / 'galaxy-importer.cfg'
    # CHECK_REQUIRED_TAGS: Automation Hub requires one of its category tags (galaxy.yml lists one first).
    config.write_text('[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nCHECK_REQUIRED_TAGS = True\n')
    # ANSIBLE_HOME: the importer's ansible-lint (--offline, its own collections path) keeps its mock
    # modules there and removes them when it ends; a shared ~/.ansible lets concurrent runs break each other.
    env.update(GALAXY_IMPORTER_CONFIG=str(config), PATH=str(BIN) + os.pathsep + env.get('PATH', ''),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'), ANSIBLE_HOME=str(tmp_path / 'ansible-home'), NO_COLOR='1')
    return env


def test_galaxy_importer_passes_without_a_warning(tmp_path):
    env = importer_env(tmp_path)
    tarball = run([REPO / 'hacking' / 'build.sh', tmp_path / 'dist'], env=env).strip().splitlines()[-1]
    proc = subprocess.run([str(BIN / 'python'), '-m', 'galaxy_importer.main', tarball], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=420, check=False,
                          stdin=subprocess.DEVNULL)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert 'Importer processing completed successfully' in log, log
    # ansible-lint ran (it is not skipped silently when missing from PATH) ...
    assert 'Linting collection via ansible-lint' in log and 'ansible-lint not found' not in log, log
    # ... and neither it nor any other step logged a warning or an error.
    assert FLAGGED.findall(log) == [], '\n'.join(line for line in log.splitlines() if FLAGGED.match(line))

    result = json.loads((tmp_path / 'importer_result.json').read_text())
    runtime = yaml.safe_load((REPO / 'meta' / 'runtime.yml').read_text())
    assert result['requires_ansible'] == runtime['requires_ansible']
    contents = sorted((c['content_type'], c['name']) for c in result['contents'])
    for wanted in [('module', 'data_file'), ('module', 'inbound_queue'), ('module', 'inbound_queue_info'), ('module', 'inbound_queues'),
                   ('role', 'inbound_queues')]:
        assert wanted in contents, contents
    # Every module has documentation Galaxy can render (ansible-doc ran on it).
    docs = dict((c['content_name'], c) for c in result['docs_blob']['contents'] if c['content_type'] == 'module')
    assert sorted(docs) == ['data_file', 'inbound_queue', 'inbound_queue_info', 'inbound_queues']
    assert all(c['doc_strings'] and c['doc_strings'].get('doc', {}).get('options') for c in docs.values())
