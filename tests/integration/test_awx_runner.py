"""AWX / Automation Platform: the shipped credential type, example project and creation playbook.

AWX runs a job by rendering the job's credentials into environment variables (the credential
type's injectors), writing a private data directory (project, inventory, env/extravars) and handing
it to ansible-runner. These tests do the same with the files under extensions/awx/, against the
simulator:

* the credential type is checked against AWX's schema for custom credential types and against
  the collection's connection options (names, env variables, choices, defaults, secret);
* its injectors are rendered the way AWX renders them (a Jinja2 sandbox, only non-empty inputs in
  the namespace, secrets masked in the copy AWX stores) - the variable names come from
  injectors.yml, never from this file;
* ``playbooks/apply.yml`` runs through ``ansible_runner.run`` from the example project, changes
  the tenant, and a second job changes nothing; the API key is in no artifact the runner wrote
  except ``command``, which records the job's whole environment by design (AWX deletes the private
  data directory after the job);
* ``tenants.yml`` (one inventory host per tenant, keys in an Ansible Vault file decrypted through a
  vault password prompt, as AWX's Vault credential does) is run as two slices, then as a check job
  that fails only the tenant that drifted;
* the credential type and the job templates are created by ``controller.yml`` with awx.awx:
  tests/integration/test_awx_controller.py.

ansible_runner must be importable (tests/requirements-dev.txt installs it): without it the job tests fail.
Release tooling: marked ``release``, run on the newest ansible-core line only.
"""

import ast
import base64
import json
import os
import re
import shutil
import stat
import subprocess

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import ACME, ACME_KEY, BIN, GLOBEX, GLOBEX_KEY, REPO
from alohub_test.playbook import load_data

pytestmark = pytest.mark.release

AWX = REPO / 'extensions' / 'awx'
CREDENTIAL_TYPE = AWX / 'credential_types' / 'alohub_api'
PROJECT = AWX / 'project'
LIST = '/v1/queues/inbound'

# AWX's schema for the fields of a custom credential type (awx/main/fields.py,
# CredentialTypeInputField): these keys only, `id` a variable name, `id` and `label` required.
AWX_FIELD_KEYS = {'id', 'label', 'type', 'format', 'choices', 'help_text', 'multiline', 'secret',
                  'ask_at_runtime', 'default'}
AWX_FIELD_ID = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')


def load_credential_type():
    inputs = yaml.safe_load((CREDENTIAL_TYPE / 'inputs.yml').read_text())
    injectors = yaml.safe_load((CREDENTIAL_TYPE / 'injectors.yml').read_text())
    return inputs, injectors


def connection_options():
    """The collection's documented connection options (plugins/doc_fragments/connection.py)."""
    source = (REPO / 'plugins' / 'doc_fragments' / 'connection.py').read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['DOCUMENTATION']:
            return yaml.safe_load(node.value.value)['options']
    raise AssertionError('no DOCUMENTATION in the connection doc fragment')


def check_credential(inputs, values):
    """What AWX checks when a credential is saved: known fields, required ones given, choices."""
    fields = dict((field['id'], field) for field in inputs['fields'])
    assert set(values) <= set(fields), 'unknown credential inputs: %s' % sorted(set(values) - set(fields))
    for name in inputs.get('required', []):
        assert values.get(name) not in (None, ''), 'credential input %s is required' % name
    for name, value in values.items():
        if 'choices' in fields[name]:
            assert value in fields[name]['choices'], '%s=%r is not one of %s' % (name, value, fields[name]['choices'])


def inject(inputs, injectors, values):
    """The job environment AWX builds from a credential, and the masked copy it stores.

    Mirrors CredentialType.inject_credential: only non-empty inputs enter the template namespace
    (a blank optional field renders as ''), secret fields are '**********' in the stored copy,
    variables named ANSIBLE_* are never injected.
    """
    secret = set(field['id'] for field in inputs['fields'] if field.get('secret'))
    namespace, safe_namespace = {}, {}
    for name, value in values.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
            safe_namespace[name] = '**********' if name in secret else value
    sandbox = ImmutableSandboxedEnvironment()
    env, safe_env = {}, {}
    for variable, template in injectors.get('env', {}).items():
        if variable.startswith('ANSIBLE_'):
            continue
        env[variable] = sandbox.from_string(template).render(**namespace)
        safe_env[variable] = sandbox.from_string(template).render(**safe_namespace)
    return env, safe_env


