# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the AloHub API, with or without a path prefix (C(https://host) or C(https://host/api)).
      - The modules append C(/v1/queues/inbound) to it.
      - If not set, the value of the E(ALOHUB_API_URL) environment variable is used.
    type: str
    default: https://xapi.alohub.vn
  api_key:
    description:
      - API key with the C(queue) scope. Required (here or in E(ALOHUB_API_KEY)); only
        O(alohub.callcenter.inbound_queues#module:state=rendered) of M(alohub.callcenter.inbound_queues) runs without one.
      - Never shown in output, errors or diffs, neither as given nor URL-encoded or base64-encoded.
        A key shorter than 8 characters is refused, because it cannot be masked safely.
      - If not set, the value of the E(ALOHUB_API_KEY) environment variable is used.
    type: str
  auth_header:
    description:
      - Which header carries the key.
      - "V(authorization) sends C(Authorization: <key>) (the raw key, no C(Bearer)); V(x-api-key) sends C(X-Api-Key: <key>)."
      - If not set, the value of the E(ALOHUB_AUTH_HEADER) environment variable is used.
    type: str
    choices: [authorization, x-api-key]
    default: authorization
  tenant_id:
    description:
      - Tenant to act for, sent as C(X-Tenant-ID). It must be the tenant of O(api_key).
      - When not set the header is not sent and the API resolves the tenant from the key.
      - If not set, the value of the E(ALOHUB_TENANT_ID) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to check the server's TLS certificate. Turn it off for throwaway test servers only.
      - If not set, the value of the E(ALOHUB_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle (PEM) to check the server certificate against, for a gateway with a private CA.
      - If not set, the value of the E(ALOHUB_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds one HTTP request may take by the wall clock, for connecting, sending, and receiving the whole answer
        (headers and body). An answer that trickles in slower than that is abandoned as a timeout and retried.
      - If not set, the value of the E(ALOHUB_TIMEOUT) environment variable is used.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried after the first attempt, on HTTP 429, 502, 503, 504, connection errors and timeouts.
      - An answer that carries C(Retry-After) (seconds or an HTTP date) is retried after that long; otherwise after an exponential back-off with jitter.
      - If not set, the value of the E(ALOHUB_RETRIES) environment variable is used.
    type: int
    default: 5
  max_retry_wait:
    description:
      - The longest single wait in seconds, back-off included.
      - A C(Retry-After) longer than this fails the task at once, with a message saying so, instead of sleeping.
      - A C(Retry-After) of zero, a negative number or a date in the past is treated as absent (back-off).
    type: int
    default: 60
  retry_budget:
    description:
      - The most seconds one task may spend waiting before retries, all requests of the task together
        (with M(alohub.callcenter.inbound_queues), all its queues). A retry that would wait past it is not made;
        the task fails with a message that says the budget is spent.
      - Waits for the next rate-limit window (pacing, before a request is sent) are not retries and do not count;
        the task warns when they add up to 10 seconds or more.
      - So a task against an unresponsive API ends within about
        (requests x (O(retries) + 1) x O(timeout)) + O(retry_budget) seconds.
      - If not set, the value of the E(ALOHUB_RETRY_BUDGET) environment variable is used.
    type: int
    default: 300
    version_added: 2.0.0
requirements:
  - python >= 3.10 on the controller (the oldest Python that ansible-core 2.16, the oldest supported ansible-core, runs on)
  - requests
notes:
  - "The modules run on the Ansible controller; use C(connection: local) or C(delegate_to: localhost)."
  - All modules are in the action group C(alohub.callcenter.alohub), so C(module_defaults) can set these options once.
  - Requests are paced from the gateway's rate-limit headers, so that a busy run waits for the next window instead of collecting 429 answers.
'''
