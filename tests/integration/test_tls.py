"""TLS through ansible-playbook: the simulator serves HTTPS with certificates made here.

A throwaway CA signs a server certificate for 127.0.0.1 (SAN IP:127.0.0.1);
a second CA signs nothing we serve; a third server certificate has expired.
``validate_certs`` is true by default, so the untrusted certificate fails
(once: TLS errors are not retried), ``ca_path`` or ``ALOHUB_CA_PATH`` makes
it pass, and ``validate_certs: false`` passes with a warning.
"""

import ipaddress
import re
import socket

import pytest

# cryptography comes with ansible-core: it is always there, so its absence fails rather than skips.
from alohub_test.certs import make_ca, make_server_cert, write_pem
from alohub_test.hostplay import play_on_hosts
from conftest import ACME_KEY, Simulator

# Certificates are checked by requests and ssl, not by Ansible: the newest line only (make test).
pytestmark = pytest.mark.line_independent

QUEUE = 'alohub.callcenter.inbound_queue'
INFO = 'alohub.callcenter.inbound_queue_info'
QUEUES = 'alohub.callcenter.inbound_queues'
HANDSHAKE_FAILED = re.compile(r'TLS handshake with \S+ failed')


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp('pki')
    ca_key, ca_cert = make_ca('alohub test CA')
    other_key, other_cert = make_ca('some other CA')
    server_key, server_cert = make_server_cert(ca_key, ca_cert)
    old_key, old_cert = make_server_cert(ca_key, ca_cert, expired=True)
    (root / 'garbage.pem').write_text('not a certificate\n')
    return dict(
        ca=write_pem(root / 'ca.pem', ca_cert),
        other_ca=write_pem(root / 'other-ca.pem', other_cert),
        server=(write_pem(root / 'server.pem', server_cert), write_pem(root / 'server.key', key=server_key)),
        expired=(write_pem(root / 'expired.pem', old_cert), write_pem(root / 'expired.key', key=old_key)),
        garbage=str(root / 'garbage.pem'),
    )


@pytest.fixture(scope='module')
def tls_sims(pki):
    with Simulator(tls=pki['server'], quiet=False) as good, Simulator(tls=pki['expired'], quiet=False) as expired:
        yield good, expired


def loopback_alias():
    """A host name other than "localhost" that resolves to loopback here, or None."""
    for name in ('localhost.localdomain', socket.gethostname()):
        try:
            address = socket.gethostbyname(name)
        except OSError:
            continue
        if name != 'localhost' and ipaddress.ip_address(address).is_loopback:
            return name
    return None


def task(name, module=INFO, env=None, **args):
    entry = dict(name=name, ignore_errors=True, **{module: args})
    if env:
        entry['environment'] = env
    return entry


