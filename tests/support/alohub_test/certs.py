"""Throwaway certificates for the TLS tests (cryptography comes with ansible-core: no openssl binary needed).

``make_ca(name)`` and ``make_server_cert(ca_key, ca_cert, expired=False)`` build a small PKI for
127.0.0.1; ``self_signed(directory)`` writes a self-signed certificate and key for 127.0.0.1 that
is its own CA, and returns their paths; ``write_pem(path, cert=None, key=None)`` writes either.
"""

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _window(expired=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        return now - datetime.timedelta(days=10), now - datetime.timedelta(days=1)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)


def make_ca(common_name, loopback=False):
    """(key, certificate) of a CA; ``loopback``: it also names 127.0.0.1, to serve as its own server certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _window()
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name)).issuer_name(_name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if loopback:
        builder = builder.add_extension(LOOPBACK, critical=False)
    return key, builder.sign(key, hashes.SHA256())


def make_server_cert(ca_key, ca_cert, expired=False):
    """(key, certificate) of a server at 127.0.0.1, signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = _window(expired)
    cert = (x509.CertificateBuilder()
            .subject_name(_name('alohub-sim test server')).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(LOOPBACK, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def write_pem(path, cert=None, key=None):
    data = b''
    if cert is not None:
        data += cert.public_bytes(serialization.Encoding.PEM)
    if key is not None:
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(data)
    return str(path)


def self_signed(directory):
    """A certificate for 127.0.0.1 that is its own CA, and its key: (cert file, key file) in ``directory``."""
    key, cert = make_ca('alohub-sim test CA', loopback=True)
    return write_pem(directory / 'cert.pem', cert), write_pem(directory / 'key.pem', key=key)
