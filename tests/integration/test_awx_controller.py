"""AWX / Automation Platform controller content: the job template surveys and controller.yml.

* The surveys under extensions/awx/surveys/ are checked with the controller's own rules for a
  survey spec (a port of AWX's JobTemplateSurveySpec._validate_spec_data, awx/api/views, and of the
  answer checks of SurveyJobTemplateMixin._survey_element_validation, awx/main/models/mixins.py,
  AWX 24.6), and against the extra variables of the collection's playbooks (docs/awx.md).
* extensions/awx/controller.yml runs with the controller's own collection, awx.awx, against a
  small fake of the controller API (lookups by name, create, patch, survey_spec, credential
  associations) that applies the same survey rules: check mode sends nothing, the first run creates
  the credential type and the job templates with their surveys, the second changes nothing, a
  survey edited in the UI is put back, a wrong token fails with the controller's answer.
  awx.awx comes from PyPI: the community ``ansible`` package bundles it (that package pins an
  ansible-core of its own, so it cannot be installed into the venv: its wheel is downloaded once
  into .build/cache/ and only ansible_collections/awx/awx is unpacked).
* The example project (extensions/awx/project/, a project of its own with its own .ansible-lint) is
  linted from its directory, with this collection on the collections path, as a user lints a copy.

Release tooling: marked ``release`` (newest ansible-core line only); not shipped in the artifact.
"""

import fcntl
import json
import os
import re
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from conftest import ACME_READONLY_KEY, BIN, REPO, run

pytestmark = pytest.mark.release

AWX = REPO / 'extensions' / 'awx'
SURVEYS = AWX / 'surveys'
PROJECT = AWX / 'project'
# The community package whose wheel carries awx.awx 24.6.1 (the AWX release the survey rules are from).
AWX_COLLECTION_FROM = 'ansible==12.3.0'
AWX_VERSION = '24.6.1'

# The extra variables of the collection's playbooks that a survey may ask for (docs/awx.md).
PLAYBOOK_VARIABLES = {
    'plan': {'queues_file', 'plan_file'},
    'apply': {'plan_file', 'queues_file'},
    'drift': {'queues_file', 'strict', 'fail_on_drift', 'drift_report_file', 'drift_junit_file'},
    'rollback': {'backup_file'},
    'export': {'queues_file', 'key_by'},
    'promote': {'source_file', 'overlay_file', 'include', 'exclude', 'plan_file'},
}
BOOLEAN_VARIABLES = {'strict', 'fail_on_drift'}

# --- the controller's survey rules ----------------------------------------------------------------

SURVEY_TYPE_MAPPING = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
                       'integer': int, 'float': (float, int)}


def survey_spec_error(new_spec):
    """The error AWX answers (HTTP 400) to POST .../survey_spec/ with ``new_spec``, or None."""
    for field, expect_type, type_label in [('name', str, 'string'), ('description', str, 'string'),
                                           ('spec', list, 'list of items')]:
        if field not in new_spec:
            return "Field '{}' is missing from survey spec.".format(field)
        if not isinstance(new_spec[field], expect_type):
            return "Expected {} for field '{}', received {} type.".format(type_label, field, type(new_spec[field]).__name__)
    if not new_spec['spec']:
        return "'spec' doesn't contain any items."
    variables = set()
    for idx, item in enumerate(new_spec['spec']):
        if not isinstance(item, dict):
            return 'Survey question %s is not a json object.' % idx
        for field_name in ['type', 'question_name', 'variable', 'required']:
            if field_name not in item:
                return "'{}' missing from survey question {}".format(field_name, idx)
            allow = bool if field_name == 'required' else str
            if not isinstance(item[field_name], allow):
                return "'{}' in survey question {} expected to be {}.".format(
                    field_name, idx, 'boolean' if allow is bool else 'string')
        if item['variable'] in variables:
            return "'variable' '%s' duplicated in survey question %s." % (item['variable'], idx)
        variables.add(item['variable'])
        qtype = item['type']
        if qtype not in SURVEY_TYPE_MAPPING:
            return "'{}' in survey question {} is not one of '{}' allowed question types.".format(
                qtype, idx, ', '.join(SURVEY_TYPE_MAPPING))
        if 'default' in item and item['default'] != '' and not isinstance(item['default'], SURVEY_TYPE_MAPPING[qtype]):
            return 'Default value {} in survey question {} expected to be {}.'.format(item['default'], idx, qtype)
        for key in ['min', 'max']:
            if key in item and item[key] is not None and not isinstance(item[key], int):
                return 'The {} limit in survey question {} expected to be integer.'.format(key, idx)
        if qtype in ('multiselect', 'multiplechoice'):
            if 'choices' not in item:
                return 'Survey question {} of type {} must specify choices.'.format(idx, qtype)
            choices = item['choices']
            if isinstance(choices, str):
                choices = [c for c in choices.splitlines() if c.strip()]
            if 'default' in item:
                defaults = item['default'].splitlines() if isinstance(item['default'], str) else item['default']
                if qtype == 'multiplechoice' and len(defaults) > 1:
                    return 'Multiple Choice (Single Select) can only have one default value.'
                if any(d not in choices for d in defaults):
                    return 'Default choice must be answered from the choices listed.'
        if isinstance(item.get('default'), str) and item['default'].startswith('$encrypted$'):
            return '$encrypted$ is a reserved keyword, may not be used for new default in position {}.'.format(idx)
    return None


