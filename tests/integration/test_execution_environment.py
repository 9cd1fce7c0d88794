"""The collection declares its Python dependencies so that ansible-builder puts them in an EE.

meta/execution-environment.yml names requirements.txt (requests). Proven two ways, on the built
artifact (hacking/build.sh, what `make build` runs) installed with ansible-galaxy, not on the work
tree:

* ``ansible-builder introspect`` on the install lists requests, from this collection;
* ``ansible-builder create`` with an execution-environment.yml (version 3) whose galaxy
  requirements.yml names the tarball writes a build context that would install it. `create` only
  writes the context: the collection's dependencies are read during the image build, by the
  context's own scripts/introspect.py after its galaxy stage ran ``ansible-galaxy collection
  install -r requirements.yml``. There is no container engine here, so the test runs those two
  stages of the generated Containerfile itself, on the generated context, and checks that the
  requirements file the build would pip-install holds requests.

Skipped only when ansible-builder is not installed (`make venv` installs it).
"""

import os
import re
import shutil

import pytest
import yaml

from conftest import BIN, REPO, alone, run

NAMESPACE, NAME = 'alohub', 'callcenter'
BUILDER = BIN / 'ansible-builder'

# Release tooling: the newest ansible-core line only (make test). A missing ansible-builder fails.
pytestmark = pytest.mark.release


@pytest.fixture(autouse=True, scope='module')
def builder_installed():
    assert BUILDER.exists(), 'ansible-builder is not installed next to %s (make venv installs it from tests/requirements-dev.txt)' % BIN


def requirement_names(lines):
    """Package names of pip requirement lines ('requests>=2.25.0  # from ...' -> 'requests')."""
    names = []
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if line:
            names.append(re.split(r'[\s<>=!~;\[]', line, maxsplit=1)[0].lower())
    return names


@pytest.fixture(scope='module')
def artifact(tmp_path_factory):
    """The collection tarball, built by hacking/build.sh with the venv's ansible-galaxy."""
    dist = tmp_path_factory.mktemp('dist')
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get('PATH', ''))
    out = run([REPO / 'hacking' / 'build.sh', dist], env=env).strip().splitlines()
    tarball = dist / out[-1].rsplit('/', 1)[-1]
    assert tarball.is_file(), out
    return tarball


def install(tarball_or_requirements, dest, cwd=None):
    """ansible-galaxy collection install into dest (offline: the collection has no dependencies)."""
    args = ['-r', tarball_or_requirements] if str(tarball_or_requirements).endswith('.yml') else [tarball_or_requirements]
    run([BIN / 'ansible-galaxy', 'collection', 'install', '--offline', '--collections-path', dest] + args, cwd=cwd,
        env=alone(dest))
    assert (dest / 'ansible_collections' / NAMESPACE / NAME / 'MANIFEST.json').is_file()


def test_metadata_points_at_requirements():
    meta = yaml.safe_load((REPO / 'meta' / 'execution-environment.yml').read_text())
    assert meta['version'] == 3
    python = meta['dependencies']['python']
    assert 'requests' in requirement_names((REPO / python).read_text().splitlines())
    system = meta['dependencies'].get('system')
    if system:
        assert (REPO / system).is_file(), system


def test_introspect_lists_requests(artifact, tmp_path):
    collections = tmp_path / 'collections'
    install(artifact, collections)
    written = tmp_path / 'requirements.txt'
    out = run([BUILDER, 'introspect', '--sanitize', '--write-pip', written, collections], env=alone(collections))
    assert re.search(r'requests.*# from collection %s\.%s' % (NAMESPACE, NAME), out), out
    assert requirement_names(written.read_text().splitlines()) == ['requests'], written.read_text()


def test_create_writes_a_context_that_installs_requests(artifact, tmp_path):
    ee = tmp_path / 'ee'
    ee.mkdir()
    (ee / 'requirements.yml').write_text(yaml.safe_dump(
        {'collections': [{'name': artifact.name, 'type': 'file'}]}))
    (ee / 'execution-environment.yml').write_text(yaml.safe_dump({
        'version': 3,
        'images': {'base_image': {'name': 'registry.example.invalid/ee-minimal:latest'}},
        'dependencies': {
            'ansible_core': {'package_pip': 'ansible-core'},
            'ansible_runner': {'package_pip': 'ansible-runner'},
            'galaxy': 'requirements.yml',
        },
        # The tarball goes into the context, where the galaxy stage's requirements.yml finds it.
        'additional_build_files': [{'src': str(artifact), 'dest': '.'}],
    }, sort_keys=False))
    context = tmp_path / 'context'
    run([BUILDER, 'create', '--file', ee / 'execution-environment.yml', '--context', context,
         '--output-filename', 'Containerfile'], cwd=ee)

    build = context / '_build'
    containerfile = (context / 'Containerfile').read_text()
    assert yaml.safe_load((build / 'requirements.yml').read_text()) == {
        'collections': [{'name': artifact.name, 'type': 'file'}]}
    assert (build / artifact.name).is_file()
    # The two build stages this test replays, as the generated Containerfile has them.
    assert re.search(r'^COPY _build /build$', containerfile, re.M), containerfile
    assert re.search(r'^RUN .*ansible-galaxy collection install .*-r requirements\.yml --collections-path "/usr/share/ansible/collections"$',
                     containerfile, re.M), containerfile
    introspect = re.search(r'^RUN \$PYCMD /output/scripts/introspect\.py introspect (.*)$', containerfile, re.M)
    assert introspect, containerfile
    assert '--write-pip=/tmp/src/requirements.txt' in introspect.group(1).split()

    # Galaxy stage: WORKDIR /build (a copy of _build), install from its requirements.yml.
    stage = tmp_path / 'build'
    shutil.copytree(build, stage)
    collections = tmp_path / 'usr-share-ansible-collections'
    install(stage / 'requirements.yml', collections, cwd=stage)
    # Builder stage: the context's own introspect.py writes what the final stage pip-installs.
    pip_file, bindep_file = tmp_path / 'src-requirements.txt', tmp_path / 'src-bindep.txt'
    run([BIN / 'python', stage / 'scripts' / 'introspect.py', 'introspect',
         '--write-pip=%s' % pip_file, '--write-bindep=%s' % bindep_file, collections], env=alone(collections))
    assert 'requests' in requirement_names(pip_file.read_text().splitlines()), pip_file.read_text()
    assert 'from collection %s.%s' % (NAMESPACE, NAME) in pip_file.read_text()
    assert not bindep_file.exists() or not bindep_file.read_text().strip()
