"""The built artifact: what ``ansible-galaxy collection build`` puts in it, and that it works installed.

The collection is built the way a release is built, from a copy of the files git would commit
(hacking/collection-tree.sh copy) into which the usual development leftovers are planted first (a
venv of each matrix line, build and test output, caches, an old artifact, a .git): galaxy.yml's
``build_ignore`` must keep every one of them out, and keep in what users and ansible-builder need.
The artifact is then installed with ``ansible-galaxy collection install -p`` into an empty
collections path, and the demo playbook is run FROM THAT INSTALL (ANSIBLE_COLLECTIONS_PATH names
only it) against the simulator, as a user who installed the tarball would run it.

This file and test_execution_environment.py test the source tree's release tooling; they are not
shipped in the artifact (galaxy.yml), which has no galaxy.yml or hacking/ to test.
"""

import json
import tarfile

import pytest
import yaml

from conftest import ACME, ACME_KEY, BIN, REPO, Ansible, alone, run

# Release tooling: the newest ansible-core line only (make test).
pytestmark = pytest.mark.release

NAMESPACE, NAME = 'alohub', 'callcenter'

# Development files planted into the build tree; none may reach the artifact.
PLANTED = [
    '.venv/bin/python',
    '.venv-2.19/pyvenv.cfg',
    '.venv-2.20/lib/site.py',
    '.build/collections/README',
    '.cache/x',
    '.ansible/tmp/x',
    '.pytest_cache/v/cache/nodeids',
    '.benchmarks/x.json',
    '.mypy_cache/x',
    '.coverage',
    'htmlcov/index.html',
    'tests/output/junit.xml',
    'tests/output/bench/results.json',
    'plugins/modules/__pycache__/inbound_queue.cpython-313.pyc',
    'plugins/module_utils/stray.pyc',
    'tests/unit/__pycache__/conftest.cpython-311-pytest-9.2.0.pyc',
    'alohub-callcenter-0.9.0.tar.gz',
    'changelogs/.plugin-cache.yaml',
    'docs/site/_build/html/index.html',
    'docs/site/build/html/index.html',
    'roles/inbound_queues/tasks/main.yml.swp',
]

# Top-level entries (or path prefixes) that must not be in the artifact at all.
EXCLUDED_PREFIXES = [
    '.venv', '.build', '.cache/', '.ansible/', '.pytest_cache', '.benchmarks', '.mypy_cache', '.git',
    '.ci/', '.github/', '.coverage', 'htmlcov', 'Makefile', 'hacking/', 'tests/output',
    'tests/bench', 'tests/soak', 'changelogs/.plugin-cache.yaml', 'docs/site/_build', 'docs/site/build',
    'tests/integration/test_packaging.py', 'tests/integration/test_execution_environment.py',
    'tests/integration/test_galaxy_importer.py', 'tests/integration/test_readme_commands.py',
    'tests/integration/test_awx_controller.py',
    'tests/unit/test_ci_workflow.py',
]

# What a user, Galaxy, the Ansible package and ansible-builder need.
REQUIRED = [
    'MANIFEST.json', 'FILES.json', 'README.md', 'COPYING', 'CHANGELOG.rst', 'changelogs/changelog.yaml',
    'meta/runtime.yml', 'meta/execution-environment.yml', 'requirements.txt',
    'plugins/modules/inbound_queue.py', 'plugins/modules/inbound_queue_info.py',
    'plugins/modules/inbound_queues.py', 'plugins/doc_fragments/connection.py',
    'plugins/module_utils/client.py', 'plugins/module_utils/transport.py',
    'roles/inbound_queues/tasks/main.yml', 'roles/inbound_queues/meta/argument_specs.yml',
    'playbooks/demo.yml', 'playbooks/export.yml', 'playbooks/apply.yml', 'playbooks/drift.yml',
    'tests/config.yml',
    # galaxy-importer lints the unpacked artifact with ansible-lint: it needs the kinds and exclusions.
    '.ansible-lint',
]


def version():
    return yaml.safe_load((REPO / 'galaxy.yml').read_text())['version']


