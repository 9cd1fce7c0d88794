# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection does around its own logic.

Build the AnsibleModule with the connection options, check them, make the
client, run the module's action, turn typed errors into ``fail_json`` and
retries into one warning.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.alohub.callcenter.plugins.module_utils.arguments import (
    connection_argument_spec,
    connection_settings,
    insecure_transport_warning,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.client import QueueClient
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import AlohubError
from ansible_collections.alohub.callcenter.plugins.module_utils import transport


def alohub_module(argument_spec, **kwargs):
    """An AnsibleModule taking ``argument_spec`` plus the connection options."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    return AnsibleModule(argument_spec=spec, **kwargs)


def run(module, action, pool_size=1):
    """Call ``action(client)``, which returns the result dict; exit or fail."""
    if not transport.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=transport.REQUESTS_IMPORT_ERROR)
    the_transport = None
    client = None
    failure = None
    try:
        settings = connection_settings(module.params)
        warning = insecure_transport_warning(settings)
        if warning:
            module.warn(warning)
        if not settings['validate_certs']:
            transport.silence_insecure_request_warnings()
        the_transport = transport.Transport(settings, pool_size=pool_size)
        client = QueueClient(the_transport)
        result = action(client)
    except AlohubError as exc:
        failure = exc
    _warn_about(module, the_transport, client)
    if failure is not None:
        # Outside the except block: an expected API failure is a message, not a traceback.
        module.fail_json(**failure.fail_kwargs())
    module.exit_json(**result)


def _warn_about(module, the_transport, client):
    for warning in client.warnings if client is not None else ():
        module.warn(warning)
    summary = the_transport.retry_summary() if the_transport is not None else None
    if summary:
        module.warn(summary)
