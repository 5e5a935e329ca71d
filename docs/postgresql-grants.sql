-- EventRisk on PostgreSQL: the roles, the schema and what each role may do.
--
-- Run as the database's administrator (a superuser, or a role with CREATEROLE that owns the
-- database), connected to the desk's database, twice:
--   1. before 'eventrisk init': it makes the roles and the empty schema;
--   2. after 'eventrisk init', and after every upgrade of EventRisk that changes the schema:
--      it grants the workstations what they may do on the tables init made.
-- It is safe to run again at any time; it never removes data.
--
--   createdb --locale=C.UTF-8 --template=template0 eventrisk
--   psql -d eventrisk -v ON_ERROR_STOP=1 -f docs/postgresql-grants.sql
--
-- The database must sort text by code point (C.UTF-8 or C), as SQLite does, so that the
-- queue and every list come out in the same order on both backends; 'eventrisk init'
-- refuses any other.
--
-- Roles (cluster-wide; made once, never dropped by this script):
--   eventrisk_owner       owns the schema and everything in it.  Nobody works as it day to
--                         day: 'eventrisk init' runs as a member of it (SET ROLE), to create
--                         and upgrade the schema.
--   eventrisk_desk        what every workstation login may do: read the desk (never an
--                         account's password hash, never the sign-in failures).  A login in
--                         it with no desk role below (the old shared workstation login) may
--                         only read.
--   eventrisk_officer     in eventrisk_desk: capture, edit and score events, record incidents
--                         and debriefs, add to the record (audit trail, snapshots, reviews,
--                         issued documents), never change or remove it.
--   eventrisk_supervisor  in eventrisk_officer: also decides (approve, return, override) and
--                         publishes rulesets.
--   eventrisk_admin       in eventrisk_supervisor: also accounts' display names, the desk's
--                         settings, retention holds and runs, erasure; holds ADMIN OPTION on
--                         eventrisk_officer and eventrisk_supervisor, so an administrator
--                         gives and takes those roles without superuser or CREATEROLE.
-- Each person signs in as their own login, made by the DBA (or by a role with CREATEROLE):
--   CREATE ROLE a_smith LOGIN;                      -- password, LDAP or Kerberos: pg_hba.conf
--   GRANT eventrisk_officer TO a_smith;
--   GRANT eventrisk_admin TO j_jones WITH ADMIN OPTION;  -- the desk's first administrator
-- Who a person is and what they may do is their login and its roles: the schema's triggers
-- stamp every actor from session_user and refuse what the role does not allow
-- (docs/postgresql.md).

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['eventrisk_owner', 'eventrisk_desk', 'eventrisk_officer',
                           'eventrisk_supervisor', 'eventrisk_admin'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- made meanwhile
      END;
    END IF;
  END LOOP;
END $$;

-- The chain of desk roles, and the administrators' ADMIN OPTION.  Safe to run again, and
-- while another session runs it (a grant made meanwhile is left as it is).
DO $$
DECLARE
  g text[];
BEGIN
  FOREACH g SLICE 1 IN ARRAY ARRAY[
      ARRAY['eventrisk_desk', 'eventrisk_officer', 'f'],
      ARRAY['eventrisk_officer', 'eventrisk_supervisor', 'f'],
      ARRAY['eventrisk_supervisor', 'eventrisk_admin', 't'],
      ARRAY['eventrisk_officer', 'eventrisk_admin', 't']] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = g[1]::regrole
                   AND m.member = g[2]::regrole AND (g[3] = 'f' OR m.admin_option)) THEN
      BEGIN
        EXECUTE format('GRANT %I TO %I', g[1], g[2])
                || CASE WHEN g[3] = 't' THEN ' WITH ADMIN OPTION' ELSE '' END;
      EXCEPTION WHEN OTHERS THEN
        IF NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = g[1]::regrole
                       AND m.member = g[2]::regrole) THEN
          RAISE;
        END IF;
      END;
    END IF;
  END LOOP;
END $$;