def answer_errors(item, answers):
    """What AWX says about ``answers`` (extra variables) for survey question ``item``."""
    variable = item['variable']
    if variable not in answers:
        return ["'%s' value missing" % variable] if item['required'] else []
    value = answers[variable]
    low, high = item.get('min'), item.get('max')
    if item['type'] in ('text', 'textarea', 'password'):
        if not isinstance(value, str):
            return ["Value %s for '%s' expected to be a string." % (value, variable)]
        if low not in ('', None) and len(value) < int(low):
            return ["'%s' value %s is too small" % (variable, value)]
        if high not in ('', None) and len(value) > int(high):
            return ["'%s' value %s is too large" % (variable, value)]
    elif item['type'] == 'multiplechoice':
        if value not in item['choices']:
            return ['Value %s for %s expected to be one of %s.' % (value, variable, item['choices'])]
    return []


def load_surveys():
    return dict((path.stem, json.loads(path.read_text())) for path in sorted(SURVEYS.glob('*.json')))


def test_the_surveys_pass_the_controllers_rules():
    surveys = load_surveys()
    assert sorted(surveys) == sorted(PLAYBOOK_VARIABLES)
    for name, spec in surveys.items():
        assert survey_spec_error(spec) is None, (name, survey_spec_error(spec))
        variables = [item['variable'] for item in spec['spec']]
        assert set(variables) == PLAYBOOK_VARIABLES[name], (name, variables)
        # Every question is a variable the collection's playbook takes (it rejects any other -e).
        play, = yaml.safe_load((REPO / 'playbooks' / ('%s.yml' % name)).read_text())
        assert set(variables) <= set(play['vars']['alohub_playbook_spec']), (name, variables)
        for item in spec['spec']:
            assert item.get('question_description'), (name, item['variable'], 'explain every question')
            # A default is what a launch without an answer sends, so it must pass the answer checks.
            if 'default' in item:
                assert answer_errors(item, {item['variable']: item['default']}) == [], (name, item)
            # Booleans as "true"/"false" choices: the playbooks read them with | bool.
            if item['variable'] in BOOLEAN_VARIABLES:
                assert item['type'] == 'multiplechoice' and sorted(item['choices']) == ['false', 'true'], item
            # An optional question has no default: AWX sends a default even when nobody answered, and
            # apply.yml must see plan_file and queues_file unset to take a workflow's plan artifact.
            if not item['required']:
                assert 'default' not in item, (name, item['variable'])
    # apply: either a plan or a queues file, so neither is required on its own.
    assert not any(item['required'] for item in surveys['apply']['spec'])

    # The port is a real check: what the controller refuses, it refuses.
    question = dict(surveys['drift']['spec'][1])
    assert survey_spec_error(dict(surveys['drift'], spec=[dict(question, default='maybe')])) == \
        'Default choice must be answered from the choices listed.'
    assert 'missing' in survey_spec_error(dict(surveys['drift'], spec=[dict((k, v) for k, v in question.items() if k != 'required')]))
    assert survey_spec_error(dict(surveys['drift'], spec=[question, question])).startswith("'variable' 'strict' duplicated")


