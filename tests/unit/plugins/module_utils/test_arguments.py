# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""arguments.py: the connection options table, its checks and warnings; the doc fragment in step with it."""

from __future__ import annotations

import re

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.alohub.callcenter.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.alohub.callcenter.plugins.module_utils.arguments import (
    CONNECTION_OPTIONS,
    connection_argument_spec,
    connection_settings,
    insecure_transport_warning,
    non_empty_env,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ValidationError


# interface.md, "Connection options": name -> (type, default, env fallback)
CONTRACT = {
    'api_url': ('str', 'https://xapi.alohub.vn', 'ALOHUB_API_URL'),
    'api_key': ('str', None, 'ALOHUB_API_KEY'),
    'auth_header': ('str', 'authorization', 'ALOHUB_AUTH_HEADER'),
    'tenant_id': ('str', None, 'ALOHUB_TENANT_ID'),
    'validate_certs': ('bool', True, 'ALOHUB_VALIDATE_CERTS'),
    'ca_path': ('path', None, 'ALOHUB_CA_PATH'),
    'timeout': ('int', 30, 'ALOHUB_TIMEOUT'),
    'retries': ('int', 5, 'ALOHUB_RETRIES'),
    'max_retry_wait': ('int', 60, None),
    # Not in the contract's table: the retry budget of a task (issue 8).
    'retry_budget': ('int', 300, 'ALOHUB_RETRY_BUDGET'),
}


def params(**overrides):
    values = dict(api_url='https://xapi.alohub.vn', api_key='sk_test_acme', auth_header='authorization', tenant_id=None,
                  validate_certs=True, ca_path=None, timeout=30, retries=5, max_retry_wait=60, retry_budget=300)
    values.update(overrides)
    return values


def validate(monkeypatch, env=None, **given):
    """Run the real Ansible argument spec validation over the connection spec."""
    for name in [e for dummy, dummy2, e in CONTRACT.values() if e]:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return ArgumentSpecValidator(connection_argument_spec()).validate(given)


# ---------------------------------------------------------------------------
# The argument spec
# ---------------------------------------------------------------------------

def test_argument_spec_matches_the_contract():
    spec = connection_argument_spec()
    assert set(spec) == set(CONTRACT)
    for name, (kind, default, env) in CONTRACT.items():
        assert spec[name]['type'] == kind, name
        assert spec[name].get('default') == default, name
        if env:
            assert spec[name]['fallback'] == (non_empty_env, [env]), name
        else:
            assert 'fallback' not in spec[name], name


def test_api_key_is_no_log_and_nothing_is_required_by_ansible():
    """connection_settings() requires the key itself, so that its message can name ALOHUB_API_KEY."""
    spec = connection_argument_spec()
    assert spec['api_key']['no_log'] is True
    assert [name for name, entry in spec.items() if entry.get('no_log')] == ['api_key']
    assert [name for name, entry in spec.items() if entry.get('required')] == []
    assert spec['auth_header']['choices'] == ['authorization', 'x-api-key']


def test_argument_spec_is_a_fresh_copy():
    spec = connection_argument_spec()
    spec['timeout']['default'] = 1
    assert connection_argument_spec()['timeout']['default'] == 30


def test_ansible_applies_defaults(monkeypatch):
    result = validate(monkeypatch, api_key='sk_test_acme')
    assert result.error_messages == []
    values = result.validated_parameters
    assert values['api_url'] == 'https://xapi.alohub.vn'
    assert (values['timeout'], values['retries'], values['max_retry_wait']) == (30, 5, 60)
    assert values['auth_header'] == 'authorization' and values['validate_certs'] is True
    assert values['tenant_id'] is None and values['ca_path'] is None


def test_ansible_reads_the_environment_fallbacks(monkeypatch):
    result = validate(monkeypatch, env={
        'ALOHUB_API_URL': 'https://host.example/api', 'ALOHUB_API_KEY': 'sk_from_env',
        'ALOHUB_AUTH_HEADER': 'x-api-key', 'ALOHUB_TENANT_ID': '20260310', 'ALOHUB_VALIDATE_CERTS': 'false',
        'ALOHUB_TIMEOUT': '7', 'ALOHUB_RETRIES': '0',
    })
    assert result.error_messages == []
    values = result.validated_parameters
    assert values['api_key'] == 'sk_from_env'
    assert values['api_url'] == 'https://host.example/api'
    assert values['auth_header'] == 'x-api-key'
    assert values['tenant_id'] == '20260310'
    assert values['validate_certs'] is False
    assert (values['timeout'], values['retries']) == (7, 0)
    # The key from the environment is still masked in output.
    assert 'sk_from_env' in result._no_log_values


def test_empty_environment_variables_count_as_unset(monkeypatch):
    """AWX renders a blank credential field as an empty variable."""
    result = validate(monkeypatch, env={
        'ALOHUB_API_KEY': 'sk_from_env', 'ALOHUB_API_URL': '', 'ALOHUB_TENANT_ID': '', 'ALOHUB_AUTH_HEADER': '',
        'ALOHUB_TIMEOUT': ''})
    assert result.error_messages == []
    values = result.validated_parameters
    assert values['tenant_id'] is None
    assert values['api_url'] == 'https://xapi.alohub.vn'
    assert values['auth_header'] == 'authorization' and values['timeout'] == 30


def test_an_empty_key_variable_is_a_missing_key(monkeypatch):
    result = validate(monkeypatch, env={'ALOHUB_API_KEY': ''})
    assert result.error_messages == [] and result.validated_parameters['api_key'] is None


def test_a_missing_key_names_the_option_and_the_environment_variable(monkeypatch):
    values = validate(monkeypatch).validated_parameters
    with pytest.raises(ValidationError) as info:
        connection_settings(values)
    assert info.value.msg.startswith('api_key is required')
    assert 'ALOHUB_API_KEY' in info.value.msg and 'module_defaults' in info.value.msg


@pytest.mark.parametrize('key', ['wav', '1', 'abcdefg'])
def test_a_key_too_short_to_mask_is_rejected_without_echoing_it(key):
    with pytest.raises(ValidationError) as info:
        connection_settings(params(api_key=key))
    assert 'shorter than 8 characters' in info.value.msg and 'masked' in info.value.msg
    assert key not in info.value.msg.replace('8 characters', '')


def test_a_bad_number_from_the_environment_names_the_variable(monkeypatch):
    values = validate(monkeypatch, env={'ALOHUB_API_KEY': 'sk_from_env', 'ALOHUB_TIMEOUT': '0'}).validated_parameters
    with pytest.raises(ValidationError) as info:
        connection_settings(values, given=())
    assert info.value.msg == 'timeout must be at least 1; got 0 (from the ALOHUB_TIMEOUT environment variable)'
    # Set by the task itself, the same value did not come from the variable.
    with pytest.raises(ValidationError) as info:
        connection_settings(values, given=('timeout',))
    assert info.value.msg == 'timeout must be at least 1; got 0'
    with pytest.raises(ValidationError) as info:
        connection_settings(values, given=())
    assert info.value.msg == 'timeout must be at least 1; got 0 (from the ALOHUB_TIMEOUT environment variable)'


def test_bad_auth_header_choice_is_an_ansible_error(monkeypatch):
    result = validate(monkeypatch, api_key='sk_test_acme', auth_header='bearer')
    assert any('auth_header' in message for message in result.error_messages)


# ---------------------------------------------------------------------------
# connection_settings
# ---------------------------------------------------------------------------

def test_settings_are_picked_and_the_url_trailing_slash_dropped():
    given = params(api_url='https://host.example/api/', module_specific='ignored')
    settings = connection_settings(given)
    assert set(settings) == set(CONNECTION_OPTIONS)
    assert settings['api_url'] == 'https://host.example/api'


@pytest.mark.parametrize('url', [
    'ftp://xapi.alohub.vn',
    'file:///etc/passwd',
    'xapi.alohub.vn',
    'https://',
    'https:///v1',
    '',
    None,
    'https://host.example/api?x=1',
    'https://host.example/#frag',
    'https://host.example/a b',
    'https://host.example/\r\nX-Evil: 1',
])
def test_bad_urls_are_rejected(url):
    with pytest.raises(ValidationError) as info:
        connection_settings(params(api_url=url))
    assert info.value.details['option'] == 'api_url'
    assert '\n' not in info.value.msg and '\r' not in info.value.msg


@pytest.mark.parametrize('url', ['http://127.0.0.1:8080', 'https://xapi-dev.alohub.vn', 'HTTPS://Host.Example/api', 'http://[::1]:9000/api'])
def test_good_urls_pass(url):
    assert connection_settings(params(api_url=url))['api_url'] == url.rstrip('/')


@pytest.mark.parametrize('key', ['', '   ', None])
def test_empty_key_is_rejected_naming_the_environment_variable(key):
    with pytest.raises(ValidationError) as info:
        connection_settings(params(api_key=key))
    assert 'ALOHUB_API_KEY' in info.value.msg
    assert info.value.details['option'] == 'api_key'


@pytest.mark.parametrize('key', [
    'sk_test_acme\r\nX-Injected: yes',
    'sk_test_acme\n',
    'sk_test\x00acme',
    'sk_test\tacme',
    'sk_test\x7facme',
    ' sk_test_acme',
    'sk_test_acme ',
    # Pasted with typographic quotes: http.client cannot encode it and would crash with a traceback.
    '\u201csk_test_acme\u201d',
])
def test_bad_keys_are_rejected_without_echoing_them(key):
    with pytest.raises(ValidationError) as info:
        connection_settings(params(api_key=key))
    text = repr(info.value.fail_kwargs())
    assert 'sk_test' not in text and 'acme' not in text
    assert info.value.details['option'] == 'api_key'


@pytest.mark.parametrize('tenant', ['', '  ', '20260310\r\nX-Injected: yes', '2026\x000310', ' 20260310', '2026\u20140310'])
def test_bad_tenant_ids_are_rejected(tenant):
    with pytest.raises(ValidationError) as info:
        connection_settings(params(tenant_id=tenant))
    assert info.value.details['option'] == 'tenant_id'


def test_tenant_id_passes_through():
    assert connection_settings(params(tenant_id='20260310'))['tenant_id'] == '20260310'


@pytest.mark.parametrize('name, value', [('timeout', 0), ('timeout', -5), ('retries', -1), ('max_retry_wait', -1),
                                         ('retry_budget', -1)])
def test_bad_numbers_are_rejected(name, value):
    with pytest.raises(ValidationError) as info:
        connection_settings(params(**{name: value}))
    assert info.value.details['option'] == name
    assert name in info.value.msg and str(value) in info.value.msg


def test_smallest_good_numbers_pass():
    settings = connection_settings(params(timeout=1, retries=0, max_retry_wait=0, retry_budget=0))
    assert (settings['timeout'], settings['retries'], settings['max_retry_wait'], settings['retry_budget']) == (1, 0, 0, 0)


def test_no_error_ever_carries_the_key():
    key = 'sk_live_do_not_print'
    for bad in (dict(api_url='ftp://x'), dict(api_url='https://h/?q'), dict(tenant_id='\n'), dict(timeout=0),
                dict(retries=-1), dict(max_retry_wait=-1)):
        with pytest.raises(ValidationError) as info:
            connection_settings(params(api_key=key, **bad))
        assert key not in repr(info.value.fail_kwargs())


# ---------------------------------------------------------------------------
# insecure_transport_warning
# ---------------------------------------------------------------------------

def warning_for(url, validate_certs=True):
    return insecure_transport_warning(connection_settings(params(api_url=url, validate_certs=validate_certs)))


@pytest.mark.parametrize('url', ['http://xapi.alohub.vn', 'http://10.0.0.5:8000/api', 'http://127.example.com',
                                 'http://localhost.evil.example'])
def test_plain_http_to_another_machine_warns(url):
    warning = warning_for(url)
    assert warning and 'plain http://' in warning and 'unencrypted' in warning


@pytest.mark.parametrize('url', ['http://127.0.0.1:8080', 'http://127.10.0.3', 'http://localhost:9000/api', 'http://[::1]:8000',
                                 'http://LOCALHOST'])
def test_plain_http_to_loopback_does_not_warn(url):
    assert warning_for(url) is None


def test_https_with_checked_certificates_does_not_warn():
    assert warning_for('https://xapi.alohub.vn') is None


def test_unchecked_certificates_warn():
    warning = warning_for('https://xapi-dev.alohub.vn', validate_certs=False)
    assert 'validate_certs is false' in warning and 'xapi-dev.alohub.vn' in warning


def test_unchecked_certificates_on_loopback_https_still_warn():
    assert 'validate_certs is false' in warning_for('https://127.0.0.1:8443', validate_certs=False)


def test_plain_http_loopback_has_no_certificate_to_warn_about():
    assert warning_for('http://127.0.0.1:8080', validate_certs=False) is None


# ---------------------------------------------------------------------------
# The doc fragment documents exactly CONNECTION_OPTIONS
# ---------------------------------------------------------------------------

@pytest.fixture(scope='module')
def documented():
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']


def test_doc_fragment_documents_exactly_the_options(documented):
    assert set(documented) == set(CONNECTION_OPTIONS)


@pytest.mark.parametrize('name', sorted(CONNECTION_OPTIONS))
def test_doc_fragment_entry_matches_the_spec(documented, name):
    entry, env = CONNECTION_OPTIONS[name]
    doc = documented[name]
    assert doc['type'] == entry['type']
    assert doc.get('default') == entry.get('default')
    assert doc.get('choices') == entry.get('choices')
    assert bool(doc.get('required', False)) == bool(entry.get('required', False))
    assert doc.get('no_log') is None  # no_log is not a documentation key
    text = ' '.join(doc['description'])
    assert set(re.findall(r'E\((\w+)\)', text)) == ({env} if env else set())
