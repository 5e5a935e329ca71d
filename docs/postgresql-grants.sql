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
-- Roles:
--   eventrisk_owner  owns the schema and everything in it.  Nobody works as it day to day:
--                    'eventrisk init' runs as a member of it (SET ROLE), to create and
--                    upgrade the schema.
--   eventrisk_desk   the workstations' group.  Each person's or each workstation's login
--                    role is made a member, e.g.
--                      CREATE ROLE desk_pc_07 LOGIN PASSWORD '…' IN ROLE eventrisk_desk;
--                    It has no DDL anywhere; it may read and write the working tables; it may
--                    only read and add to the audit trail, the assessment snapshots, the
--                    reviews and the record of issued documents, never change or remove
--                    them.  A retention run anonymises old trail entries and review comments
--                    only through two functions that run with the owner's rights, and the
--                    owner's own triggers still refuse anything else.

DO $$ BEGIN
  CREATE ROLE eventrisk_owner NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- made already
END $$;
DO $$ BEGIN
  CREATE ROLE eventrisk_desk NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

CREATE SCHEMA IF NOT EXISTS eventrisk AUTHORIZATION eventrisk_owner;
REVOKE ALL ON SCHEMA eventrisk FROM PUBLIC;
GRANT USAGE ON SCHEMA eventrisk TO eventrisk_desk;   -- USAGE, never CREATE: no DDL

DO $$
DECLARE
  -- Records that are written once and never changed: read and add only.
  append_only text[] := ARRAY['audit_log', 'assessments', 'reviews', 'issued_documents',
                               'submission_forms'];
  -- The schema's own bookkeeping: read only.
  read_only text[] := ARRAY['eventrisk_migrations', 'snapshot_dictionaries'];
  t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'eventrisk' LOOP
    EXECUTE format('REVOKE ALL ON eventrisk.%I FROM PUBLIC, eventrisk_desk', t);
    IF t = ANY (append_only) THEN
      EXECUTE format('GRANT SELECT, INSERT ON eventrisk.%I TO eventrisk_desk', t);
    ELSIF t = ANY (read_only) THEN
      EXECUTE format('GRANT SELECT ON eventrisk.%I TO eventrisk_desk', t);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON eventrisk.%I TO eventrisk_desk',
                     t);
    END IF;
  END LOOP;
  -- New rows' ids.
  EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA eventrisk TO eventrisk_desk';
  -- Functions: SQLite's, the triggers', and the two anonymising ones, for the desk only.
  EXECUTE 'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA eventrisk FROM PUBLIC';
  EXECUTE 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA eventrisk TO eventrisk_desk';
END $$;
