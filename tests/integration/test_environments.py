"""Environments and promotion, through real ansible-playbook, with the example inventory the collection ships.

The simulator's tenants stand for one customer's environments: 20260311 (globex) is dev, 20260310 (acme) is
prod. Their queues have other ids; some names are in both (sales, billing, reception, ...), some in one
only (globex-main in dev, test in prod), and one name is two queues in prod (support). The inventory is
docs/examples/environments, copied as a user copies it, with its keys in real ansible-vault files; only
alohub_api_url is given on the command line, to point both environments at the simulator.
Every step that changes something is run in check mode, for real, and again.
"""

import shutil
import subprocess

import pytest
import yaml

from conftest import ACME, ACME_KEY, GLOBEX, GLOBEX_KEY, REPO
from alohub_test.playbook import load_data
from alohub_test.playenv import BIN

# The playbooks, the role and interrupted runs: on the newest and the oldest ansible-core line (tests/pytest.ini).
pytestmark = pytest.mark.template_engine

PLAYBOOKS = REPO / 'playbooks'
EXAMPLE = REPO / 'docs' / 'examples' / 'environments'
SHOW = 'alohub.callcenter.inbound_queues : Show what changed, per queue and setting'


def environments(workdir):
    """The example inventory, copied, with each environment's key in an ansible-vault file."""
    target = workdir / 'environments'
    shutil.copytree(EXAMPLE, target)
    (workdir / 'vault-pass').write_text('test vault password\n')
    for env, key in (('dev', GLOBEX_KEY), ('prod', ACME_KEY)):
        vault = target / 'group_vars' / env / 'vault.yml'
        vault.write_text('vault_alohub_api_key: %s\n' % key)
        subprocess.run([str(BIN / 'ansible-vault'), 'encrypt', '--vault-password-file', str(workdir / 'vault-pass'),
                        str(vault)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
        assert vault.read_text().startswith('$ANSIBLE_VAULT;')
    return target


def play(ansible, sim, name, *args, check=False):
    env_dir = ansible.workdir / 'environments'
    extra = ['-i', str(env_dir / 'inventory.yml'), '--vault-password-file', str(ansible.workdir / 'vault-pass'),
             '-e', 'alohub_api_url=%s' % sim.url]
    for arg in args:
        extra += ['-e', arg]
    return ansible.run_playbook(PLAYBOOKS / ('%s.yml' % name), args=extra, check=check)


def puts(run, tenant=None):
    return sorted((e['path'], e['body']) for e in run.all_requests if e['method'] == 'PUT'
                  and (tenant is None or e['tenant'] == tenant))


def test_a_base_file_and_an_overlay_per_environment(sim, ansible):
    env_dir = environments(ansible.workdir)
    base, prod = env_dir / 'queues' / 'base.yml', env_dir / 'queues' / 'prod.yml'
    # Offline, without a key: the effective entries for prod.
    run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=%s' % base,
                                                                 '-e', 'overlay_file=%s' % prod])
    assert run.rc == 0 and run.all_requests == [], run.output
    lines = run.result('Say what each entry would send')['msg']
    assert lines[0] == '%s + %s: 3 entries, all valid' % (base, prod)
    assert '"max_wait_sec": "90"' in lines[1] and '"moh_file_id": "hold-vi.wav"' in lines[3]
    # Plan prod from base + prod's overlay: every queue resolved by name to prod's ids.
    run = play(ansible, sim, 'plan', 'alohub_environment=prod', 'queues_file=%s' % base, 'overlay_file=%s' % prod,
               'plan_file=prod.plan.yml')
    assert run.rc == 0 and puts(run) == [], run.output
    assert all(e['tenant'] == ACME and e['tenant_header'] == ACME for e in run.all_requests)
    plan = load_data(ansible.workdir / 'prod.plan.yml')
    assert [(i['id'], i['name']) for i in plan['alohub_plan']] == [
        (1001201, 'sales'), (1001202, 'billing'), (1001200, 'reception')]
    assert plan['alohub_plan'][0]['after'] == dict(max_wait_sec=90, announce_position=True)   # prod's sales is vip already
    assert plan['alohub_plan_meta']['tenant_id'] == ACME and plan['alohub_plan_meta']['overlay_file'] == str(prod)
    # Apply in prod: check mode, for real, and again.
    run = play(ansible, sim, 'apply', 'alohub_environment=prod', 'plan_file=prod.plan.yml', check=True)
    assert run.rc == 0 and puts(run) == [], run.output
    run = play(ansible, sim, 'apply', 'alohub_environment=prod', 'plan_file=prod.plan.yml')
    assert run.rc == 0 and [p for p, b in puts(run, ACME)] == ['/v1/queues/inbound/%d' % i for i in (1001200, 1001201, 1001202)]
    run = play(ansible, sim, 'apply', 'alohub_environment=prod', 'plan_file=prod.plan.yml')
    assert run.rc == 0 and puts(run) == [] and run.recap['changed'] == 0, run.output
    # The prod plan is prod's: dev refuses it, sending nothing.
    run = play(ansible, sim, 'apply', 'alohub_environment=dev', 'plan_file=prod.plan.yml')
    assert run.rc == 2 and puts(run) == [], run.output
    assert 'this plan was made for another tenant, tenant %s' % ACME in run.output
    # Dev with its own overlay, for real and again: its billing waits 30 s.
    dev = env_dir / 'queues' / 'dev.yml'
    for expect_change in (True, False):
        run = play(ansible, sim, 'apply', 'alohub_environment=dev', 'queues_file=%s' % base, 'overlay_file=%s' % dev)
        assert run.rc == 0 and bool(puts(run, GLOBEX)) is expect_change, run.output
    assert sim.queues(GLOBEX)[2002003]['timeWait'] == '30'   # globex's billing
    # The drift check of each environment against its own layers: clean.
    for env, overlay in (('prod', prod), ('dev', dev)):
        run = play(ansible, sim, 'drift', 'alohub_environment=%s' % env, 'queues_file=%s' % base,
                   'overlay_file=%s' % overlay, 'fail_on_drift=true')
        assert run.rc == 0, run.output


