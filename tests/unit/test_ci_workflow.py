"""The GitHub Actions workflow and the support floors, against hacking/ansible-lines.

hacking/ansible-lines is the one list of ansible-core lines (and the Python series each runs on)
that `make test` runs; .github/workflows/ci.yml must test the same lines on Pythons of those
series, sanity on the oldest and the newest, and keep the galaxy-importer and bare ansible-lint
jobs. actionlint (tests/requirements-line.txt) checks the workflow's syntax, expressions, action
inputs and, with shellcheck on PATH, its shell steps. The oldest line is also the floor users are
told about: meta/runtime.yml's requires_ansible, and the modules' Python requirement (stated in the
connection doc fragment, rendered in every module's documentation, and in README.md).

Not shipped in the artifact (galaxy.yml build_ignore): it has no .github/ or hacking/.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / '.github' / 'workflows' / 'ci.yml'


def lines():
    """[(line, python series)] of hacking/ansible-lines, newest first."""
    rows = []
    for row in (REPO / 'hacking' / 'ansible-lines').read_text().splitlines():
        if row.strip() and not row.lstrip().startswith('#'):
            rows.append(tuple(row.split()[:2]))
    return rows


def fits(python, series):
    """Whether Python ``python`` ("3.13") belongs to a hacking/find-python series ("3.12+", "3.11")."""
    version = tuple(int(part) for part in python.split('.'))
    floor = tuple(int(part) for part in series.rstrip('+').split('.'))
    return version >= floor if series.endswith('+') else version == floor


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def test_actionlint_passes():
    binary = shutil.which('actionlint', path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get('PATH', ''))
    assert binary, 'actionlint is not installed: pip install -r tests/requirements-line.txt'
    proc = subprocess.run([binary, '-color=false', str(WORKFLOW)], cwd=str(REPO), capture_output=True, text=True,
                          timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_workflow_tests_every_line_on_its_python():
    jobs = workflow()['jobs']
    matrix = [(row['line'], row['python']) for row in jobs['tests']['strategy']['matrix']['include']]
    wanted = lines()
    assert [line for line, dummy in matrix] == [line for line, dummy in wanted]
    for (line, python), (dummy, series) in zip(matrix, wanted):
        assert fits(python, series), 'ansible-core %s runs on Python %s in hacking/ansible-lines, not %s' % (line, series, python)
    # Sanity on the oldest and the newest line, as `make test` runs it.
    assert jobs['sanity']['strategy']['matrix']['ansible'] == ['stable-%s' % wanted[-1][0], 'stable-%s' % wanted[0][0]]
    step = jobs['sanity']['steps'][0]
    assert step['uses'].startswith('ansible-community/ansible-test-gh-action@') and step['with']['testing-type'] == 'sanity'


def test_the_workflow_keeps_the_release_checks():
    jobs = workflow()['jobs']
    importer = '\n'.join(step.get('run', '') for step in jobs['galaxy-importer']['steps'])
    assert 'galaxy_importer.main' in importer and 'RUN_ANSIBLE_TEST = False' in importer
    lint = [step.get('run', '') for step in jobs['lint']['steps']]
    assert 'ansible-lint' in lint, 'bare ansible-lint, with no arguments, as reviewers run it'
    assert 'actionlint' in lint


def test_the_floors_are_the_oldest_line():
    """requires_ansible and the modules' Python requirement are the oldest tested line and its Python."""
    oldest, series = lines()[-1]
    runtime = yaml.safe_load((REPO / 'meta' / 'runtime.yml').read_text())
    assert runtime['requires_ansible'] == '>=%s.0' % oldest
    # The modules run on the controller, so their Python floor is the oldest line's controller Python,
    # which the oldest line's tests run them on (hacking/ansible-lines pins that series exactly).
    assert not series.endswith('+'), 'the oldest line must run on its oldest Python, not on the newest one'
    fragment = (REPO / 'plugins' / 'doc_fragments' / 'connection.py').read_text()
    assert re.findall(r'^  - python >= (\S+)', fragment, re.M) == [series]
    readme = ' '.join((REPO / 'README.md').read_text().split())
    assert 'Python %s or newer **on the controller**' % series in readme
    assert 'ansible-core %s or newer' % oldest in readme