# --- a fake controller ----------------------------------------------------------------------------


class FakeController:
    """Enough of the AWX API v2 for awx.awx's credential_type and job_template modules."""

    TOKEN = 'controller-token-123'
    TYPES = {'credential_types': 'credential_type', 'job_templates': 'job_template', 'organizations': 'organization',
             'projects': 'project', 'inventories': 'inventory', 'credentials': 'credential'}

    def __init__(self):
        self.log = []
        self.next_id = 100
        self.objects = dict((resource, {}) for resource in self.TYPES)
        self.surveys = {}
        self.associations = {}
        self.add('organizations', id=1, name='Default')
        self.add('projects', id=7, name='AloHub queues', organization=1)
        self.add('inventories', id=3, name='AloHub controller', organization=1)
        self.add('credentials', id=12, name='AloHub acme', organization=1)
        controller = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body=None):
                data = b'' if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('X-API-Product-Name', 'AWX')
                self.send_header('X-API-Product-Version', AWX_VERSION)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self):
                url = urlsplit(self.path)
                length = int(self.headers.get('Content-Length') or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                controller.log.append((self.command, url.path, body))
                if self.headers.get('Authorization') != 'Bearer ' + controller.TOKEN:
                    return self.answer(401, {'detail': 'Authentication credentials were not provided.'})
                status, answer = controller.route(self.command, url.path, dict(parse_qsl(url.query)), body)
                return self.answer(status, answer)

            do_GET = do_POST = do_PATCH = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, resource, **fields):
        if 'id' not in fields:
            self.next_id += 1
            fields['id'] = self.next_id
        url = '/api/v2/%s/%d/' % (resource, fields['id'])
        related = {}
        if resource == 'job_templates':
            related = {'survey_spec': url + 'survey_spec/', 'credentials': url + 'credentials/'}
            self.associations[fields['id']] = []
        fields.update(url=url, type=self.TYPES[resource], related=related)
        self.objects[resource][fields['id']] = fields
        return fields

    def writes(self):
        return [(method, path) for method, path, body in self.log if method != 'GET']

    def route(self, method, path, query, body):  # pylint: disable=too-many-return-statements
        match = re.match(r'^/api/v2/(\w+)/(?:(\d+)/(?:(\w+)/)?)?$', path)
        if not match or match.group(1) not in self.objects:
            return 404, {'detail': 'Not found.'}
        resource, item_id, sub = match.group(1), match.group(2), match.group(3)
        items = self.objects[resource]
        if item_id is None:
            if method == 'GET':
                found = [o for o in items.values() if self.matches(o, query)]
                return 200, {'count': len(found), 'next': None, 'previous': None, 'results': found}
            if method == 'POST':
                error = self.invalid(resource, body)
                if error:
                    return 400, error
                return 201, self.add(resource, **body)
            return 405, {'detail': 'Method not allowed.'}
        item = items.get(int(item_id))
        if item is None:
            return 404, {'detail': 'Not found.'}
        if sub is None:
            if method == 'PATCH':
                error = self.invalid(resource, dict(item, **body))
                if error:
                    return 400, error
                item.update(body)
            return 200, item
        if resource == 'job_templates' and sub == 'survey_spec':
            if method == 'POST':
                error = survey_spec_error(body)
                if error:
                    return 400, {'error': error}
                self.surveys[item['id']] = body
                return 200, {}
            return 200, self.surveys.get(item['id'], {})
        if resource == 'job_templates' and sub == 'credentials':
            linked = self.associations[item['id']]
            if method == 'POST':
                if body['id'] not in self.objects['credentials']:
                    return 400, {'msg': 'Related Credential not found.'}
                if body.get('disassociate'):
                    linked.remove(body['id'])
                elif body['id'] not in linked:
                    linked.append(body['id'])
                return 204, None
            found = [self.objects['credentials'][i] for i in linked]
            return 200, {'count': len(found), 'next': None, 'previous': None, 'results': found}
        return 404, {'detail': 'Not found.'}

    @staticmethod
    def matches(obj, query):
        either = [(k[4:], v) for k, v in query.items() if k.startswith('or__')]
        plain = [(k, v) for k, v in query.items() if not k.startswith('or__') and k not in ('page', 'page_size')]
        if either and not any(str(obj.get(k)) == v for k, v in either):
            return False
        return all(str(obj.get(k)) == v for k, v in plain)

    def invalid(self, resource, body):
        if not body.get('name'):
            return {'name': ['This field may not be blank.']}
        if resource == 'credential_types' and body.get('kind') not in ('cloud', 'net'):
            return {'kind': ['Must be cloud or net.']}
        if resource == 'job_templates':
            if body.get('project') not in self.objects['projects'] or body.get('inventory') not in self.objects['inventories']:
                return {'project': ['A job template needs a project and an inventory that exist.']}
            if not body.get('playbook'):
                return {'playbook': ['This field is required.']}
        return None


