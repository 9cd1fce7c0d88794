# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection does around its own ``run(module, client)``.

Build the AnsibleModule with the connection options (and argument errors that
say what to do), check the options, make the client, call the module's
``run``, turn typed errors into ``fail_json`` and the transport's notes into
warnings, and mask the API key in everything that goes out.

The top of module_utils: imports arguments, transport, client and errors.
"""

from __future__ import annotations

import difflib

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.alohub.callcenter.plugins.module_utils.arguments import (
    CONNECTION_OPTIONS,
    MIN_KEY_LENGTH,
    connection_argument_spec,
    connection_settings,
    env_source,
    insecure_transport_warning,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError, Redactor
from ansible_collections.alohub.callcenter.plugins.module_utils import transport


class AlohubModule(AnsibleModule):
    """An AnsibleModule whose argument errors (raised while it starts) say what to do about them.

    ``hint(msg, module)``: the module's own advice on an argument error (None for none).
    ``given_options``: the options the task set itself (the others took defaults or ALOHUB_* variables).
    """

    _started = False
    hint = None
    given_options = frozenset()

    def _load_params(self):
        super()._load_params()
        self.given_options = frozenset(self.params)

    def fail_json(self, msg=None, **kwargs):
        if not self._started and isinstance(msg, str):
            msg = explain_argument_error(msg, self)
            extra = self.hint(msg, self) if self.hint else None
            if extra:
                msg += extra
        super().fail_json(msg=msg, **kwargs)


def explain_argument_error(msg, module):
    """Ansible's message about bad module arguments, with what the user can do about it (any module)."""
    spec = getattr(module, 'argument_spec', None) or {}
    result = getattr(module, 'validation_result', None)
    unsupported = sorted(getattr(result, '_unsupported_parameters', None) or ())
    if msg.startswith('Unsupported parameters') and unsupported:
        guesses = []
        for name in unsupported:
            close = difflib.get_close_matches(str(name), sorted(spec), n=1, cutoff=0.6)
            if close:
                guesses.append('%s -> %s' % (name, close[0]))
        if guesses:
            msg += ' Did you mean: %s?' % ', '.join(guesses)
    for option in CONNECTION_OPTIONS:
        source = env_source(option, module.given_options)
        if source and "argument '%s'" % option in msg:
            msg += ' (%s came from the %s environment variable)' % (option, source)
    return msg


def alohub_module(argument_spec, hint=None, **kwargs):
    """An AnsibleModule taking ``argument_spec`` plus the connection options; ``hint``: see AlohubModule."""
    spec = connection_argument_spec()
    spec.update(argument_spec)

    class Module(AlohubModule):
        pass

    Module.hint = staticmethod(hint) if hint else None
    module = Module(argument_spec=spec, **kwargs)
    module._started = True
    return module


def execute(module, run, pool_size=1, offline=False):
    """Call ``run(module, client)``, which returns the result dict; exit or fail.

    ``offline``: the module makes no request (no key is needed); ``client`` is None.
    """
    if not offline and not transport.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=transport.REQUESTS_IMPORT_ERROR)
    key = module.params.get('api_key')
    redact = Redactor(key if key and len(key) >= MIN_KEY_LENGTH else None)
    the_transport = None
    client = None
    failure = None
    warnings = []
    result = None
    try:
        if not offline:
            settings = connection_settings(module.params, module.given_options)
            warnings.extend(w for w in (insecure_transport_warning(settings), transport.proxy_warning(settings)) if w)
            if not settings['validate_certs']:
                transport.silence_insecure_request_warnings()
            the_transport = transport.Transport(settings, pool_size=pool_size)
            client = QueueClient(the_transport)
        result = run(module, client)
    except AlohubError as exc:
        failure = exc
    if client is not None:
        warnings.extend(client.warnings)
    if the_transport is not None:
        warnings.extend(the_transport.warnings())
    for warning in warnings:
        module.warn(redact(warning))
    if failure is not None:
        # Outside the except block: an expected API failure is a message, not a traceback. Every result,
        # failed or not, says whether it was a dry run and which API it talked to.
        details = failure.fail_kwargs()
        details.setdefault('check_mode', module.check_mode)
        if client is not None:
            details.setdefault('target', client.target)
        module.fail_json(**redact.data(details))
    module.exit_json(**redact.data(result))