CREATE SCHEMA IF NOT EXISTS eventrisk AUTHORIZATION eventrisk_owner;
REVOKE ALL ON SCHEMA eventrisk FROM PUBLIC;
GRANT USAGE ON SCHEMA eventrisk TO eventrisk_desk;   -- USAGE, never CREATE: no DDL

DO $$
DECLARE
  -- Records that are written once and never changed: officers read and add only.
  append_only text[] := ARRAY['audit_log', 'assessments', 'reviews', 'issued_documents',
                               'submission_forms'];
  -- The schema's own bookkeeping, and the server's record of retention runs: read only.
  read_only text[] := ARRAY['eventrisk_migrations', 'snapshot_dictionaries', 'retention_runs',
                            'retention_run_members', 'identity_since', 'desk_identity'];
  -- The desk's rules of the house: administrators write them.
  admin_only text[] := ARRAY['settings', 'retention_holds'];
  -- Working records an officer may remove (their own drafts, a workstation's heartbeat).
  removable text[] := ARRAY['drafts', 'workstations'];
  people text := 'eventrisk_desk, eventrisk_officer, eventrisk_supervisor, eventrisk_admin';
  t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'eventrisk' LOOP
    EXECUTE format('REVOKE ALL ON eventrisk.%I FROM PUBLIC, %s', t, people);
    IF t = 'users' THEN
      -- Display names only: no one reads a password hash, and no role is a row.
      EXECUTE 'GRANT SELECT (id, username, display_name, role, active, created_at, '
              'must_change_password, locked) ON eventrisk.users TO eventrisk_desk';
      EXECUTE 'GRANT INSERT (username, display_name, role, active, created_at), '
              'UPDATE (display_name, role, active) ON eventrisk.users TO eventrisk_admin';
    ELSIF t = 'sign_in_failures' THEN
      NULL;  -- the server throttles sign-ins on a server desk (auth_delay, the directory)
    ELSIF t = 'rulesets' THEN
      EXECUTE 'GRANT SELECT ON eventrisk.rulesets TO eventrisk_desk';
      EXECUTE 'GRANT INSERT, UPDATE ON eventrisk.rulesets TO eventrisk_supervisor';
    ELSIF t = ANY (append_only) THEN
      EXECUTE format('GRANT SELECT ON eventrisk.%I TO eventrisk_desk', t);
      EXECUTE format('GRANT INSERT ON eventrisk.%I TO eventrisk_officer', t);
    ELSIF t = ANY (read_only) THEN
      EXECUTE format('GRANT SELECT ON eventrisk.%I TO eventrisk_desk', t);
    ELSIF t = ANY (admin_only) THEN
      EXECUTE format('GRANT SELECT ON eventrisk.%I TO eventrisk_desk', t);
      EXECUTE format('GRANT INSERT, UPDATE, DELETE ON eventrisk.%I TO eventrisk_admin', t);
    ELSE
      EXECUTE format('GRANT SELECT ON eventrisk.%I TO eventrisk_desk', t);
      EXECUTE format('GRANT INSERT, UPDATE ON eventrisk.%I TO eventrisk_officer', t);
      EXECUTE format('GRANT DELETE ON eventrisk.%I TO %s', t,
                     CASE WHEN t = ANY (removable) THEN 'eventrisk_officer'
                          ELSE 'eventrisk_admin' END);
    END IF;
  END LOOP;
  -- New rows' ids.
  EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA eventrisk FROM PUBLIC, ' || people;
  EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA eventrisk TO eventrisk_officer';
  -- Functions: SQLite's and the triggers' for every workstation; those that change the
  -- record's text or open a retention run for administrators only (and each checks again).
  EXECUTE 'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA eventrisk FROM PUBLIC, ' || people;
  EXECUTE 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA eventrisk TO eventrisk_desk';
  FOR t IN SELECT p.oid::regprocedure::text FROM pg_proc p
           WHERE p.pronamespace = 'eventrisk'::regnamespace
             AND p.proname IN ('anonymise_audit_entry', 'anonymise_review_comment',
                               'begin_retention_run') LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM eventrisk_desk', t);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO eventrisk_admin', t);
  END LOOP;
END $$;
