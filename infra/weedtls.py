"""Mutual TLS for SeaweedFS's gRPC ports (issue 13, "Closed by default").

The JWT keys of security.toml guard only the HTTP ports: the gRPC twins (+10000) still answered
anyone on the machine (`weed shell fs.cat /etc/iam/identities/…` printed an institution's secret
key). With `[grpc]` certificates every gRPC server and client must present a certificate signed by
the stack's own CA; the CA's private key is thrown away once the one node certificate is signed, so
nobody can mint another.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker", "msg_agent", "client")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def write_certificates(folder: Path, days: int = 3650) -> tuple[Path, Path, Path]:
    """(CA certificate, node certificate, node key) under `folder`, made once and kept."""
    folder.mkdir(mode=0o700, exist_ok=True)
    ca_crt, crt, key = folder / "ca.crt", folder / "node.crt", folder / "node.key"
    if ca_crt.exists() and crt.exists() and key.exists():
        return ca_crt, crt, key
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("skillsub-stack-ca")).issuer_name(_name("skillsub-stack-ca"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    node_key = ec.generate_private_key(ec.SECP256R1())
    node = (x509.CertificateBuilder().subject_name(_name("skillsub-stack")).issuer_name(ca.subject)
            .public_key(node_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(key, node_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    _write(crt, node.public_bytes(serialization.Encoding.PEM))
    _write(ca_crt, ca.public_bytes(serialization.Encoding.PEM))
    return ca_crt, crt, key


def security_sections(folder: Path) -> str:
    """The `[grpc]` part of security.toml: one CA, the node certificate for every server and client."""
    ca, crt, key = write_certificates(folder)
    text = f'[grpc]\nca = "{ca}"\n\n'
    for component in COMPONENTS:
        text += f'[grpc.{component}]\ncert = "{crt}"\nkey = "{key}"\n\n'
    return text