def credential_env(sim, tenant=ACME, key=ACME_KEY, auth_header='x-api-key'):
    """An AloHub API credential for the simulator, checked and rendered like AWX does."""
    inputs, injectors = load_credential_type()
    values = dict(api_url=sim.url, api_key=key, tenant_id=tenant, auth_header=auth_header)
    check_credential(inputs, values)
    return inject(inputs, injectors, values)


# -- the credential type itself ------------------------------------------------------------------


def test_credential_type_fits_awx_and_the_collection():
    inputs, injectors = load_credential_type()
    assert set(inputs) <= {'fields', 'required'}
    assert set(injectors) == {'env'}
    fields = dict((field['id'], field) for field in inputs['fields'])
    assert len(fields) == len(inputs['fields']), 'field ids must be unique'
    for field in inputs['fields']:
        assert set(field) <= AWX_FIELD_KEYS, '%s: keys AWX refuses: %s' % (field['id'], set(field) - AWX_FIELD_KEYS)
        assert AWX_FIELD_ID.match(field['id']) and field['id'] != 'tower'
        assert field.get('label') and field.get('type', 'string') in ('string', 'boolean')
        if 'choices' in field:
            assert field['choices'] and len(set(field['choices'])) == len(field['choices'])
            assert field.get('default', field['choices'][0]) in field['choices']
    assert set(inputs['required']) <= set(fields)
    assert [name for name, field in fields.items() if field.get('secret')] == ['api_key']

    # Each field feeds the option of the same name through that option's documented environment
    # variable, with the option's choices and default.
    options = connection_options()
    used = {}
    for variable, template in injectors['env'].items():
        names = re.findall(r'{{\s*(\w+)\s*}}', template)
        assert template.strip() == '{{ %s }}' % names[0], '%s: expected a plain {{ field }}, got %r' % (variable, template)
        used[names[0]] = variable
        assert not variable.startswith('ANSIBLE_')
    assert set(used) == set(fields) == {'api_url', 'api_key', 'tenant_id', 'auth_header'}
    for name, variable in used.items():
        option = options[name]
        assert 'E(%s)' % variable in ' '.join(option['description']), '%s is not the env fallback of %s' % (variable, name)
        if 'choices' in option:
            assert fields[name]['choices'] == option['choices']
        if 'default' in fields[name]:
            assert fields[name]['default'] == option['default']

    # AWX injects '' for a field left blank; the modules take an empty ALOHUB_* variable as unset,
    # so only the fields without a meaningful blank are required (the job below runs with tenant blank).
    assert set(inputs['required']) == {'api_url', 'api_key', 'auth_header'}

    # The masked copy AWX stores (job_env) never holds the key.
    env, safe_env = inject(inputs, injectors, dict(api_url='https://xapi.alohub.vn', api_key='sk_live_x',
                                                   tenant_id='1', auth_header='authorization'))
    assert 'sk_live_x' in env.values() and 'sk_live_x' not in json.dumps(safe_env)


# -- ansible-runner ------------------------------------------------------------------------------


def import_runner():
    try:
        import ansible_runner  # pylint: disable=import-outside-toplevel
    except ImportError as exc:  # a missing tool is a failure, not a skip
        pytest.fail('ansible_runner is not installed (%s): pip install ansible-runner (tests/requirements-dev.txt)' % exc)
    return ansible_runner