@pytest.fixture
def controller():
    fake = FakeController()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture(scope='session')
def awx_collection():
    """A collections path holding awx.awx, unpacked from the community ``ansible`` wheel (cached)."""
    cache = REPO / '.build' / 'cache'
    root = cache / ('awx.awx-%s' % AWX_VERSION)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / 'awx.awx.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = root / 'ansible_collections' / 'awx' / 'awx' / 'MANIFEST.json'
        if not manifest.is_file():
            wheels = cache / 'wheels'
            run([BIN / 'python', '-m', 'pip', 'download', '--disable-pip-version-check', '--quiet', '--no-deps',
                 '--only-binary', ':all:', '-d', wheels, AWX_COLLECTION_FROM])
            wheel = sorted(wheels.glob('ansible-%s-*.whl' % AWX_COLLECTION_FROM.split('==')[1]))[-1]
            partial = cache / ('awx.awx-%s.partial' % AWX_VERSION)
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(partial, [n for n in archive.namelist() if n.startswith('ansible_collections/awx/awx/')])
            if root.exists():
                subprocess.run(['rm', '-rf', str(root)], check=True)
            partial.rename(root)
            wheel.unlink()
        info = json.loads(manifest.read_text())['collection_info']
        assert (info['namespace'], info['name'], info['version']) == ('awx', 'awx', AWX_VERSION)
    return root