def test_certificates(ansible, sim, tls_sims, pki):
    good, expired = tls_sims
    good.reset()
    url = good.url
    port = url.rsplit(':', 1)[1]
    handshakes_before = len(HANDSHAKE_FAILED.findall(good.output() + expired.output()))
    run = play_on_hosts(ansible, {
        'h1': [
            task('untrusted by default', id=1001226),
            task('ca_path', id=1001226, ca_path=pki['ca']),
            task('ALOHUB_CA_PATH', env=dict(ALOHUB_CA_PATH=pki['ca']), id=1001226),
            task('update over TLS', QUEUE, id=1001226, strategy='vip', ca_path=pki['ca']),
        ],
        'h2': [
            task('validate_certs false', id=1001226, validate_certs=False),
            task('ALOHUB_VALIDATE_CERTS false', env=dict(ALOHUB_VALIDATE_CERTS='false'), id=1001226),
            task('another CA', id=1001226, ca_path=pki['other_ca']),
            task('bulk over TLS', QUEUES, state='gathered', ca_path=pki['ca']),
        ],
        'h3': [
            task('hostname mismatch', id=1001226, ca_path=pki['ca'], api_url='https://localhost:%s' % port),
            task('expired', id=1001226, ca_path=pki['ca'], api_url=expired.url),
            task('ca_path not a certificate', id=1001226, ca_path=pki['garbage']),
            task('https to plain http', id=1001226, api_url=sim.url.replace('http://', 'https://'), ca_path=pki['ca']),
            task('plain http to https', id=1001226, api_url=url.replace('https://', 'http://'), retries=1, max_retry_wait=0),
        ],
    }, defaults=dict(api_url=url, api_key=ACME_KEY, retries=5, max_retry_wait=1))
    assert 'Traceback' not in run.output

    def failed(name, *pieces):
        entry = run.task(name)
        result = entry['result']
        assert entry['status'] == 'failed', (name, result)
        for piece in pieces:
            assert piece in result['msg'], (name, result['msg'])
        return result

    def passed(name):
        entry = run.task(name)
        assert entry['status'] == 'ok', (name, entry['result'].get('msg'))
        return entry['result']

    # Untrusted: a clear reason, the hint, and one attempt although retries is 5.
    result = failed('untrusted by default', '/v1/queues/inbound/1001226 failed: TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] '
                    'certificate verify failed: unable to get local issuer certificate after 1 attempt',
                    'Hint: set ca_path to the CA bundle')
    assert result['attempts'] == 1
    failed('another CA', 'certificate verify failed', 'after 1 attempt')
    failed('hostname mismatch', "certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'", 'after 1 attempt')
    failed('expired', 'certificate verify failed: certificate has expired', 'after 1 attempt')
    failed('ca_path not a certificate', 'TLS error: [X509: NO_CERTIFICATE_OR_CRL_FOUND]', 'after 1 attempt')
    failed('https to plain http', 'TLS error: [SSL', 'after 1 attempt')
    failed('plain http to https', 'connection closed without an answer after 2 attempts')

    assert passed('ca_path')['queues'][0]['id'] == 1001226
    assert passed('ALOHUB_CA_PATH')['queues'][0]['id'] == 1001226
    assert passed('update over TLS')['changed'] is True
    assert len(passed('bulk over TLS')['gathered']) == 42
    for name in ('validate_certs false', 'ALOHUB_VALIDATE_CERTS false'):
        warnings = passed(name).get('warnings', [])
        assert any('validate_certs is false' in w and 'Prefer ca_path' in w for w in warnings), (name, warnings)
        # urllib3's per-request InsecureRequestWarning is replaced by that one warning.
        assert 'InsecureRequestWarning' not in run.output
    for name in ('ca_path', 'ALOHUB_CA_PATH', 'update over TLS', 'bulk over TLS'):
        assert not passed(name).get('warnings'), (name, passed(name).get('warnings'))

    # No retry storm: one failed handshake for each of the five certificate failures
    # (retries: 5 would have made 30), plus the plain-http task's two attempts.
    handshakes = len(HANDSHAKE_FAILED.findall(good.output() + expired.output())) - handshakes_before
    assert handshakes == 5 + 2, handshakes
    # The server saw the requests that got through, and only those.
    assert len([e for e in good.requests() if e['method'] == 'PUT']) == 1


def test_plain_http_to_another_host_warns(ansible, sim):
    """The key would travel in clear text to a host that is not loopback: a warning says so.

    The check is by name (only localhost and loopback addresses are exempt), so a
    name that happens to resolve to 127.0.0.1 here stands in for a remote host.
    """
    alias = loopback_alias()
    if alias is None:
        pytest.skip('no host name other than localhost resolves to loopback here (the unit tests cover the warning)')
    port = sim.url.rsplit(':', 1)[1]
    run = ansible.play([
        dict(name='named host', **{INFO: dict(id=1001226, api_url='http://%s:%s' % (alias, port))}),
        dict(name='loopback address', **{INFO: dict(id=1001226)}),
    ])
    assert run.rc == 0, run.output[-2000:]
    warnings = run.result('named host').get('warnings', [])
    assert any('api_url uses plain http:// to %s: the API key travels unencrypted' % alias.lower() in w for w in warnings), warnings
    assert not run.result('loopback address').get('warnings')
