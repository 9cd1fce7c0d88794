# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Argument validation of every module, in process: each bad input fails with a clear message, and
not one request reaches the HTTP session.

The tables were end-to-end tests (tests/integration: test_bad_input_table.py's VALIDATION,
test_inbound_queue.py's and test_inbound_queues.py's BAD_INPUT), one ansible-playbook task per row;
here each row is one call of the module's ``main()`` (``run_main``, conftest.py), with the same
assertions: the task fails, the message holds the piece given (a tuple: any one of them, where
ansible-core lines differ), the message is not over-long, the key is nowhere in the result, and the
session was asked for nothing. A few rows still run end to end in
tests/integration/test_bad_input_table.py (one per module, and the no-request proof).

To change an expected message, edit its row (or the constant it uses): nothing else depends on it.
"""

from __future__ import annotations

import pytest

QUEUE = 'inbound_queue'
INFO = 'inbound_queue_info'
QUEUES = 'inbound_queues'
KEY = 'sk_test_acme'
# What module_defaults gave every task end to end: a server (never reached here) and a key.
CONNECTION = dict(api_url='http://127.0.0.1:9', api_key=KEY)
VIETNAMESE = 'Ch\u0103m s\u00f3c kh\u00e1ch h\u00e0ng'
LONG = 'x' * 5000
QUEUE_ID = 1001226

CONVERT_INT = 'we were unable to convert to int'
CONVERT_BOOL = 'we were unable to convert to bool'
NOT_URL = 'api_url must be an http:// or https:// URL with a host'
PLAIN_URL = 'api_url must be a plain base URL without spaces, query string or fragment'
KEY_CHARS = 'api_key contains control characters, non-ASCII characters'
TENANT = 'tenant_id must be a non-empty ASCII value without control characters'
STRATEGY = 'strategy must be one of normal, vip, blacklist, divert, locked'
GOOD = dict(id=1001226, strategy=2)

# (module, args, a piece of the message). All fail before any request.
VALIDATION = [
    # inbound_queue: where an id goes
    (QUEUE, dict(id='../1001226', strategy=1), CONVERT_INT),
    (QUEUE, dict(id='%2F', strategy=1), CONVERT_INT),
    (QUEUE, dict(id='1001226\r\nX-Evil: 1', strategy=1), CONVERT_INT),
    (QUEUE, dict(id=1001226.5, strategy=1), 'cannot be converted to an int'),
    (QUEUE, dict(id=[1001226], strategy=1), CONVERT_INT),
    (QUEUE, dict(name='   ', strategy=1), 'name must be a non-empty string'),
    (QUEUE, dict(id=1001226, name=VIETNAMESE, strategy=1), 'mutually exclusive: id|name'),
    # inbound_queue: settings
    (QUEUE, dict(id=1001226, strategy=0), STRATEGY),
    (QUEUE, dict(id=1001226, strategy=['vip']), STRATEGY),
    (QUEUE, dict(id=1001226, strategy='\u00b2'), STRATEGY),           # superscript two: isdigit(), but not a number
    (QUEUE, dict(id=1001226, strategy='\uff12'), STRATEGY),           # fullwidth 2
    (QUEUE, dict(id=1001226, moh_file_id='   '), 'moh_file_id must not be empty'),
    (QUEUE, dict(id=1001226, moh_file_id='\u1ec7' * 256), 'moh_file_id must be at most 255 characters'),
    (QUEUE, dict(id=1001226, moh_file_id='a.wav\r\nX-Evil: 1'), 'without control characters'),
    # A NUL byte stops Ansible itself on 2.20+ (it logs module arguments to syslog), still before any
    # request; on 2.19 the module's own check gets there first.
    (QUEUE, dict(id=1001226, moh_file_id='a\x00.wav'), ('embedded null character', 'without control characters')),
    (QUEUE, dict(id=1001226, moh_file_id=['a.wav']), 'moh_file_id must be a string; got ["a.wav"]'),
    (QUEUE, dict(id=1001226, moh_file_id=True), 'moh_file_id must be a string; got true'),
    (QUEUE, dict(id=1001226, max_wait_sec=1.5), 'cannot be converted to an int'),
    (QUEUE, dict(id=1001226, max_wait_sec=-99999999999999999999), 'max_wait_sec must be 0 or more'),
    (QUEUE, dict(id=1001226, announce_position=2), CONVERT_BOOL),
    (QUEUE, dict(id=1001226, strategy=1, colour='red'), 'Unsupported parameters'),
    # connection options (shared by every module; checked once here, plus a few in the others)
    # Ansible masks the no_log value everywhere, here every blank of the message: 'api_key********is********empty'.
    (QUEUE, dict(GOOD, api_key=' '), 'empty'),
    (QUEUE, dict(GOOD, api_key='sk_test_acme\x00'), KEY_CHARS),
    (QUEUE, dict(GOOD, api_key='sk_t\u00e9st_acme'), KEY_CHARS),
    (QUEUE, dict(GOOD, api_key='\u201csk_test_acme\u201d'), KEY_CHARS),  # pasted with typographic quotes
    (QUEUE, dict(GOOD, tenant_id='\u0164enant'), TENANT),
    (QUEUE, dict(GOOD, tenant_id='20260310\x00'), ('embedded null character', TENANT)),
    (QUEUE, dict(GOOD, api_url=''), NOT_URL),
    (QUEUE, dict(GOOD, api_url='http://[::1'), NOT_URL),
    (QUEUE, dict(GOOD, api_url='javascript:alert(1)'), NOT_URL),
    (QUEUE, dict(GOOD, api_url='http://127.0.0.1/ api'), PLAIN_URL),
    (QUEUE, dict(GOOD, api_url='http://127.0.0.1/api\r\nX-Evil: 1'), PLAIN_URL),
    (QUEUE, dict(GOOD, api_url='ftp://' + LONG), NOT_URL),  # and the message quotes only 200 characters of it
    # (an api_url with a label over 63 characters fails in urllib3 when it connects: end to end, test_bad_input_table.py)
    (QUEUE, dict(GOOD, auth_header='Authorization'), 'value of auth_header must be one of'),
    (QUEUE, dict(GOOD, validate_certs='maybe'), CONVERT_BOOL),
    (QUEUE, dict(GOOD, api_url='https://127.0.0.1:9', ca_path='/nonexistent/ca.pem'), 'ca_path /nonexistent/ca.pem does not exist'),
    (QUEUE, dict(GOOD, timeout=-1), 'timeout must be at least 1'),
    (QUEUE, dict(GOOD, timeout='soon'), CONVERT_INT),
    (QUEUE, dict(GOOD, max_retry_wait=-1), 'max_retry_wait must be at least 0'),
    # inbound_queue_info
    (INFO, dict(id='abc'), CONVERT_INT),
    (INFO, dict(id=0), 'id must be a positive integer'),
    (INFO, dict(name=''), 'name must be a non-empty string'),
    (INFO, dict(id=1001226, name='test'), 'mutually exclusive: id|name'),
    (INFO, dict(state='gathered'), 'Unsupported parameters'),
    (INFO, dict(api_key='sk_test_acme\r\nX-Evil: 1'), KEY_CHARS),
    (INFO, dict(api_url='ftp://127.0.0.1'), NOT_URL),
    (INFO, dict(timeout=0), 'timeout must be at least 1'),
    # inbound_queues: the module's own options
    (QUEUES, dict(), 'state=merged needs config (the queues and their settings), or plan'),
    # Ansible's own messages for config shapes (it checks those before the module runs).
    (QUEUES, dict(config='not a list'), 'dictionary requested'),
    (QUEUES, dict(config=[1001226]), "Elements value for option 'config'"),
    (QUEUES, dict(config=[GOOD], state='deleted'), 'value of state must be one of: merged, overridden, gathered, rendered'),
    (QUEUES, dict(config=[GOOD], parallel=-1), 'parallel must be between 1 and 16; got -1'),
    (QUEUES, dict(config=[GOOD], parallel=10 ** 6), 'parallel must be between 1 and 16'),
    # inbound_queues: config entries (the entry is named; a valid entry before it does not get sent)
    (QUEUES, dict(config=[GOOD, dict(id='../1001226', strategy=1)]), 'config[1].id must be a positive integer; got "../1001226"'),
    (QUEUES, dict(config=[GOOD, dict(name='', strategy=1)]), 'config[1].name must be a non-empty string'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, strategy='\u00b2')]), 'config[1].strategy must be one of'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, moh_file_id='')]), 'config[1].moh_file_id must not be empty'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, moh_file_id='y' * 256)]), 'config[1].moh_file_id must be at most 255'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, announce_position=2)]), 'config[1].announce_position must be true or false; got 2'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, strategy=1, colour='red')]), 'colour'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, moh_file_id=['a.wav'])]), 'config[1].moh_file_id must be a string'),
    (QUEUES, dict(config=[GOOD, dict(id=1001227, strategy=1), dict(id='1001227', max_wait_sec=5)]),
     'config[1] and config[2] both name queue 1001227'),
    (QUEUES, dict(config=[GOOD], api_key='sk_test_acme\r\n'), KEY_CHARS),
    (QUEUES, dict(config=[GOOD], api_url='http://127.0.0.1:1/api?x'), PLAIN_URL),
    (QUEUES, dict(state='gathered', tenant_id='\u0164'), TENANT),
]

# inbound_queue (was tests/integration/test_inbound_queue.py's BAD_INPUT): (args, a piece of the message).
QUEUE_BAD_INPUT = [
    (dict(id=QUEUE_ID, strategy='turbo'), 'strategy must be one of'),
    (dict(id=QUEUE_ID, strategy=5), 'strategy must be one of'),
    (dict(id=QUEUE_ID, strategy=True), 'strategy must be one of'),
    (dict(id=QUEUE_ID, strategy='1.0'), 'strategy must be one of'),
    (dict(id=QUEUE_ID, max_wait_sec=-1), 'max_wait_sec must be 0 or more'),
    (dict(id=QUEUE_ID, max_wait_sec='soon'), 'max_wait_sec'),
    (dict(id=QUEUE_ID), 'at least one setting is required: strategy, moh_file_id, max_wait_sec, announce_position'),
    (dict(id=QUEUE_ID, name='test', strategy=1), 'mutually exclusive'),
    (dict(strategy=1), 'one of id or name is required to name the queue'),
    (dict(id=0, strategy=1), 'id must be a positive integer'),
    (dict(id=-5, strategy=1), 'id must be a positive integer'),
    (dict(name='', strategy=1), 'name must be a non-empty string'),
    (dict(id=QUEUE_ID, moh_file_id=''), 'moh_file_id must not be empty'),
    (dict(id=QUEUE_ID, moh_file_id='x' * 300), 'moh_file_id must be at most 255 characters'),
    (dict(id=QUEUE_ID, announce_position='maybe'), 'announce_position'),
    (dict(id=QUEUE_ID, strategy=1, api_key='sk_test_acme\r\nX-Evil: 1'), 'api_key contains control characters'),
    (dict(id=QUEUE_ID, strategy=1, api_key=''), 'api_key is empty'),
    (dict(id=QUEUE_ID, strategy=1, tenant_id='20260310\nX-Evil: 1'), 'tenant_id must be'),
    (dict(id=QUEUE_ID, strategy=1, api_url='ftp://example.com'), 'api_url must be an http:// or https:// URL'),
    (dict(id=QUEUE_ID, strategy=1, api_url='example.com'), 'api_url must be an http:// or https:// URL'),
    (dict(id=QUEUE_ID, strategy=1, auth_header='bearer'), 'value of auth_header must be one of'),
    (dict(id=QUEUE_ID, strategy=1, timeout=0), 'timeout must be at least 1'),
    (dict(id=QUEUE_ID, strategy=1, retries=-1), 'retries must be at least 0'),
]

# inbound_queues (was tests/integration/test_inbound_queues.py's BAD_INPUT): (config, other options, message).
QUEUES_BAD_INPUT = [
    ([GOOD, dict(name='sales', strategy=1), dict(id=1001201, max_wait_sec=5), dict(id=1001202, strategy='turbo')],
     {}, 'config[3].strategy must be one of'),
    ([GOOD, dict(strategy=1)], {}, 'config[1] needs an id or a name'),
    ([GOOD, dict(id=1001201, strategy=1), dict(id=1001226, max_wait_sec=5)], {},
     'config[0] and config[2] both name queue 1001226'),
    ([GOOD, dict(id=1001201, max_wait_sec=-1)], {}, 'config[1].max_wait_sec must be 0 or more'),
    ([GOOD, dict(id=0, strategy=1)], {}, 'config[1].id must be a positive integer'),
    ([GOOD, dict(id=True, strategy=1)], {}, 'config[1].id must be a positive integer'),
    ([GOOD, dict(id='abc', strategy=1)], {}, 'config[1].id must be a positive integer; got "abc"'),
    ([GOOD, dict(id=1001201, max_wait_sec='soon')], {}, 'config[1].max_wait_sec must be a whole number of seconds; got "soon"'),
    ([GOOD, dict(id=1001201, announce_position='maybe')], {}, 'config[1].announce_position must be true or false; got "maybe"'),
    ([GOOD], dict(parallel=0), 'parallel must be between 1 and 16; got 0'),
    ([GOOD], dict(parallel=17), 'parallel must be between 1 and 16; got 17'),
]


CASES = (
    [pytest.param(module, args, message, id='%s-%02d' % (module, n)) for n, (module, args, message) in enumerate(VALIDATION)]
    + [pytest.param(QUEUE, args, message, id='inbound_queue-bad-%02d' % n) for n, (args, message) in enumerate(QUEUE_BAD_INPUT)]
    + [pytest.param(QUEUES, dict(options, config=config), message, id='inbound_queues-bad-%02d' % n)
       for n, (config, options, message) in enumerate(QUEUES_BAD_INPUT)]
)


@pytest.mark.parametrize('module, args, message', CASES)
def test_bad_input_fails_before_any_request(run_main, module, args, message):
    run = run_main(module, dict(CONNECTION, **args))
    expected = message if isinstance(message, tuple) else (message,)
    assert run.failed, run.result
    assert any(piece in run.msg for piece in expected), (expected, run.msg)
    assert len(run.msg) <= 1000, 'over-long message: %d characters' % len(run.msg)
    # The module never echoes the key.
    assert KEY not in str(run.result), run.result
    assert 'Traceback' not in str(run.result), run.result
    # Not one request: the session was never asked.
    assert run.requests == [], run.requests
