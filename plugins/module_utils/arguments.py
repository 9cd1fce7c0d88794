# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The connection options, in ONE table.

The table generates the argument spec (types, defaults, choices, env
fallbacks, no_log) and the checks that run before anything is sent.
``plugins/doc_fragments/connection.py`` documents the same options; a unit
test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.transport import AUTH_HEADERS


DEFAULT_API_URL = 'https://xapi.alohub.vn'

# name: (argument spec entry, environment variable or None)
CONNECTION_OPTIONS = {
    'api_url': (dict(type='str', default=DEFAULT_API_URL), 'ALOHUB_API_URL'),
    # Required, but checked by connection_settings() rather than by Ansible: its message names
    # ALOHUB_API_KEY, and state=rendered of inbound_queues runs without a key.
    'api_key': (dict(type='str', no_log=True), 'ALOHUB_API_KEY'),
    'auth_header': (dict(type='str', default='authorization', choices=sorted(AUTH_HEADERS)), 'ALOHUB_AUTH_HEADER'),
    'tenant_id': (dict(type='str'), 'ALOHUB_TENANT_ID'),
    'validate_certs': (dict(type='bool', default=True), 'ALOHUB_VALIDATE_CERTS'),
    'ca_path': (dict(type='path'), 'ALOHUB_CA_PATH'),
    'timeout': (dict(type='int', default=30), 'ALOHUB_TIMEOUT'),
    'retries': (dict(type='int', default=5), 'ALOHUB_RETRIES'),
    'max_retry_wait': (dict(type='int', default=60), None),
    'retry_budget': (dict(type='int', default=300), 'ALOHUB_RETRY_BUDGET'),
}

# A key shorter than this cannot be masked in output without masking ordinary
# words too (a key "wav" would turn every "a.wav" into "a.********").
MIN_KEY_LENGTH = 8

# Bytes that must never reach an HTTP header: CR/LF would let a value inject
# headers, the rest are rejected by servers in confusing ways.
_CONTROL_CHARS = re.compile(r'[\x00-\x1f\x7f]')
_LOOPBACK_HOSTS = ('localhost', '::1')


def non_empty_env(*names):
    """Like Ansible's env_fallback, but an empty variable counts as unset.

    AWX and other launchers render a blank credential field as an empty
    environment variable; that must mean "not given", not "given as ''".
    """
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    raise AnsibleFallbackNotFound


def env_source(option, given):
    """The environment variable that gave ``option`` its value, or None.

    ``given`` holds the options the task set itself; an option it did not set
    took its value from its ``ALOHUB_*`` variable when that is set (not empty).
    """
    env = CONNECTION_OPTIONS.get(option, (None, None))[1]
    if env is None or option in given or not os.environ.get(env):
        return None
    return env


def connection_argument_spec():
    """The argument spec entries every module of the collection takes."""
    spec = {}
    for name, (entry, env) in CONNECTION_OPTIONS.items():
        entry = dict(entry)
        if env:
            entry['fallback'] = (non_empty_env, [env])
        spec[name] = entry
    return spec


def connection_settings(params, given=None):
    """Pick the connection options out of module params and check them.

    ``given``: the options the task set itself (None: all of them), so that a
    message about a value from an ``ALOHUB_*`` variable can name it. Returns a
    plain dict; raises ValidationError before anything is sent.
    """
    given = CONNECTION_OPTIONS if given is None else given
    settings = dict((name, params.get(name)) for name in CONNECTION_OPTIONS)

    url = settings['api_url'] or ''
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" (an unclosed IPv6 bracket) is not a URL at all
        parts = None
    if parts is None or parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValidationError(
            'api_url must be an http:// or https:// URL with a host, such as %s or https://host/api; got %r'
            % (DEFAULT_API_URL, _CONTROL_CHARS.sub('?', url)[:200]),
            option='api_url')
    if parts.query or parts.fragment or _CONTROL_CHARS.search(url) or ' ' in url:
        raise ValidationError('api_url must be a plain base URL without spaces, query string or fragment', option='api_url')
    settings['api_url'] = url.rstrip('/')

    key = settings['api_key']
    if key is None:
        raise ValidationError('api_key is required: set the api_key option (for all modules at once with module_defaults '
                              'group/alohub.callcenter.alohub) or the ALOHUB_API_KEY environment variable', option='api_key')
    if not key.strip():
        raise ValidationError('api_key is empty; set it or the ALOHUB_API_KEY environment variable', option='api_key')
    # Never echo the key, not even a part of it.
    if _CONTROL_CHARS.search(key) or key != key.strip() or not key.isascii():
        raise ValidationError('api_key contains control characters, non-ASCII characters (such as typographic quotes) '
                              'or surrounding white space', option='api_key')
    if len(key) < MIN_KEY_LENGTH:
        raise ValidationError('api_key is shorter than %d characters: a key that short cannot be masked safely in output '
                              '(every occurrence of it in ordinary text would be masked too), and AloHub API keys are '
                              'longer; check that the whole key was given' % MIN_KEY_LENGTH, option='api_key')

    tenant = settings['tenant_id']
    if tenant is not None:
        if not tenant.strip() or _CONTROL_CHARS.search(tenant) or tenant != tenant.strip() or not tenant.isascii():
            raise ValidationError('tenant_id must be a non-empty ASCII value without control characters or surrounding white space',
                                  option='tenant_id')

    ca_path = settings['ca_path']
    if ca_path and settings['validate_certs'] and parts.scheme == 'https' and not os.path.exists(ca_path):
        # requests would raise a bare OSError for it, which crashes the module.
        raise ValidationError('ca_path %s does not exist; give the CA bundle (a PEM file) or a directory of CA certificates'
                              % ca_path, option='ca_path')

    for name, low in (('timeout', 1), ('retries', 0), ('max_retry_wait', 0), ('retry_budget', 0)):
        if settings[name] < low:
            source = env_source(name, given)
            raise ValidationError('%s must be at least %d; got %d%s' % (
                name, low, settings[name], ' (from the %s environment variable)' % source if source else ''), option=name)
    return settings


def insecure_transport_warning(settings):
    """A warning when the key would travel in clear text to another machine."""
    parts = urlsplit(settings['api_url'])
    host = (parts.hostname or '').lower()
    if parts.scheme == 'http' and not _is_loopback(host):
        return ('api_url uses plain http:// to %s: the API key travels unencrypted. '
                'Use https:// for anything but a local test server.' % host)
    if parts.scheme == 'https' and not settings['validate_certs']:
        return ('validate_certs is false: the TLS certificate of %s is not checked, '
                'so anyone on the path can read the API key. Prefer ca_path with your CA bundle.' % host)
    return None


def _is_loopback(host):
    """True for localhost and loopback addresses (127.0.0.0/8, ::1); not for names like 127.example.com."""
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