def test_layers_that_do_not_match_name_the_file_and_entry(sim, ansible):
    env_dir = environments(ansible.workdir)
    base = env_dir / 'queues' / 'base.yml'
    stray = ansible.workdir / 'stray.yml'
    stray.write_text('alohub_inbound_queues:\n  - {name: salse, max_wait_sec: 5}\n')
    run = ansible.run_playbook(PLAYBOOKS / 'validate.yml', args=['-e', 'queues_file=%s' % base, '-e', 'overlay_file=%s' % stray])
    assert run.rc == 2 and run.says('%s entry 1 (salse) matches no entry of %s: an overlay changes the settings of '
                                    'entries the base file has (by name "salse")' % (stray, base)), run.output
    only_dev = ansible.workdir / 'only-dev.yml'
    only_dev.write_text('alohub_inbound_queues:\n  - {name: globex-main, strategy: vip}\n  - {name: support, strategy: 1}\n')
    run = play(ansible, sim, 'plan', 'alohub_environment=prod', 'queues_file=%s' % only_dev, 'plan_file=p.yml')
    assert run.rc == 2 and not (ansible.workdir / 'p.yml').exists(), run.output
    assert run.says('%s entry 1 (globex-main): no inbound queue of this tenant is named "globex-main"' % only_dev)
    assert run.says('%s entry 2 (support): 2 inbound queues are named "support" (ids 1001203, 1001217)' % only_dev)


def test_a_portable_export_refuses_names_that_are_not_unique(sim, ansible):
    environments(ansible.workdir)
    run = play(ansible, sim, 'export', 'alohub_environment=prod', 'queues_file=prod-by-name.yml', 'key_by=name')
    assert run.rc == 2 and not (ansible.workdir / 'prod-by-name.yml').exists(), run.output
    assert run.says('key_by=name: 1 name(s) are shared by several queues of this tenant, so they cannot stand for one '
                    'queue: "support": queues 1001203, 1001217; nothing was written'), run.output
    # As the message says: leave them out, and the file says so.
    run = play(ansible, sim, 'export', 'alohub_environment=prod', 'queues_file=prod-by-name.yml', 'key_by=name',
               '{"exclude": ["support", "test"]}')
    assert run.rc == 0, run.output
    assert run.result('Report the export')['msg'].startswith('39 of 42 queues written to ') and (
        '(keyed by name; 3 left out by include/exclude)' in run.result('Report the export')['msg'])
    exported = load_data(ansible.workdir / 'prod-by-name.yml')
    assert exported['alohub_file_meta']['exclude'] == ['support', 'test'] and 'include' not in exported['alohub_file_meta']
    assert {'support', 'test'} & {e['name'] for e in exported['alohub_inbound_queues']} == set()
    run = play(ansible, sim, 'export', 'alohub_environment=dev', 'queues_file=dev-by-name.yml', 'key_by=name')
    assert run.rc == 0, run.output
    exported = load_data(ansible.workdir / 'dev-by-name.yml')
    assert exported['alohub_file_meta']['key_by'] == 'name' and exported['alohub_file_meta']['tenant_id'] == GLOBEX
    assert len(exported['alohub_inbound_queues']) == 25 and all('id' not in e for e in exported['alohub_inbound_queues'])


