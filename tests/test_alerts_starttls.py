"""Email alerts over STARTTLS with login, against a real aiosmtpd server on 127.0.0.1.

A throwaway private CA and a server certificate for 127.0.0.1/localhost are made per test
session; the client must verify them (trusting the CA only through `smtp.ca_file`).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pantau.pipeline.alerts.sender import deliver_due
from pantau.pipeline.config import Smtp
from tests.receivers import Outbox
from tests.test_alerts_delivery import FAST, GOLD, make_config, seed_article, sub

USER, PASSWORD = "pantau", "rahasia-123"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _make_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate it signed; returns (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Pantau Test CA"))
        .issuer_name(_name("Pantau Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem, key_pem


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(str(tmp_path / "pantau.db"))
    yield box
    box.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> tuple[Path, Path, Path]:
    return _make_pki(tmp_path_factory.mktemp("pki"))


class TlsSmtpServer:
    """aiosmtpd on 127.0.0.1 that refuses mail before STARTTLS and AUTH before TLS."""

    def __init__(self, cert: Path, key: Path, implicit: bool = False) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[str] = []
        self.tls_sessions = 0  # messages that arrived over an encrypted session
        self._lock = threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server = self

        class Handler:
            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with server._lock:
                    server.messages.append(msg)  # type: ignore[arg-type]
                    encrypted = session.ssl is not None or (  # STARTTLS, or TLS from the start
                        smtp.transport.get_extra_info("ssl_object") is not None
                    )
                    server.tls_sessions += encrypted
                return "250 OK"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
            if ok:
                with server._lock:
                    server.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        self.host = "127.0.0.1"
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        tls = {"ssl_context": context} if implicit else {"tls_context": context}
        self._controller = Controller(
            Handler(),
            hostname=self.host,
            port=self.port,
            require_starttls=not implicit,
            authenticator=authenticate,
            # an implicit-TLS listener is TLS from the first byte; aiosmtpd only counts STARTTLS
            auth_require_tls=not implicit,
            auth_required=True,
            **tls,
        )
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def tls_server(pki):
    _, cert, key = pki
    server = TlsSmtpServer(cert, key)
    yield server
    server.stop()


def _smtp(server: TlsSmtpServer, **kw: Any) -> Smtp:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "from": "pantau@example.go.id",
        "username": USER,
        "password": PASSWORD,
        "starttls": True,
        "timeout": 10,
    }
    values.update(kw)
    return Smtp.model_validate(values)


def _deliver(outbox, server: TlsSmtpServer, smtp: Smtp, name: str = "email-analis"):
    art, story = seed_article(outbox, 0)
    alert = outbox.alert(name, "email", art, story)
    config = make_config(sub(name, "email", to=["analis@example.go.id"]))
    config.smtp = smtp
    return deliver_due(outbox.path, config, policy=FAST), outbox.row(alert)


def test_starttls_login_delivers_multipart_mail(outbox, tls_server, pki):
    ca, _, _ = pki
    report, row = _deliver(outbox, tls_server, _smtp(tls_server, ca_file=str(ca)))

    assert (report.sent, report.failed, report.dead) == (1, 0, 0)
    assert row["status"] == "sent" and row["sent_at"]
    assert tls_server.logins == [USER]
    assert len(tls_server.messages) == 1 and tls_server.tls_sessions == 1
    msg = tls_server.messages[0]
    title = GOLD["articles"][0]["title"]
    assert msg["Subject"] == " ".join(f"[Pantau] revolusi-mental-asn: {title}".split())[:250]
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert all("https://beritarafflesia.example.id/berita/1" in body for body in parts.values())


def test_wrong_password_goes_dead(outbox, tls_server, pki):
    ca, _, _ = pki
    report, row = _deliver(outbox, tls_server, _smtp(tls_server, ca_file=str(ca), password="salah"))

    assert report.dead == 1 and report.sent == 0
    assert row["status"] == "dead" and "535" in row["last_error"]
    assert tls_server.messages == [] and tls_server.logins == []


@pytest.mark.parametrize(
    ("login", "reason"),
    [(True, "set smtp.starttls: true"), (False, "530 Must issue a STARTTLS command first")],
)
def test_server_requiring_starttls_refuses_plaintext_config(outbox, tls_server, pki, login, reason):
    """starttls: false against a server that demands it: nothing (no password, no mail) is
    sent in clear text, and the alert is dead-lettered with the reason."""
    ca, _, _ = pki
    # With a login, plaintext AUTH must be allowed explicitly for the config to load at all.
    creds = {"allow_plaintext_auth": True} if login else {"username": None, "password": None}
    smtp = _smtp(tls_server, ca_file=str(ca), starttls=False, **creds)
    report, row = _deliver(outbox, tls_server, smtp)

    assert report.dead == 1 and report.sent == 0
    assert row["status"] == "dead" and reason in row["last_error"]
    assert tls_server.messages == [] and tls_server.logins == []


def test_starttls_without_login_is_refused_by_server_needing_auth(outbox, tls_server, pki):
    ca, _, _ = pki
    smtp = _smtp(tls_server, ca_file=str(ca), username=None, password=None)
    report, row = _deliver(outbox, tls_server, smtp)

    assert report.dead == 1 and row["status"] == "dead" and "530" in row["last_error"]
    assert tls_server.messages == []


def test_untrusted_certificate_is_not_accepted_silently(outbox, tls_server):
    """Without ca_file the private CA is unknown: verification fails and nothing is sent
    (the password never crosses an unverified connection)."""
    report, row = _deliver(outbox, tls_server, _smtp(tls_server))

    assert report.sent == 0
    assert row["status"] != "sent"
    assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
    assert tls_server.messages == [] and tls_server.logins == []


@pytest.fixture
def implicit_tls_server(pki):
    _, cert, key = pki
    server = TlsSmtpServer(cert, key, implicit=True)
    yield server
    server.stop()


# aiosmtpd warns about AUTH without STARTTLS; on an implicit-TLS port there is no clear text
IMPLICIT_TLS_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


@pytest.mark.filterwarnings(IMPLICIT_TLS_WARNING)
def test_implicit_tls_port_delivers(outbox, implicit_tls_server, pki):
    """`ssl: true` (port 465 style): TLS from the first byte, verified against ca_file."""
    ca, _, _ = pki
    smtp = _smtp(implicit_tls_server, ca_file=str(ca), ssl=True, starttls=False)
    report, row = _deliver(outbox, implicit_tls_server, smtp)

    assert (report.sent, report.dead) == (1, 0) and row["status"] == "sent"
    assert implicit_tls_server.logins == [USER]
    assert implicit_tls_server.tls_sessions == 1


@pytest.mark.filterwarnings(IMPLICIT_TLS_WARNING)
def test_implicit_tls_without_the_ca_sends_nothing(outbox, implicit_tls_server):
    report, row = _deliver(outbox, implicit_tls_server, _smtp(implicit_tls_server, ssl=True))

    assert report.sent == 0 and row["status"] != "sent"
    assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
    assert implicit_tls_server.messages == [] and implicit_tls_server.logins == []