def test_controller_playbook_with_awx_awx(ansible, controller, awx_collection, tmp_path):
    inputs = yaml.safe_load((AWX / 'credential_types' / 'alohub_api' / 'inputs.yml').read_text())
    injectors = yaml.safe_load((AWX / 'credential_types' / 'alohub_api' / 'injectors.yml').read_text())
    surveys = load_surveys()
    env = {'CONTROLLER_HOST': controller.url, 'CONTROLLER_OAUTH_TOKEN': FakeController.TOKEN,
           'ANSIBLE_COLLECTIONS_PATH': os.pathsep.join([str(awx_collection), str(ansible.collections)]),
           'HOME': str(tmp_path)}   # no ~/.tower_cli.cfg or controller config of the caller
    playbook = AWX / 'controller.yml'
    args = ['-e', json.dumps({'alohub_awx_credential': 'AloHub acme'})]

    # Check mode looks everything up and sends nothing.
    result = ansible.run_playbook(playbook, env=env, args=args, check=True)
    assert result.rc == 0, result.output
    assert controller.writes() == [] and controller.log
    assert result.recap['changed'] == 2

    result = ansible.run_playbook(playbook, env=env, args=args)
    assert result.rc == 0, result.output
    assert 'You are running collection version' not in result.output and '[WARNING]' not in result.output, result.output
    types = list(controller.objects['credential_types'].values())
    assert [(t['name'], t['kind'], t['inputs'], t['injectors']) for t in types] == [('AloHub API', 'cloud', inputs, injectors)]
    templates = dict((t['name'], t) for t in controller.objects['job_templates'].values())
    assert sorted(templates) == ['AloHub queues - apply', 'AloHub queues - drift check', 'AloHub queues - export',
                                 'AloHub queues - plan', 'AloHub queues - promote', 'AloHub queues - rollback']
    by_playbook = dict((t['playbook'], t) for t in templates.values())
    assert sorted(by_playbook) == ['apply.yml', 'drift.yml', 'export.yml', 'plan.yml', 'promote.yml', 'rollback.yml']
    for playbook_name, template in by_playbook.items():
        # Every job template's playbook is in the example project, and runs its survey.
        assert (PROJECT / playbook_name).is_file()
        assert (template['project'], template['inventory'], template['organization']) == (7, 3, 1)
        assert template['survey_enabled'] is True and template['diff_mode'] is True
        assert controller.surveys[template['id']] == surveys[playbook_name[:-4]]
        assert controller.associations[template['id']] == [12]
        # A workflow node can give the job another environment's credential.
        assert template['ask_credential_on_launch'] is True

    controller.log.clear()
    result = ansible.run_playbook(playbook, env=env, args=args)
    assert result.rc == 0, result.output
    assert controller.writes() == [] and result.recap['changed'] == 0

    # Someone changed a survey in the UI: the next run puts the file's version back.
    drift = by_playbook['drift.yml']
    controller.surveys[drift['id']] = dict(surveys['drift'], spec=surveys['drift']['spec'][:1])
    controller.log.clear()
    result = ansible.run_playbook(playbook, env=env, args=args)
    assert result.rc == 0, result.output
    assert controller.writes() == [('POST', '/api/v2/job_templates/%d/survey_spec/' % drift['id'])]
    assert controller.surveys[drift['id']] == surveys['drift'] and result.recap['changed'] == 1

    # A wrong token fails with the controller's answer, and no token is printed.
    result = ansible.run_playbook(playbook, env=dict(env, CONTROLLER_OAUTH_TOKEN='wrong-token-456'), args=args)
    assert result.rc == 2
    assert 'HTTP 401' in result.output
    assert 'wrong-token-456' not in result.output and FakeController.TOKEN not in result.output


def test_the_example_project_lints_clean(collections_path, tmp_path):
    """ansible-lint from the project's directory, as a user lints a copy, with the collection installed."""
    env = dict((k, v) for k, v in os.environ.items() if k != 'PYTHONPATH')
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), PATH=str(BIN) + os.pathsep + env.get('PATH', ''),
               NO_COLOR='1', ANSIBLE_HOME=str(tmp_path / 'ansible-home'))   # ansible-lint's cache: private to the run
    args = [str(BIN / 'ansible-lint'), '--offline']
    proc = subprocess.run(args, cwd=str(PROJECT), env=env, capture_output=True, text=True, timeout=300,
                          check=False, stdin=subprocess.DEVNULL)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert 'Failed to find' not in output, output


def test_a_drift_job_needs_a_key_with_the_queue_scope(ansible):
    """docs/awx.md: no read-only key for drift jobs; a key without the queue scope gets 403 on reads."""
    guide = ' '.join((REPO / 'docs' / 'awx.md').read_text().split())
    assert 'The key of a drift job needs the `queue` scope.' in guide
    assert 'refused with HTTP 403' in guide
    env = {'ALOHUB_API_URL': ansible.sim.url, 'ALOHUB_API_KEY': ACME_READONLY_KEY}
    result = ansible.run_playbook(REPO / 'playbooks' / 'drift.yml', env=env,
                                  args=['-e', 'queues_file=%s' % (PROJECT / 'queues' / 'acme.yml')])
    assert result.rc != 0, result.output
    assert '403' in result.output, result.output
    assert [entry['status'] for entry in result.all_requests] == [403], result.all_requests
    assert ACME_READONLY_KEY not in result.output