def test_promote_dev_to_prod_through_a_reviewed_plan(sim, ansible):
    env_dir = environments(ansible.workdir)
    sim.set_queue(GLOBEX, 2002002, timeWait='75', strategy=2)   # dev's sales, tried and approved
    seed = sim.queues(ACME)
    # Everything of dev: 14 of its 25 queues do not resolve to one queue of prod; nothing is written.
    run = play(ansible, sim, 'promote', 'source=dev', 'alohub_environment=prod', 'plan_file=promote.plan.yml')
    assert run.rc == 2 and puts(run) == [] and not (ansible.workdir / 'promote.plan.yml').exists(), run.output
    table = run.result('Show the promotion, queue by queue')['msg']
    assert table[0].startswith('NOT PROMOTABLE: ') and '14 cannot be resolved by name in alohub-prod' in table[0]
    rows = dict((line.split()[0], line) for line in table[2:])
    assert rows['globex-main'].endswith('only in dev')
    assert rows['test'].split()[1:] == ['1001226', 'only', 'in', 'alohub-prod']
    assert rows['support'].endswith('several in alohub-prod (ids 1001203, 1001217)')
    assert 'will change' in rows['sales'] and 'max_wait_sec 60 -> 75' in rows['sales']
    # Dev's billing has no hold music, prod's has: the API cannot clear it, and the table says so beside the changes.
    assert rows['billing'].split('; but cannot be made the same: ')[1].startswith(
        'dev entry 4 (billing) leaves moh_file_id unset while the queue has "jazz.mp3"'), rows['billing']
    # The shared queues only, and support left out by name: a plan for prod, every queue resolved by name.
    run = play(ansible, sim, 'promote', 'source=dev', 'alohub_environment=prod', 'plan_file=promote.plan.yml',
               '{"include": ["sales", "billing", "reception", "shipping", "s*"], "exclude": ["support", "security"]}')
    assert run.rc == 0 and puts(run) == [], run.output
    table = run.result('Show the promotion, queue by queue')['msg']
    assert table[0].startswith('PROMOTION: ') and '0 cannot be resolved' in table[0]
    assert table[-1].startswith('left out (include/exclude): 21 queue(s) of dev: apac-desk, archive, ') and (
        ', support, ' in table[-1]), table
    plan = load_data(ansible.workdir / 'promote.plan.yml')
    meta = plan['alohub_plan_meta']
    assert (meta['tenant_id'], meta['promoted_from']['environment'], meta['promoted_from']['tenant_id']) == (
        ACME, 'dev', GLOBEX)
    sales, = [item for item in plan['alohub_plan'] if item['name'] == 'sales']
    # Only what differs in prod: its sales is vip already.
    assert sales['id'] == 1001201 and sales['after'] == dict(moh_file_id='waiting.wav', max_wait_sec=75)
    assert sim.queues(ACME) == seed
    # Apply it in prod: check mode, for real, and again; then prod matches dev for those queues.
    run = play(ansible, sim, 'apply', 'alohub_environment=prod', 'plan_file=promote.plan.yml', check=True)
    assert run.rc == 0 and puts(run) == [], run.output
    run = play(ansible, sim, 'apply', 'alohub_environment=prod', 'plan_file=promote.plan.yml')
    assert run.rc == 0 and len(puts(run, ACME)) == len(plan['alohub_plan']) and puts(run, GLOBEX) == [], run.output
    run = play(ansible, sim, 'apply', 'alohub_environment=prod', 'plan_file=promote.plan.yml')
    assert run.rc == 0 and puts(run) == [], run.output
    assert sim.queues(ACME)[1001201]['timeWait'] == '75'
    # Again from dev's portable export (a file, as a pull request carries it): nothing left to promote.
    run = play(ansible, sim, 'export', 'alohub_environment=dev', 'queues_file=dev-by-name.yml', 'key_by=name')
    assert run.rc == 0, run.output
    run = play(ansible, sim, 'promote', 'source_file=dev-by-name.yml', 'alohub_environment=prod', 'plan_file=again.plan.yml',
               '{"include": ["sales", "billing", "reception", "shipping", "s*"], "exclude": ["support", "security"]}')
    assert run.rc == 0, run.output
    assert load_data(ansible.workdir / 'again.plan.yml')['alohub_plan'] == []
    # A file keyed by id cannot be promoted: its ids are dev's.
    run = play(ansible, sim, 'export', 'alohub_environment=dev', 'queues_file=dev-by-id.yml')
    assert run.rc == 0, run.output
    run = play(ansible, sim, 'promote', 'source_file=dev-by-id.yml', 'alohub_environment=prod', 'plan_file=x.plan.yml')
    assert run.rc == 2 and 'dev-by-id.yml is keyed by id: ids belong to one tenant' in run.output, run.output
    # A slip of the hand: the target as its own source, or a source that is not an environment. Nothing is read.
    for source, expected in (('prod', 'the source and the target are the same environment (alohub-prod)'),
                             ('alohub_environments', 'is a group of 2 hosts (alohub-dev, alohub-prod): name one'),
                             ('staging', 'the source environment staging is neither a host nor a group of one host')):
        run = play(ansible, sim, 'promote', 'source=%s' % source, 'alohub_environment=prod', 'plan_file=y.plan.yml')
        assert run.rc == 2 and run.all_requests == [] and expected in run.output, run.output
    assert yaml.safe_load((env_dir / 'inventory.yml').read_text())['alohub_environments']['children'].keys() == {'dev', 'prod'}
