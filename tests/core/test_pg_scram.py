"""People sign in through the server's own authentication (issue 30): a PostgreSQL cluster of
the test's own, started in a temporary folder on a free port with ``scram-sha-256`` for every
connection in its pg_hba.conf (the shared test server trusts every local connection, so it
cannot check a password).  A person's login and password go to libpq; a wrong one is refused
by the server in one sentence; EventRisk keeps none of it.

initdb and a start take about 2.5 s; the test is skipped, saying why, where PostgreSQL's
server binaries are not installed (and fails there when EVENTRISK_REQUIRE_PG is set)."""

from __future__ import annotations

import psycopg
import pytest

from eventrisk.db import open_database
from eventrisk.desk import Desk
from eventrisk.errors import AuthError
from eventrisk.model import Role
from eventrisk.pg import SignInNeededError
from tests import pg, servers
from tests.conftest import password_file, run_cli

pytestmark = pytest.mark.pg
SUPER = "Super-Secret-1"


@pytest.fixture(scope="module")
def scram_server():
    """A libpq URL (no database) of a new cluster where every connection must give a
    password, checked by scram-sha-256; stopped and removed afterwards."""
    with servers.cluster(SUPER, prefix="er_scram_") as url:
        yield url


def test_people_sign_in_with_their_own_scram_passwords(scram_server, tmp_path, capsys,
                                                       monkeypatch):
    dba = f"postgresql://postgres:{SUPER}@{scram_server[len('postgresql://'):]}"
    with psycopg.connect(f"{dba}/postgres", autocommit=True) as conn:
        assert conn.execute("SHOW password_encryption").fetchone()[0] == "scram-sha-256"
        conn.execute("CREATE DATABASE desk LOCALE 'C.UTF-8' TEMPLATE template0")
    with psycopg.connect(f"{dba}/desk", autocommit=True) as conn:
        conn.execute(pg.GRANTS.read_text(encoding="utf-8"))
    open_database(f"{dba}/desk", create=True).close()
    dba_desk = Desk.open(f"{dba}/desk")  # the DBA fills a training desk to work on
    dba_desk.build_demo(venues=5, events=40, incidents=20, seed=2)
    dba_desk.close()
    with psycopg.connect(f"{dba}/desk", autocommit=True) as conn:
        conn.execute(pg.GRANTS.read_text(encoding="utf-8"))
        conn.execute("CREATE ROLE alice LOGIN PASSWORD 'Alice-Passw0rd'")
        conn.execute("GRANT eventrisk_officer TO alice")
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'"
                              ).fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$")
    desk_url = f"{scram_server}/desk"
    # The workstation's address holds no password: the desk wants the person to sign in.
    with pytest.raises(SignInNeededError):
        Desk.open(f"{desk_url}?user=alice")
    with pytest.raises(AuthError, match="refused the sign-in of alice: the name or password is "
                                        "wrong"):
        Desk.open_as(desk_url, "alice", "not-her-password")
    with pytest.raises(AuthError, match="refused the sign-in of mallory"):
        Desk.open_as(desk_url, "mallory", "Alice-Passw0rd")
    desk = Desk.open_as(desk_url, "alice", "Alice-Passw0rd")
    assert desk.user.username == "alice" and desk.user.role is Role.OFFICER
    assert desk.db.execute("SELECT count(*) FROM venues").fetchone()[0] == 5  # she may read
    # Her own password, changed through the app: hashed by libpq here, never sent in clear.
    desk.change_own_password("Alice-Passw0rd", "Alice-New-Passw0rd")
    desk.close()
    with pytest.raises(AuthError, match="name or password is wrong"):
        Desk.open_as(desk_url, "alice", "Alice-Passw0rd")
    again = Desk.open_as(desk_url, "alice", "Alice-New-Passw0rd")
    # The worker's connection (a rescore's, a background save's) is hers too.
    worker = again.for_worker()
    assert worker.db.execute("SELECT session_user").fetchone()[0] == "alice"
    worker.close()
    again.close()
    # The command line passes --user and --password-file to libpq.
    right = password_file(tmp_path, "Alice-New-Passw0rd")
    code, out, err = run_cli(capsys, "--db", desk_url, "--user", "alice", "--password-file",
                             right, "queue", "--json")
    assert code == 0, err
    wrong = password_file(tmp_path, "guess-guess")
    code, out, err = run_cli(capsys, "--db", desk_url, "--user", "alice", "--password-file",
                             wrong, "queue", "--json")
    assert code == 1 and "name or password is wrong" in err and "Traceback" not in err
    # A supervisor's rescore shares its chunks with a worker process, which signs in as the
    # same person (with no password it could not connect here at all).
    with psycopg.connect(f"{dba}/desk", autocommit=True) as conn:
        conn.execute("CREATE ROLE bob LOGIN PASSWORD 'Bob-Passw0rd'")
        conn.execute("GRANT eventrisk_supervisor TO bob")
    from eventrisk.scoring import service

    monkeypatch.setattr(service, "CHUNK", 7)
    bob = Desk.open_as(desk_url, "bob", "Bob-Passw0rd")
    results = bob.rescore_all(parallel_from=1)
    assert len(results) == bob.count_rescore_all() > 30
    assert {r[0] for r in bob.db.execute(
        "SELECT DISTINCT written_by FROM audit_log WHERE action = 'assessment.snapshot' AND "
        "actor = 'bob'")} == {"bob"}
    bob.close()
    # EventRisk stored no password, and no hash, anywhere on the desk.
    with psycopg.connect(f"{dba}/desk") as conn:
        assert conn.execute("SELECT password_hash FROM eventrisk.users WHERE username = "
                            "'alice'").fetchone()[0] == ""