@pytest.fixture(scope='session')
def artifact(tmp_path_factory):
    """Build the collection from a copy of its committed-to-be files plus planted dev leftovers."""
    tree = tmp_path_factory.mktemp('build-tree')
    src = run([REPO / 'hacking' / 'collection-tree.sh', 'copy', tree]).strip().splitlines()[-1]
    for rel in PLANTED:
        path = tree / 'ansible_collections' / NAMESPACE / NAME / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('planted by test_packaging.py\n')
    dist = tmp_path_factory.mktemp('dist')
    run([BIN / 'ansible-galaxy', 'collection', 'build', '--output-path', dist, src])
    tarball = dist / ('%s-%s-%s.tar.gz' % (NAMESPACE, NAME, version()))
    assert tarball.is_file(), sorted(p.name for p in dist.iterdir())
    return tarball


@pytest.fixture(scope='session')
def members(artifact):
    with tarfile.open(artifact) as tar:
        return sorted(m.name for m in tar.getmembers() if m.isfile())


@pytest.fixture(scope='session')
def installed(artifact, tmp_path_factory):
    """A collections path holding only the artifact, installed as users install it."""
    root = tmp_path_factory.mktemp('installed')
    run([BIN / 'ansible-galaxy', 'collection', 'install', '--offline', '-p', root, artifact],
        env=alone(root))
    return root


def test_development_files_are_not_in_the_artifact(members):
    leaked = [m for m in members if any(m == p.rstrip('/') or m.startswith(p) for p in EXCLUDED_PREFIXES)]
    leaked += [m for m in members if '__pycache__' in m.split('/') or m.endswith(('.pyc', '.tar.gz', '.swp'))]
    assert not leaked, 'development files in the artifact: %s' % leaked
    planted = [rel for rel in PLANTED if rel in members]
    assert not planted, planted


def test_the_content_is_in_the_artifact(members):
    missing = [rel for rel in REQUIRED if rel not in members]
    assert not missing, 'missing from the artifact: %s\nit holds: %s' % (missing, members)
    # Every tracked file of the shipped directories made it (build_ignore does not cut too wide).
    tracked = run(['git', '-C', REPO, 'ls-files', 'plugins', 'roles', 'playbooks', 'meta']).split()
    assert tracked, 'git ls-files found nothing: not a git checkout?'
    assert [rel for rel in tracked if rel not in members] == []


def test_manifest_names_the_release(artifact):
    with tarfile.open(artifact) as tar:
        manifest = json.load(tar.extractfile('MANIFEST.json'))
    info = manifest['collection_info']
    assert (info['namespace'], info['name'], info['version']) == (NAMESPACE, NAME, version())


def test_installed_artifact_runs_the_demo(installed, sim, tmp_path):
    """playbooks/demo.yml of the INSTALLED collection, with only that install on the collections path."""
    collection = installed / 'ansible_collections' / NAMESPACE / NAME
    assert (collection / 'MANIFEST.json').is_file(), 'not installed from the artifact: %s' % collection
    ansible = Ansible(sim, installed, tmp_path)
    env = dict(
        ALOHUB_API_URL=sim.url,
        ALOHUB_API_KEY=ACME_KEY,
        ALOHUB_DEMO_DIR=str(tmp_path),
        # Nothing from the work tree: no PYTHONPATH into .build/collections (make sets one).
        PYTHONPATH='',
    )
    # The collection Ansible resolves is the installed one, and the only one.
    listing = run([BIN / 'ansible-galaxy', 'collection', 'list', '%s.%s' % (NAMESPACE, NAME), '--format', 'json'],
                  env=ansible.env(env))
    found = json.loads(listing)
    assert list(found) == [str(installed / 'ansible_collections')], found
    assert found[str(installed / 'ansible_collections')]['%s.%s' % (NAMESPACE, NAME)]['version'] == version()

    before = sim.queues(ACME)
    assert before[1001226]['strategy'] != 2, 'the seed changed: the demo would have nothing to do'
    result = ansible.run_playbook(collection / 'playbooks' / 'demo.yml', env=env)
    assert result.rc == 0, result.output
    assert result.recap.get('failed') == 0 and result.recap.get('ok', 0) > 0, result.recap
    assert result.result('Step 4 of 4 - check that the second run changed nothing')['msg'].startswith('Idempotent')
    after = sim.queues(ACME)
    assert after[1001226]['strategy'] == 2
    assert str(after[1001226]['timeWait']) == '180'
    sales = [q for q in after.values() if q['callinName'] == 'sales']
    assert len(sales) == 1 and str(sales[0]['nguongRanhRoi']) == '1', sales
