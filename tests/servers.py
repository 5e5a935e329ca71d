"""Servers a test starts for itself, in a temporary folder on a free loopback port: a
PostgreSQL cluster whose pg_hba.conf the test writes (the shared test server trusts every
local connection, so it cannot show how a person signs in), and an OpenLDAP directory
(``slapd``) for the cluster's ``ldap`` authentication.  Both are stopped and removed
afterwards.

Where the programs are not installed the test is skipped with one line saying so, unless
``EVENTRISK_REQUIRE_PG`` is set (as ``.ci/run`` and ``make test-pg`` set it): then it fails,
since a required run that quietly left out how people sign in would prove nothing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import pg


def missing(why: str):
    """Leave the test out, saying ``why`` in one line, or fail it when PostgreSQL's half is
    required."""
    if pg.required():
        pytest.fail(f"EVENTRISK_REQUIRE_PG is set, but {why}", pytrace=False)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- a PostgreSQL cluster of the test's own ----------------------------------------------------

def bindir() -> Path | None:
    """Where PostgreSQL's server programs (initdb, pg_ctl) are, if anywhere."""
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout
        if (Path(out.strip()) / "initdb").exists():
            return Path(out.strip())
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    return None


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: there, run them as the postgres account."""
    if os.geteuid() != 0:
        return command
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in command)]


def _give_to_server(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres")


@contextmanager
def cluster(superuser_password: str, hba: str | None = None,
            prefix: str = "er_cluster_") -> Iterator[str]:
    """A new cluster, its libpq URL (no database, no user): the superuser ``postgres`` has
    ``superuser_password`` (kept as a scram-sha-256 hash), and every connection must give a
    password (scram-sha-256) unless ``hba`` is given as the whole of its pg_hba.conf."""
    server = bindir()
    if server is None:
        missing("PostgreSQL's server programs (initdb) are not installed here")
    if os.geteuid() == 0 and shutil.which("su") is None:
        missing("running as root without su: initdb cannot run")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        port = free_port()
        secret = folder / "pw"
        secret.write_text(superuser_password + "\n")
        _give_to_server(folder)
        _give_to_server(secret)
        data = folder / "data"
        subprocess.run(_as_server_user([str(server / "initdb"), "-D", str(data), "-A",
                                        "scram-sha-256", "-U", "postgres",
                                        f"--pwfile={secret}", "--locale=C.UTF-8", "-E", "UTF8"]),
                       check=True, capture_output=True)
        if hba is not None:
            (data / "pg_hba.conf").write_text(hba, encoding="utf-8")
            _give_to_server(data / "pg_hba.conf")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_server_user([str(server / "pg_ctl"), "-D", str(data), "-o", options,
                                        "-l", str(folder / "log"), "-w", "start"]),
                       check=True, capture_output=True)
        try:
            yield f"postgresql://127.0.0.1:{port}"
        finally:
            subprocess.run(_as_server_user([str(server / "pg_ctl"), "-D", str(data), "-m",
                                            "immediate", "stop"]), capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---- an OpenLDAP directory -------------------------------------------------------------------

LDAP_SUFFIX = "dc=eventrisk,dc=test"
LDAP_PEOPLE = f"ou=people,{LDAP_SUFFIX}"
_LDAP_PROGRAMS = ("slapd", "slappasswd", "slapadd", "ldapdelete")
# Debian's places for them (slapd and slappasswd are in /usr/sbin, often not on a user's PATH).
_LDAP_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
_SCHEMAS = ("core", "cosine", "inetorgperson")


@dataclass
class Directory:
    """A running slapd: its port and the administrator's bind, for changing its entries."""

    port: int
    admin_dn: str
    admin_password: str

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def person_dn(self, uid: str) -> str:
        return f"uid={uid},{LDAP_PEOPLE}"

    def delete(self, uid: str) -> None:
        """Remove a person from the directory, as the force's directory team would."""
        subprocess.run([_program("ldapdelete"), "-x", "-H", self.uri, "-D", self.admin_dn,
                        "-w", self.admin_password, self.person_dn(uid)],
                       check=True, capture_output=True, timeout=10)


def _program(name: str) -> str | None:
    return shutil.which(name, path=_LDAP_PATH)


def _schema_folder() -> Path | None:
    for folder in ("/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"):
        if all(Path(folder, f"{name}.schema").exists() for name in _SCHEMAS):
            return Path(folder)
    return None


def _module_folder() -> Path | None:
    """Where slapd's loadable back ends are (None where mdb is built in)."""
    for folder in ("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap",
                   "/usr/local/libexec/openldap"):
        if glob.glob(f"{folder}/back_mdb*"):
            return Path(folder)
    return None


@contextmanager
def directory(people: dict[str, str]) -> Iterator[Directory]:
    """A slapd of the test's own (mdb, suffix dc=eventrisk,dc=test) holding ``people``, uid to
    password, each as ``uid=…,ou=people,dc=eventrisk,dc=test`` with its password as
    slappasswd hashes it ({SSHA}); it runs as the current user until the block ends."""
    absent = [name for name in _LDAP_PROGRAMS if _program(name) is None]
    if absent:
        missing(f"OpenLDAP's {', '.join(absent)} {'is' if len(absent) == 1 else 'are'} "
                "not installed here "
                "(apt-get install slapd ldap-utils)")
    schemas = _schema_folder()
    if schemas is None:
        missing("OpenLDAP's core, cosine and inetorgperson schema files are not installed here")
    folder = Path(tempfile.mkdtemp(prefix="er_ldap_"))
    process = None
    try:
        admin_password = "Directory-Admin-1"
        (folder / "db").mkdir()
        modules = _module_folder()
        conf = [f"include {schemas / name}.schema" for name in _SCHEMAS]
        conf += [f"pidfile {folder / 'slapd.pid'}"]
        if modules is not None:
            conf += [f"modulepath {modules}", "moduleload back_mdb"]
        conf += ["database mdb", "maxsize 10485760", f'suffix "{LDAP_SUFFIX}"',
                 f'rootdn "cn=admin,{LDAP_SUFFIX}"', f"rootpw {admin_password}",
                 f"directory {folder / 'db'}"]
        (folder / "slapd.conf").write_text("\n".join(conf) + "\n", encoding="utf-8")
        entries = [f"dn: {LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\n"
                   "dc: eventrisk\no: EventRisk test\n",
                   f"dn: {LDAP_PEOPLE}\nobjectClass: organizationalUnit\nou: people\n"]
        for uid, password in people.items():
            hashed = subprocess.run([_program("slappasswd"), "-s", password], check=True,
                                    capture_output=True, text=True).stdout.strip()
            entries.append(f"dn: uid={uid},{LDAP_PEOPLE}\nobjectClass: inetOrgPerson\n"
                           f"uid: {uid}\ncn: {uid}\nsn: {uid}\nuserPassword: {hashed}\n")
        (folder / "people.ldif").write_text("\n".join(entries), encoding="utf-8")
        # Loaded before slapd starts (no network, no bind), then served.
        subprocess.run([_program("slapadd"), "-f", str(folder / "slapd.conf"), "-l",
                        str(folder / "people.ldif")], check=True, capture_output=True)
        port = free_port()
        # -d 0: in the foreground, as this process's child, logging nothing.
        with (folder / "log").open("wb") as log:
            process = subprocess.Popen([_program("slapd"), "-f", str(folder / "slapd.conf"),
                                        "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
                                       stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("slapd did not start: "
                                   + (folder / "log").read_text(errors="replace")[-500:])
            time.sleep(0.02)
        yield Directory(port, f"cn=admin,{LDAP_SUFFIX}", admin_password)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