@pytest.fixture
def job_env(monkeypatch, collections_path):
    """The environment every job starts from: the venv's ansible-playbook, no inherited ALOHUB_*."""
    for name in list(os.environ):
        if name.startswith('ALOHUB_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('PATH', str(BIN) + os.pathsep + os.environ.get('PATH', ''))
    return dict(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR='1',
                ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                ANSIBLE_RETRY_FILES_ENABLED='false')


class Job:
    """One ansible-runner job in a private data directory laid out the way AWX lays it out."""

    def __init__(self, tmp_path, name, playbook, envvars, extravars=None, inventory=None, **runner_args):
        runner = import_runner()
        self.private = tmp_path / name
        shutil.copytree(PROJECT, self.private / 'project')
        (self.private / 'env').mkdir()
        # AWX writes the job template's extra variables to env/extravars.
        (self.private / 'env' / 'extravars').write_text(yaml.safe_dump(extravars or {}))
        self.prepare()
        if inventory is None:
            inventory = {'all': {'hosts': {'localhost': {
                'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}
        self.result = runner.run(
            private_data_dir=str(self.private), playbook=playbook, inventory=inventory, envvars=envvars,
            ident='job', quiet=True, suppress_env_files=True, **runner_args)
        self.artifacts = self.private / 'artifacts' / 'job'
        self.stdout = (self.artifacts / 'stdout').read_text()

    def prepare(self):
        """Hook for tests that add files to the project before the job runs."""

    @property
    def ok(self):
        return self.result.status == 'successful' and self.result.rc == 0

    def count(self, stat_name, host='localhost'):
        return (self.result.stats or {}).get(stat_name, {}).get(host, 0)

    def artifact_files(self):
        return sorted(path for path in self.artifacts.rglob('*') if path.is_file())

    def files_containing(self, secret):
        """Artifact files (relative names) whose text contains ``secret``."""
        return sorted(str(path.relative_to(self.artifacts)) for path in self.artifact_files()
                      if secret in path.read_text(errors='replace'))


def puts(sim):
    return [(entry['path'], entry['body']) for entry in sim.requests() if entry['method'] == 'PUT']


def test_apply_as_an_awx_job_with_the_credential(sim, tmp_path, job_env):
    env, safe_env = credential_env(sim)
    assert safe_env[next(name for name, value in env.items() if value == ACME_KEY)] == '**********'
    wanted = yaml.safe_load((PROJECT / 'queues' / 'acme.yml').read_text())['alohub_inbound_queues']
    assert [entry['id'] for entry in wanted] == [1001226, 1001201]
    before = sim.queues(ACME)
    assert (before[1001226]['strategy'], before[1001226]['timeWait']) == (1, '120')
    assert (before[1001201]['nguongRanhRoi'], before[1001201]['musicinQueue']) == ('0', None)

    # First job: the two queues of queues/acme.yml change, with only their differing fields.
    sim.clear_requests()
    job = Job(tmp_path, 'job1', 'apply.yml', dict(job_env, **env), extravars={'queues_file': 'queues/acme.yml'})
    assert job.ok, job.stdout
    assert job.count('changed') >= 1 and job.count('failures') == 0
    assert sorted(puts(sim)) == [
        ('%s/1001201' % LIST, {'moh_file_id': 'waiting.wav', 'announce_position': '1'}),
        ('%s/1001226' % LIST, {'strategy': 2, 'max_wait_sec': '180'}),
    ]
    requests = sim.requests()
    # The credential's inputs reached the modules: the key in X-Api-Key, the tenant header sent.
    assert requests and all(entry['auth_header'] == 'X-Api-Key' for entry in requests)
    assert all(entry['tenant_header'] == ACME and entry['tenant'] == ACME for entry in requests)
    after = sim.queues(ACME)
    assert (after[1001226]['strategy'], after[1001226]['timeWait']) == (2, '180')
    assert (after[1001201]['nguongRanhRoi'], after[1001201]['musicinQueue']) == ('1', 'waiting.wav')
    assert dict((k, v) for k, v in after.items() if k not in (1001226, 1001201)) == \
        dict((k, v) for k, v in before.items() if k not in (1001226, 1001201))
    assert '2 changed, 0 unchanged, 0 failed' in job.stdout

    # Second job, with the optional tenant left blank in the credential: nothing to do, no PUT,
    # changed=0, and no X-Tenant-ID sent (the API resolves the tenant from the key).
    blank_env, dummy = credential_env(sim, tenant='')
    assert blank_env['ALOHUB_TENANT_ID'] == ''
    sim.clear_requests()
    again = Job(tmp_path, 'job2', 'apply.yml', dict(job_env, **blank_env), extravars={'queues_file': 'queues/acme.yml'})
    assert again.ok, again.stdout
    assert again.count('changed') == 0
    assert puts(sim) == []
    assert [entry['method'] for entry in sim.requests()] == ['GET']
    assert all(entry['tenant_header'] is None and entry['tenant'] == ACME for entry in sim.requests())
    assert sim.queues(ACME) == after

    # The key is in no artifact the runner wrote - stdout, stderr, job_events/*.json, status, rc -
    # except `command`, which ansible-runner always writes with the job's environment (0600).
    for run in (job, again):
        events = sorted((run.artifacts / 'job_events').glob('*.json'))
        assert len(events) > 10
        assert run.files_containing(ACME_KEY) == ['command'], run.files_containing(ACME_KEY)
        assert stat.S_IMODE((run.artifacts / 'command').stat().st_mode) == 0o600
        assert ACME_KEY not in run.stdout
        assert not (run.private / 'env' / 'envvars').exists()


class TenantsJob(Job):
    """tenants.yml with the keys in an Ansible Vault file of the project, as docs/awx.md advises."""

    VAULT_PASSWORD = 'correct horse battery staple'
    encrypted = None  # the vault file, encrypted once per session (ansible-vault takes a second)

    def prepare(self):
        vault_file = self.private / 'project' / 'group_vars' / 'alohub_tenants' / 'vault.yml'
        if TenantsJob.encrypted is None:
            vault_file.write_text(yaml.safe_dump({'vault_alohub_api_keys': {'acme': ACME_KEY, 'globex': GLOBEX_KEY}}))
            password_file = self.private.parent / 'vault-pass'
            password_file.write_text(self.VAULT_PASSWORD)
            subprocess.run([str(BIN / 'ansible-vault'), 'encrypt', '--vault-password-file', str(password_file),
                            str(vault_file)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
            password_file.unlink()
            TenantsJob.encrypted = vault_file.read_text()
        vault_file.write_text(TenantsJob.encrypted)
        assert TenantsJob.encrypted.startswith('$ANSIBLE_VAULT;') and ACME_KEY not in TenantsJob.encrypted


def tenants_job(tmp_path, name, sim, job_env, cmdline='', **runner_args):
    # AWX's Vault credential: --ask-vault-pass, and the password typed at the prompt.
    return TenantsJob(tmp_path, name, 'tenants.yml', job_env, extravars={'alohub_api_url': sim.url},
                      inventory=str(tmp_path / name / 'project' / 'inventory' / 'hosts.yml'),
                      cmdline=('--ask-vault-pass ' + cmdline).strip(),
                      passwords={r'Vault password:\s*?$': TenantsJob.VAULT_PASSWORD}, **runner_args)


def test_tenants_playbook_in_slices_and_as_a_drift_check(sim, tmp_path, job_env):
    before = dict((tenant, sim.queues(tenant)) for tenant in (ACME, GLOBEX))

    # Job slicing splits the inventory's hosts (tenants) across slice jobs; each slice changes its
    # own tenants only, with its own key and tenant id.
    slices = {}
    for host, tenant in (('acme', ACME), ('globex', GLOBEX)):
        sim.clear_requests()
        job = tenants_job(tmp_path, 'slice-' + host, sim, job_env, limit=host)
        assert job.ok, job.stdout
        requests = sim.requests()
        assert requests and set(entry['tenant'] for entry in requests) == {tenant}
        assert set(entry['tenant_header'] for entry in requests) == {tenant}
        assert set(entry['auth_header'] for entry in requests) == {'X-Api-Key'}
        slices[host] = (job, puts(sim))
    assert sorted(slices['acme'][1]) == [
        ('%s/1001201' % LIST, {'moh_file_id': 'waiting.wav', 'announce_position': '1'}),
        ('%s/1001226' % LIST, {'strategy': 2, 'max_wait_sec': '180'}),
    ]
    assert slices['globex'][1] == [('%s/2002000' % LIST, {'max_wait_sec': '300'})]
    assert slices['acme'][0].count('changed', 'acme') >= 1 and slices['globex'][0].count('changed', 'globex') >= 1
    assert sim.queues(GLOBEX)[2002000]['timeWait'] == '300'
    assert dict((k, v) for k, v in sim.queues(GLOBEX).items() if k != 2002000) == \
        dict((k, v) for k, v in before[GLOBEX].items() if k != 2002000)

    # A scheduled drift check over all tenants (a Check job with tenants_fail_on_drift): nothing
    # drifted yet. Then someone changes a globex queue by hand: only globex fails, nothing is sent.
    sim.clear_requests()
    check = tenants_job(tmp_path, 'check1', sim, job_env, cmdline='--check --diff -e tenants_fail_on_drift=true')
    assert check.ok, check.stdout
    assert puts(sim) == []
    sim.set_queue(GLOBEX, 2002000, timeWait='45')
    sim.clear_requests()
    drifted = tenants_job(tmp_path, 'check2', sim, job_env, cmdline='--check --diff -e tenants_fail_on_drift=true')
    assert drifted.result.status == 'failed'
    assert drifted.count('failures', 'globex') == 1 and drifted.count('failures', 'acme') == 0
    assert '1 queue(s) of tenant globex drifted from queues/globex.yml: 2002000' in drifted.stdout
    assert puts(sim) == []

    for job in [slices['acme'][0], slices['globex'][0], check, drifted]:
        for secret in (ACME_KEY, GLOBEX_KEY, TenantsJob.VAULT_PASSWORD):
            assert job.files_containing(secret) == [], (secret, job.files_containing(secret))


def artifacts(job):
    """What AWX stores as a job's artifacts (and hands to later workflow nodes): its set_stats, from the stats event."""
    stats_event, = [e for e in job.result.events if e.get('event') == 'playbook_on_stats']
    return stats_event['event_data'].get('artifact_data') or {}


def test_promotion_as_an_awx_workflow_export_promote_approve_apply(sim, tmp_path, job_env):
    """docs/awx.md's promotion workflow, node by node as AWX runs it: each job has one AloHub API credential (the
    export node dev's, the others prod's), its own inputs (the node's extra_data), and the artifacts of the nodes
    before it as extra variables; the approval node passes them through unchanged."""
    dev, dummy = credential_env(sim, tenant=GLOBEX, key=GLOBEX_KEY)
    prod, dummy = credential_env(sim)
    sim.set_queue(GLOBEX, 2002002, timeWait='75')   # dev's sales, tried and approved
    sim.clear_requests()
    export = Job(tmp_path, 'export', 'export.yml', dict(job_env, **dev),
                 extravars={'queues_file': 'alohub-export.yml', 'key_by': 'name'})
    assert export.ok, export.stdout
    handed = artifacts(export)
    assert sorted(handed) == ['alohub_queues_file_b64']
    assert {(e['method'], e['tenant']) for e in sim.requests()} == {('GET', GLOBEX)}

    # The promote node: prod's credential, a survey's text answer for the patterns.
    node = {'plan_file': 'alohub-promote.plan.yml', 'include': 'sales, billing, reception, shipping'}
    sim.clear_requests()
    promote = Job(tmp_path, 'promote', 'promote.yml', dict(job_env, **prod), extravars=dict(handed, **node))
    assert promote.ok, promote.stdout
    assert {(e['method'], e['tenant']) for e in sim.requests()} == {('GET', ACME)}
    assert 'PROMOTION: 4 queue(s) of ' in promote.stdout and 'would change in the target' in promote.stdout
    handed = dict(handed, **artifacts(promote))
    assert sorted(handed) == ['alohub_plan_file_b64', 'alohub_queues_file_b64']
    (tmp_path / 'handed.plan.yml').write_bytes(base64.b64decode(handed['alohub_plan_file_b64']))
    plan = load_data(tmp_path / 'handed.plan.yml')
    assert plan['alohub_plan_meta']['tenant_id'] == ACME
    assert sorted(item['name'] for item in plan['alohub_plan']) == ['billing', 'reception', 'sales', 'shipping']

    # The apply node after the approval: a Check job first, then for real, then again.
    sim.clear_requests()
    check = Job(tmp_path, 'apply-check', 'apply.yml', dict(job_env, **prod), extravars=handed, cmdline='--check')
    assert check.ok and puts(sim) == [], check.stdout
    applied = Job(tmp_path, 'apply', 'apply.yml', dict(job_env, **prod), extravars=handed)
    assert applied.ok, applied.stdout
    assert sorted(path for path, body in puts(sim)) == sorted('%s/%d' % (LIST, item['id']) for item in plan['alohub_plan'])
    assert sim.queues(ACME)[1001201]['timeWait'] == '75'
    sim.clear_requests()
    again = Job(tmp_path, 'apply-again', 'apply.yml', dict(job_env, **prod), extravars=handed)
    assert again.ok and puts(sim) == [] and again.count('changed') == 0, again.stdout
    assert 'already applied' in again.stdout

    # A workflow survey's answer reaches every node: the apply job cannot tell which input was approved.
    sim.clear_requests()
    confused = Job(tmp_path, 'apply-confused', 'apply.yml', dict(job_env, **prod),
                   extravars=dict(handed, queues_file='queues/acme.yml'))
    assert not confused.ok and puts(sim) == [], confused.stdout
    assert ('This job got alohub_plan_file_b64 from an earlier node of the workflow and also -e queues_file'
            in confused.stdout), confused.stdout
