"""A force that signs people in centrally needs nothing from EventRisk (issue 30): the
server's pg_hba.conf sends a person's password to the force's directory with ``ldap``, and
the login on the server holds no password at all.  Tested against a live OpenLDAP directory:
a slapd of the test's own (tests/servers.py: mdb, dc=eventrisk,dc=test, people loaded with
slapadd, on a free loopback port) and a PostgreSQL cluster of its own whose people sign in
with a simple bind as ``uid=NAME,ou=people,dc=eventrisk,dc=test``; the superuser keeps its
scram-sha-256 password.

slapd starts in about 0.1 s, the cluster in about 2.5 s.  The test is skipped, saying why,
where slapd, slappasswd or PostgreSQL's server programs are not installed, and fails there
when EVENTRISK_REQUIRE_PG is set (.ci/run installs slapd and ldap-utils)."""

from __future__ import annotations

import psycopg
import pytest

from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.errors import AuthError
from eventrisk.model import Role
from tests import pg, servers
from tests.conftest import password_file, run_cli

pytestmark = pytest.mark.pg
SUPER = "Super-Secret-1"
# The directory's passwords; PostgreSQL is never told them.
PEOPLE = {"alice": "Alice-Directory-1", "bob": "Bob-Directory-1",
          "mallory": "Mallory-Directory-1"}  # mallory is in the directory, with no login


@pytest.fixture(scope="module")
def ldap_server():
    """(the DBA's URL, the workstations' URL, the directory) of a desk on a new cluster that
    authenticates everyone but its superuser against a new slapd."""
    with servers.directory(PEOPLE) as directory:
        hba = (
            "# the DBA: its own password, kept by the server\n"
            "host all postgres 127.0.0.1/32 scram-sha-256\n"
            "# the desk's people: the directory checks the password (simple bind)\n"
            f"host all all 127.0.0.1/32 ldap ldapserver=127.0.0.1 ldapport={directory.port} "
            f'ldapprefix="uid=" ldapsuffix=",{servers.LDAP_PEOPLE}"\n')
        with servers.cluster(SUPER, hba=hba, prefix="er_ldap_pg_") as server:
            dba = f"postgresql://postgres:{SUPER}@{server[len('postgresql://'):]}"
            with psycopg.connect(f"{dba}/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE desk LOCALE 'C.UTF-8' TEMPLATE template0")
            with psycopg.connect(f"{dba}/desk", autocommit=True) as conn:
                conn.execute(pg.GRANTS.read_text(encoding="utf-8"))
            open_database(f"{dba}/desk", create=True).close()
            with psycopg.connect(f"{dba}/desk", autocommit=True) as conn:
                conn.execute(pg.GRANTS.read_text(encoding="utf-8"))
                # As docs/postgresql.md says: the login exists, with its desk role and no
                # password (eventrisk role NAME officer prints the same lines).
                for name in ("alice", "bob"):
                    conn.execute(f"CREATE ROLE {name} LOGIN")
                    conn.execute(f"GRANT eventrisk_officer TO {name}")
            yield f"{dba}/desk", f"{server}/desk", directory


def _one_sentence(err: str, name: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert f"refused the sign-in of {name}: the name or password is wrong" in err, err


def test_the_directory_decides_who_signs_in(ldap_server, tmp_path, capsys):
    dba, desk_url, directory = ldap_server
    with psycopg.connect(dba, autocommit=True) as conn:
        assert conn.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN "
                            "('alice', 'bob') ORDER BY 1").fetchall() == [("alice", None),
                                                                         ("bob", None)]
    # The directory's password signs her in through the desk, as her own login.
    desk = Desk.open_as(desk_url, "alice", PEOPLE["alice"])
    assert desk.user.username == "alice" and desk.user.role is Role.OFFICER
    assert desk.db.execute("SELECT session_user").fetchone()[0] == "alice"
    assert desk.db.execute("SELECT count(*) FROM venues").fetchone()[0] == 0  # she may read
    # Signing in again at the same desk (the app's sign-in after a lock, or another person
    # taking the chair) goes to the directory too.
    with pytest.raises(AuthError, match="refused the sign-in of bob: the name or password"):
        desk.sign_in("bob", PEOPLE["alice"])
    assert desk.sign_in("bob", PEOPLE["bob"]).username == "bob"
    assert desk.db.execute("SELECT session_user").fetchone()[0] == "bob"
    desk.close()
    # A wrong password, none at all (an LDAP "unauthenticated bind" must not count), a
    # directory password with no login on the server: refused, each in one sentence.
    with pytest.raises(AuthError, match="refused the sign-in of alice: the name or password is "
                                        "wrong"):
        Desk.open_as(desk_url, "alice", "not-her-password")
    with pytest.raises(AuthError, match="refused the sign-in of alice"):
        Desk.open_as(desk_url, "alice", "")
    with pytest.raises(AuthError, match="refused the sign-in of bob"):
        Desk.open_as(desk_url, "bob", PEOPLE["alice"])
    with pytest.raises(AuthError, match="refused the sign-in of mallory"):
        Desk.open_as(desk_url, "mallory", PEOPLE["mallory"])
    # The command line passes --user and --password-file to libpq, and on to the directory.
    right = password_file(tmp_path, PEOPLE["alice"])
    code, out, err = run_cli(capsys, "--db", desk_url, "--user", "alice", "--password-file",
                             right, "queue", "--json")
    assert code == 0, err
    wrong = password_file(tmp_path, "guess-guess")
    code, out, err = run_cli(capsys, "--db", desk_url, "--user", "alice", "--password-file",
                             wrong, "queue", "--json")
    assert code == 1
    _one_sentence(err, "alice")
    # Alice leaves the force: the directory team deletes her entry, and nothing is done on the
    # PostgreSQL server (her login and its desk role stay), yet she can sign in no more.
    directory.delete("alice")
    with pytest.raises(AuthError, match="refused the sign-in of alice: the name or password is "
                                        "wrong"):
        Desk.open_as(desk_url, "alice", PEOPLE["alice"])
    code, out, err = run_cli(capsys, "--db", desk_url, "--user", "alice", "--password-file",
                             right, "queue", "--json")
    assert code == 1
    _one_sentence(err, "alice")
    with psycopg.connect(dba, autocommit=True) as conn:
        assert conn.execute("SELECT pg_has_role('alice', 'eventrisk_officer', 'MEMBER')"
                            ).fetchone()[0]
    # Bob, still in the directory, still signs in.
    bob = Desk.open_as(desk_url, "bob", PEOPLE["bob"])
    assert bob.user.username == "bob"
    bob.close()
