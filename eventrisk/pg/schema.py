"""The desk's schema on PostgreSQL: the same numbered migrations as ``eventrisk.migrations``,
each making on the server what its namesake makes in a file.

A PostgreSQL desk starts empty (or is filled by ``eventrisk migrate`` from a file already at
the newest migration), so these create; they never need to convert old rows.  Append only,
as on the SQLite side, and always in step with it: ``test_pg_server`` checks that both
backends end with the same tables and columns.

Where SQLite has a function the core's SQL calls and PostgreSQL has not (``julianday``,
``strftime`` with month arithmetic, two-argument ``min``/``max``, ``group_concat``,
``total``, ``instr``, ``json_each`` of a text), m001 defines it in the desk's schema with
SQLite's exact results, so that each statement is written once for both.
"""

from __future__ import annotations

from collections.abc import Callable

from eventrisk.migrations import LINKED_INCIDENT_TIMES, VENUE_INCIDENTS_IN_ORDER
from eventrisk.pg.connection import SCHEMA

# SQLite's functions, as PostgreSQL functions in the desk's schema.  Times are stored as
# 'YYYY-MM-DDTHH:MM:SSZ' text; month arithmetic normalises as SQLite's does (31 March less
# one month is 3 March, not 28 February), so history windows fall on the same instants.
_COMPAT = r"""
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2',
                                       deterministic = false);

CREATE FUNCTION julianday(t text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN
  extract(epoch FROM to_timestamp(t, 'YYYY-MM-DD"T"HH24:MI:SS') AT TIME ZONE 'UTC')
  / 86400.0 + 2440587.5;

CREATE FUNCTION strftime(fmt text, t text, modifier text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  ts timestamp;
  n integer;
  unit text;
  y integer; m integer; d integer;
BEGIN
  IF t IS NULL THEN RETURN NULL; END IF;
  IF fmt <> '%Y-%m-%dT%H:%M:%SZ' THEN
    RAISE EXCEPTION 'strftime: only the stored form is supported, not %', fmt;
  END IF;
  IF t = 'now' THEN
    ts := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
  ELSE
    ts := to_timestamp(t, 'YYYY-MM-DD"T"HH24:MI:SS') AT TIME ZONE 'UTC';
  END IF;
  IF modifier IS NOT NULL THEN
    n := split_part(trim(modifier), ' ', 1)::integer;
    unit := rtrim(split_part(trim(modifier), ' ', 2), 's');
    IF unit = 'month' OR unit = 'year' THEN
      IF unit = 'year' THEN n := n * 12; END IF;
      y := extract(year FROM ts); m := extract(month FROM ts); d := extract(day FROM ts);
      m := y * 12 + (m - 1) + n;
      ts := make_timestamp(m / 12, m % 12 + 1, 1, extract(hour FROM ts)::int,
                           extract(minute FROM ts)::int, extract(second FROM ts))
            + make_interval(days => d - 1);
    ELSIF unit IN ('day', 'hour', 'minute', 'second') THEN
      ts := ts + (n || ' ' || unit)::interval;
    ELSE
      RAISE EXCEPTION 'strftime: unsupported modifier %', modifier;
    END IF;
  END IF;
  RETURN to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
END $$;

CREATE FUNCTION min(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a <= b THEN a ELSE b END;
CREATE FUNCTION max(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a >= b THEN a ELSE b END;
CREATE FUNCTION min(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a <= b THEN a ELSE b END;
CREATE FUNCTION max(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a >= b THEN a ELSE b END;
CREATE FUNCTION round(x double precision, places integer) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN round(x::numeric, places)::double precision;
CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN strpos(haystack, needle);

CREATE FUNCTION _group_concat_step(acc text, value text, sep text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN value IS NULL THEN acc WHEN acc IS NULL THEN value
              ELSE acc || sep || value END;
CREATE AGGREGATE group_concat(text, text) (SFUNC = _group_concat_step, STYPE = text);
CREATE FUNCTION _group_concat_comma(acc text, value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN _group_concat_step(acc, value, ',');
CREATE AGGREGATE group_concat(text) (SFUNC = _group_concat_comma, STYPE = text);
CREATE FUNCTION _total_step(acc double precision, value double precision)
  RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN acc + coalesce(value, 0);
CREATE AGGREGATE total(double precision) (SFUNC = _total_step, STYPE = double precision,
                                          INITCOND = '0');

-- printf() as the core calls it: one integer into a %d or %0Nd.
CREATE FUNCTION printf(fmt text, n bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  spec text[] := regexp_match(fmt, '%(0?)(\d*)d');
  digits text := n::text;
BEGIN
  IF spec IS NULL THEN RETURN fmt; END IF;
  IF spec[2] <> '' THEN
    digits := lpad(digits, spec[2]::integer, CASE WHEN spec[1] = '0' THEN '0' ELSE ' ' END);
  END IF;
  RETURN regexp_replace(fmt, '%0?\d*d', digits);
END $$;

-- sum() of conditions, which SQLite holds as 0 and 1 (NULL when there are no rows).
CREATE FUNCTION _sum_true(acc bigint, value boolean) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN value IS NULL THEN acc ELSE coalesce(acc, 0) + value::integer END;
CREATE AGGREGATE sum(boolean) (SFUNC = _sum_true, STYPE = bigint);

-- The elements of a JSON array as text (key: the position), as SQLite's json_each gives
-- them for an array; a caller wanting numbers casts value, as it must in SQLite for text.
CREATE FUNCTION json_each(doc text) RETURNS TABLE (key integer, value text)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (e.n - 1)::integer, CASE jsonb_typeof(e.v) WHEN 'string' THEN e.v #>> '{}'
                             WHEN 'null' THEN NULL ELSE e.v::text END
  FROM jsonb_array_elements(doc::jsonb) WITH ORDINALITY AS e(v, n) $$;
CREATE FUNCTION json_extract(doc text, path text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN path ~ '^\$\[\d+\]$'
              THEN doc::jsonb ->> substring(path FROM '\d+')::integer
              WHEN path ~ '^\$\.\w+$' THEN doc::jsonb ->> substring(path FROM 3)
         END;

-- Immutable records: a workstation's role has no UPDATE or DELETE on these at all (see
-- docs/postgresql-grants.sql); these triggers hold the owner to the same rule.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""

_M001 = """
CREATE TABLE users (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  username text NOT NULL, display_name text NOT NULL, role text NOT NULL,
  password_hash text NOT NULL, active bigint DEFAULT 1, created_at text);
CREATE UNIQUE INDEX idx_users_username ON users (username);

CREATE TABLE venues (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  code text NOT NULL, name text NOT NULL, address text, postcode text, borough text NOT NULL,
  capacity bigint NOT NULL, licence_number text, latest_finish text,
  has_cctv bigint DEFAULT 0, has_search_arch bigint DEFAULT 0, has_id_scanner bigint DEFAULT 0,
  version bigint NOT NULL DEFAULT 1, updated_at text, updated_by text);
CREATE UNIQUE INDEX idx_venues_code ON venues (code);
CREATE INDEX idx_venues_borough ON venues (borough);
CREATE INDEX idx_venues_name ON venues (name);

CREATE TABLE promoters (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name text NOT NULL, company text, phone text, email text,
  version bigint NOT NULL DEFAULT 1, updated_at text, updated_by text);
CREATE UNIQUE INDEX idx_promoters_name ON promoters (name COLLATE nocase);

CREATE TABLE submissions (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  reference text NOT NULL, event_name text NOT NULL,
  venue_id bigint NOT NULL REFERENCES venues (id),
  promoter_id bigint NOT NULL REFERENCES promoters (id),
  event_type text, starts_at text NOT NULL, ends_at text NOT NULL, night text NOT NULL,
  expected_attendance bigint, ticketing text, min_age bigint, alcohol bigint,
  door_supervisors bigint, search_regime text, cctv bigint, id_scanning bigint,
  dispersal_plan bigint, medical_cover bigint, performers text DEFAULT '[]',
  received_at text, notes text, status text NOT NULL DEFAULT 'received',
  conditions text DEFAULT '[]', assigned_to bigint REFERENCES users (id),
  assessment_id bigint, score bigint, grade text, grade_rank bigint DEFAULT -1,
  override_grade text, version bigint NOT NULL DEFAULT 1, created_at text, updated_at text,
  updated_by text);
CREATE UNIQUE INDEX idx_submissions_reference ON submissions (reference);
CREATE INDEX idx_submissions_venue_id ON submissions (venue_id);
CREATE INDEX idx_submissions_promoter_id ON submissions (promoter_id);
CREATE INDEX idx_submissions_assigned_to ON submissions (assigned_to);
CREATE INDEX idx_submissions_assessment_id ON submissions (assessment_id);
CREATE INDEX idx_submissions_status ON submissions (status);
CREATE INDEX idx_submissions_starts_at ON submissions (starts_at);
CREATE INDEX idx_submissions_received_at ON submissions (received_at);
CREATE INDEX idx_submissions_night_venue_id ON submissions (night, venue_id);
CREATE INDEX idx_submissions_grade_rank_starts_at ON submissions (grade_rank, starts_at);
CREATE INDEX idx_submissions_status_starts_at ON submissions (status, starts_at);

CREATE TABLE incidents (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  reference text NOT NULL, venue_id bigint NOT NULL REFERENCES venues (id),
  occurred_at text NOT NULL, category text NOT NULL, severity bigint NOT NULL,
  location text NOT NULL, submission_id bigint REFERENCES submissions (id),
  crime_reference text, description text, venue_reported bigint, created_at text,
  created_by text, version bigint NOT NULL DEFAULT 1, updated_at text, updated_by text);
CREATE UNIQUE INDEX idx_incidents_reference ON incidents (reference);
CREATE INDEX idx_incidents_venue_time ON incidents
  (venue_id, occurred_at, category, severity, location, reference);
CREATE INDEX idx_incidents_submission_id ON incidents (submission_id);
CREATE INDEX idx_incidents_occurred_at ON incidents (occurred_at);

CREATE TABLE rulesets (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  version text NOT NULL, sha256 text NOT NULL, source text NOT NULL, published_at text,
  published_by text, active bigint);
CREATE UNIQUE INDEX idx_rulesets_version ON rulesets (version);
CREATE INDEX idx_rulesets_active ON rulesets (active);

CREATE TABLE assessments (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  submission_id bigint NOT NULL REFERENCES submissions (id),
  created_at text NOT NULL, created_by text, as_of text, ruleset_version text NOT NULL,
  ruleset_sha256 text, inputs text, features text, fired text, score bigint NOT NULL,
  grade text NOT NULL, confidence double precision, digest text);
CREATE INDEX idx_assessments_submission_id ON assessments (submission_id);

CREATE TABLE reviews (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  submission_id bigint NOT NULL REFERENCES submissions (id),
  assessment_id bigint REFERENCES assessments (id),
  reviewer_id bigint NOT NULL REFERENCES users (id),
  decision text NOT NULL, comment text, grade_before text, grade_after text,
  created_at text NOT NULL);
CREATE INDEX idx_reviews_submission_id ON reviews (submission_id);
CREATE INDEX idx_reviews_assessment_id ON reviews (assessment_id);
CREATE INDEX idx_reviews_reviewer_id ON reviews (reviewer_id);

CREATE TABLE debriefs (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  submission_id bigint NOT NULL REFERENCES submissions (id),
  went_ahead bigint NOT NULL, actual_attendance bigint, incidents_noted bigint NOT NULL,
  notes text, recorded_at text, recorded_by text);
CREATE UNIQUE INDEX idx_debriefs_submission_id ON debriefs (submission_id);

CREATE TABLE issued_documents (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  submission_id bigint NOT NULL REFERENCES submissions (id),
  assessment_id bigint REFERENCES assessments (id),
  sha256 text NOT NULL, issued_at text NOT NULL, issued_by text);
CREATE INDEX idx_issued_documents_submission_id ON issued_documents (submission_id);
CREATE INDEX idx_issued_documents_assessment_id ON issued_documents (assessment_id);

CREATE TABLE audit_log (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at text NOT NULL, actor text NOT NULL, action text NOT NULL, entity text, entity_id text,
  detail text, reason text, prev_hash text NOT NULL, hash text NOT NULL,
  written_by text NOT NULL DEFAULT session_user);
CREATE INDEX idx_audit_log_entity_entity_id ON audit_log (entity, entity_id);
-- Which database login appended each entry, as the server knows it: outside the hash (a
-- file has no such thing), and not for the writer to choose.
CREATE FUNCTION audit_log_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.written_by := session_user;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_writer BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_writer();

CREATE TRIGGER assessments_immutable BEFORE UPDATE OR DELETE ON assessments
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reviews_immutable BEFORE UPDATE OR DELETE ON reviews
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER issued_documents_immutable BEFORE UPDATE OR DELETE ON issued_documents
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Full-text search: words as SQLite's unicode61 tokenizer splits them (runs of letters and
-- digits, any case), each searchable by its start.
CREATE FUNCTION words(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN to_tsvector('simple', regexp_replace(lower(coalesce(t, '')), '[^[:alnum:]]+', ' ',
                                              'g'));
CREATE INDEX idx_venues_words ON venues USING gin (words(name || ' ' || code || ' ' ||
                                                         coalesce(address, '')));
CREATE INDEX idx_submissions_words ON submissions USING gin (words(event_name || ' ' ||
                                                                   reference));
"""

_M002 = """
ALTER TABLE submissions ADD COLUMN captured_by text, ADD COLUMN edited_by text;
ALTER TABLE users ADD COLUMN must_change_password bigint NOT NULL DEFAULT 0,
                  ADD COLUMN locked bigint NOT NULL DEFAULT 0;
CREATE TABLE sign_in_failures (name text PRIMARY KEY, failures bigint NOT NULL DEFAULT 0,
                               last_failed_at text);
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
"""

_M004 = """
CREATE TABLE workstations (id text PRIMARY KEY, host text NOT NULL, pid bigint,
                           username text, seen_at text NOT NULL);
"""

_M005 = """
CREATE INDEX idx_submissions_ends_at ON submissions (ends_at);
CREATE INDEX idx_venues_code_nocase ON venues (code COLLATE nocase);
ALTER TABLE assessments ADD COLUMN basis text;
"""

_M006 = """
ALTER TABLE venues ADD COLUMN history_rev bigint NOT NULL DEFAULT 0;
ALTER TABLE promoters ADD COLUMN history_rev bigint NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN score_source text;

CREATE FUNCTION bump_venue(v bigint) RETURNS void LANGUAGE sql AS
  $$ UPDATE venues SET history_rev = history_rev + 1 WHERE id = v $$;
CREATE FUNCTION bump_promoter(p bigint) RETURNS void LANGUAGE sql AS
  $$ UPDATE promoters SET history_rev = history_rev + 1 WHERE id = p $$;

CREATE FUNCTION incidents_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM bump_venue(OLD.venue_id);
    PERFORM bump_promoter((SELECT promoter_id FROM submissions WHERE id = OLD.submission_id));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM bump_venue(NEW.venue_id);
    PERFORM bump_promoter((SELECT promoter_id FROM submissions WHERE id = NEW.submission_id));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER incidents_rev AFTER INSERT OR UPDATE OR DELETE ON incidents
  FOR EACH ROW EXECUTE FUNCTION incidents_rev();

CREATE FUNCTION debriefs_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM bump_venue((SELECT venue_id FROM submissions WHERE id = OLD.submission_id));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM bump_venue((SELECT venue_id FROM submissions WHERE id = NEW.submission_id));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER debriefs_rev AFTER INSERT OR UPDATE OR DELETE ON debriefs
  FOR EACH ROW EXECUTE FUNCTION debriefs_rev();

-- Debriefs are placed in time by their event's start, and linked incidents count for the
-- event's promoter: moving either moves those histories.
CREATE FUNCTION submissions_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bump_venue(OLD.venue_id);
  PERFORM bump_promoter(OLD.promoter_id);
  IF TG_OP = 'UPDATE' THEN
    PERFORM bump_venue(NEW.venue_id);
    PERFORM bump_promoter(NEW.promoter_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER submissions_rev_update AFTER UPDATE OF venue_id, promoter_id, starts_at
  ON submissions FOR EACH ROW EXECUTE FUNCTION submissions_rev();
CREATE TRIGGER submissions_rev_delete AFTER DELETE ON submissions
  FOR EACH ROW EXECUTE FUNCTION submissions_rev();
"""

_M007 = "CREATE INDEX idx_submissions_venue_starts ON submissions (venue_id, starts_at);"

_M008 = """
ALTER TABLE venues ADD COLUMN night_contact text;
ALTER TABLE submissions ADD COLUMN night_contact text;
"""

# The queue's sort keys, kept on each submission by a BEFORE trigger (PostgreSQL sets them on
# the row being written, where SQLite's AFTER trigger updates it again), with the same
# indexes; the action ranks are written as eventrisk.queue writes them.
_M009 = """
CREATE INDEX idx_queue_action_desk ON submissions ((CASE status WHEN 'in_review' THEN 0
  WHEN 'returned' THEN 1 WHEN 'received' THEN 1 WHEN 'assessed' THEN 1 ELSE 2 END),
  (-grade_rank), starts_at);
CREATE INDEX idx_queue_action_officer ON submissions ((CASE status WHEN 'returned' THEN 0
  WHEN 'received' THEN 0 WHEN 'assessed' THEN 0 WHEN 'in_review' THEN 1 ELSE 2 END),
  (-grade_rank), starts_at);
CREATE INDEX idx_queue_event ON submissions (event_name, starts_at);
CREATE INDEX idx_queue_score ON submissions (coalesce(score, -1), starts_at);
CREATE INDEX idx_queue_notice ON submissions ((julianday(starts_at) - julianday(received_at)),
                                              starts_at);
ALTER TABLE submissions ADD COLUMN sort_venue text NOT NULL DEFAULT '',
                        ADD COLUMN sort_borough text NOT NULL DEFAULT '',
                        ADD COLUMN sort_officer text NOT NULL DEFAULT '';

CREATE FUNCTION submissions_sort_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.venue_id IS DISTINCT FROM OLD.venue_id THEN
    SELECT coalesce(v.name, ''), coalesce(v.borough, '') INTO NEW.sort_venue, NEW.sort_borough
      FROM (SELECT 1) one LEFT JOIN venues v ON v.id = NEW.venue_id;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.assigned_to IS DISTINCT FROM OLD.assigned_to THEN
    NEW.sort_officer := coalesce((SELECT display_name FROM users WHERE id = NEW.assigned_to),
                                 '');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER submissions_sort_keys BEFORE INSERT OR UPDATE OF venue_id, assigned_to
  ON submissions FOR EACH ROW EXECUTE FUNCTION submissions_sort_keys();

CREATE FUNCTION venues_sort_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE submissions SET sort_venue = NEW.name, sort_borough = NEW.borough
   WHERE venue_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER venues_sort_names AFTER UPDATE OF name, borough ON venues
  FOR EACH ROW EXECUTE FUNCTION venues_sort_names();

CREATE FUNCTION users_sort_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE submissions SET sort_officer = NEW.display_name WHERE assigned_to = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER users_sort_names AFTER UPDATE OF display_name ON users
  FOR EACH ROW EXECUTE FUNCTION users_sort_names();

CREATE INDEX idx_queue_sort_venue ON submissions (sort_venue, starts_at);
CREATE INDEX idx_queue_sort_borough ON submissions (sort_borough, starts_at);
CREATE INDEX idx_queue_sort_officer ON submissions (sort_officer, starts_at);
"""

_M011 = """
ALTER TABLE promoters ADD COLUMN anonymised_at text;
ALTER TABLE submissions ADD COLUMN anonymised_at text;
ALTER TABLE incidents ADD COLUMN anonymised_at text;
ALTER TABLE audit_log ADD COLUMN redacted_in bigint;
CREATE TABLE retention_holds (
  kind text, record_id bigint, until text NOT NULL, reason text NOT NULL,
  decided_by text NOT NULL, decided_at text NOT NULL, PRIMARY KEY (kind, record_id));

-- The one change the trail allows: a retention run replaces an entry's detail and reason,
-- marking it with that run's later entry; nothing else, hashes included, can change.
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.redacted_in IS NULL AND NEW.redacted_in > OLD.id
     AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor
     AND NEW.action = OLD.action AND NEW.entity IS NOT DISTINCT FROM OLD.entity
     AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id AND NEW.prev_hash = OLD.prev_hash
     AND NEW.hash = OLD.hash AND NEW.written_by = OLD.written_by
     AND (SELECT action FROM audit_log WHERE id = NEW.redacted_in)
         IN ('retention.apply', 'retention.dispose', 'promoter.erase') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log rows are immutable'
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
DROP TRIGGER audit_log_immutable ON audit_log;
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

CREATE FUNCTION reviews_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.comment = '[anonymised]' AND NEW.id = OLD.id
     AND NEW.submission_id = OLD.submission_id
     AND NEW.assessment_id IS NOT DISTINCT FROM OLD.assessment_id
     AND NEW.reviewer_id = OLD.reviewer_id AND NEW.decision = OLD.decision
     AND NEW.grade_before IS NOT DISTINCT FROM OLD.grade_before
     AND NEW.grade_after IS NOT DISTINCT FROM OLD.grade_after
     AND NEW.created_at = OLD.created_at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'reviews rows are immutable'
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
DROP TRIGGER reviews_immutable ON reviews;
CREATE TRIGGER reviews_immutable BEFORE UPDATE OR DELETE ON reviews
  FOR EACH ROW EXECUTE FUNCTION reviews_guard();

-- A workstation has no UPDATE on the trail or the reviews: these two functions, run with
-- the owner's rights, are the only way it can anonymise them, and the triggers above still
-- decide what they may change.
CREATE FUNCTION anonymise_audit_entry(entry bigint, new_detail text, new_reason text,
                                      run bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = eventrisk, pg_temp AS $$
  UPDATE audit_log SET detail = new_detail, reason = new_reason, redacted_in = run
   WHERE id = entry
$$;
CREATE FUNCTION anonymise_review_comment(review bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = eventrisk, pg_temp AS $$
  UPDATE reviews SET comment = '[anonymised]' WHERE id = review
     AND EXISTS (SELECT 1 FROM submissions s WHERE s.id = reviews.submission_id
                 AND s.anonymised_at IS NOT NULL)  -- only a run's, whose event it anonymised
$$;
"""

_M012 = """
CREATE TABLE drafts (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  username text NOT NULL, title text, fields text NOT NULL, created_at text NOT NULL,
  updated_at text NOT NULL);
CREATE INDEX idx_drafts_username_updated_at ON drafts (username, updated_at);
"""


_M022 = """
CREATE TABLE submission_forms (
  submission_id bigint PRIMARY KEY REFERENCES submissions (id), sha256 text NOT NULL,
  pdf bytea NOT NULL, received_at text NOT NULL, received_by text NOT NULL);
CREATE INDEX idx_submission_forms_sha256 ON submission_forms (sha256);
"""

# m023: the desk order counts an unscored event (grade_rank -1) as CRITICAL; the two desk-order
# indexes again, written as eventrisk.queue writes them.
_M023 = """
DROP INDEX IF EXISTS idx_queue_action_desk;
DROP INDEX IF EXISTS idx_queue_action_officer;
CREATE INDEX idx_queue_action_desk ON submissions ((CASE status WHEN 'in_review' THEN 0
  WHEN 'returned' THEN 1 WHEN 'received' THEN 1 WHEN 'assessed' THEN 1 ELSE 2 END),
  (CASE WHEN grade_rank >= 0 THEN -grade_rank ELSE -3 END), starts_at);
CREATE INDEX idx_queue_action_officer ON submissions ((CASE status WHEN 'returned' THEN 0
  WHEN 'received' THEN 0 WHEN 'assessed' THEN 0 WHEN 'in_review' THEN 1 ELSE 2 END),
  (CASE WHEN grade_rank >= 0 THEN -grade_rank ELSE -3 END), starts_at);
"""


def _m010(db) -> None:
    from eventrisk import snapshots

    db.executescript("""
        CREATE TABLE snapshot_dictionaries (version bigint PRIMARY KEY, data bytea);
        ALTER TABLE assessments ADD COLUMN packed bytea;""")
    db.execute("INSERT INTO snapshot_dictionaries (version, data) VALUES (1, ?)",
               [snapshots.dictionary_v1()])


def _m014(db) -> None:
    from eventrisk import snapshots

    db.execute("INSERT INTO snapshot_dictionaries (version, data) VALUES (2, ?)",
               [snapshots.dictionary_v2()])


# m006's triggers bumped a venue's (or promoter's) history revision once for every row
# changed.  On the server each bump writes a new version of that venue's row, and within one
# transaction the versions pile up on it: an import of 5,000 incidents at 40 venues spent
# 0.4 ms a row, four fifths of it here.  A revision only has to move between what one
# transaction and the next can see, so it now moves once a transaction: a row version this
# transaction wrote itself (its ``xmin`` is this transaction's id) has been bumped already.
# A bump inside a savepoint carries the savepoint's own id, so the transaction may bump again
# (more moves, never fewer); a savepoint rolled back takes its version with it.  (Marks in
# transaction-local settings were quicker for a few venues, but PostgreSQL 15 sorts all its
# settings again for each new name: 16,000 venues in one transaction took 208 s.)  Only a row
# left untouched for four billion transactions could carry an old id equal to the current
# one.  An incident not linked to an event no longer looks for a promoter (STRICT: a
# function given NULL returns NULL without running).
_BUMP = """
CREATE OR REPLACE FUNCTION bump_{kind}({k} bigint) RETURNS void LANGUAGE plpgsql STRICT AS $$
BEGIN
  UPDATE {table} SET history_rev = history_rev + 1
  WHERE id = {k} AND xmin <> pg_current_xact_id()::xid;
END $$;"""
_M015 = _BUMP.format(kind="venue", table="venues", k="v") + _BUMP.format(
    kind="promoter", table="promoters", k="p") + """
CREATE FUNCTION promoter_of(submission bigint) RETURNS bigint LANGUAGE plpgsql STABLE STRICT
  AS $$ BEGIN RETURN (SELECT promoter_id FROM submissions WHERE id = submission); END $$;
CREATE OR REPLACE FUNCTION incidents_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM bump_venue(OLD.venue_id), bump_promoter(promoter_of(OLD.submission_id));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM bump_venue(NEW.venue_id), bump_promoter(promoter_of(NEW.submission_id));
  END IF;
  RETURN NULL;
END $$;
"""

# The desk's id (eventrisk.migrations.m018_desk_id): a server desk starts empty, so it is
# always a new one; what a workstation is doing at length.
_M018 = """
CREATE TABLE desk_identity (id text PRIMARY KEY, created_at text NOT NULL);
INSERT INTO desk_identity (id, created_at)
  VALUES (gen_random_uuid()::text, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));
CREATE FUNCTION desk_identity_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a desk has one id, and it never changes';
END $$;
CREATE TRIGGER desk_identity_immutable BEFORE INSERT OR UPDATE OR DELETE ON desk_identity
  FOR EACH ROW EXECUTE FUNCTION desk_identity_guard();
ALTER TABLE workstations ADD COLUMN doing text;
"""


# m020: on a server desk the person is the login.  Who acts is ``session_user`` and what they
# may do is their membership of eventrisk_officer, eventrisk_supervisor or eventrisk_admin
# (docs/postgresql-grants.sql), never a row the workstation can write.  These functions and
# triggers hold every login that has a desk role to that: they stamp who captured, edited and
# reviewed, refuse an audit entry whose actor is not its login, refuse decisions by officers
# and approvals by anyone who captured the event or changed a scoring input since it was last
# approved, and let records be anonymised only inside a retention run the server itself
# records, opened by an administrator's login.  A login without a desk role that is not the
# server's superuser or the schema's owner (the old shared eventrisk_desk login) may only read.
# The superuser and the owner can drop any trigger, so nothing here pretends to hold them:
# they pass, and `audit verify` reports what they weakened (eventrisk.pg.audit).  Every
# function that reads a table names its schema's search path, so a temporary table of the
# same name cannot stand in for a desk table.
_SCORING_COLUMNS = ("venue_id", "promoter_id", "event_type", "starts_at", "ends_at",
                    "expected_attendance", "ticketing", "min_age", "alcohol",
                    "door_supervisors", "search_regime", "cctv", "id_scanning",
                    "dispersal_plan", "medical_cover", "received_at")
_PERSONAL_KEYS = ("comment", "company", "conditions", "crime_reference", "description",
                  "email", "event_name", "name", "night_contact", "notes", "performers",
                  "phone", "promoter_company", "promoter_email", "promoter_name",
                  "promoter_phone")  # eventrisk.anonymise.PERSONAL (a test keeps them equal)
# The workflow's moves, "from>to" (eventrisk.workflow.TRANSITIONS; a test keeps them equal):
# a login moves a submission's status only along one of them.
_MOVES = ("approved>assessed", "approved>cancelled", "approved>debriefed", "approved>issued",
          "assessed>cancelled", "assessed>debriefed", "assessed>in_review",
          "in_review>approved", "in_review>assessed", "in_review>cancelled",
          "in_review>debriefed", "in_review>returned", "issued>assessed", "issued>cancelled",
          "issued>debriefed", "received>assessed", "received>cancelled", "received>debriefed",
          "returned>assessed", "returned>cancelled", "returned>debriefed", "returned>in_review")
_SAFE = "SET search_path = eventrisk, pg_temp"
_M020 = f"""
ALTER TABLE submissions ADD COLUMN scoring_editors text NOT NULL DEFAULT '[]';
ALTER TABLE users ALTER COLUMN password_hash SET DEFAULT '';

-- The desk role of a login: 'admin', 'supervisor', 'officer', or NULL (no desk role, or the
-- server's superuser, who is a member of every role but is no person of the desk).
CREATE FUNCTION desk_role_of(login text) RETURNS text LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r oid;
  su boolean;
  name text;
BEGIN
  SELECT oid, rolsuper INTO r, su FROM pg_roles WHERE rolname = login;
  IF r IS NULL OR su THEN RETURN NULL; END IF;
  FOREACH name IN ARRAY ARRAY['admin', 'supervisor', 'officer'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eventrisk_' || name)
       AND pg_has_role(r, 'eventrisk_' || name, 'MEMBER') THEN
      RETURN name;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
CREATE FUNCTION desk_role() RETURNS text LANGUAGE sql STABLE
  RETURN eventrisk.desk_role_of(session_user::text);
-- Whether this session's login is a workstation's (in eventrisk_desk), with or without a role:
-- never the server's superuser (a member of every role), even while it acts as the owner
-- (SET ROLE, as 'eventrisk init' does).
CREATE FUNCTION at_workstation() RETURNS boolean LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r oid;
  su boolean;
BEGIN
  SELECT oid, rolsuper INTO r, su FROM pg_roles WHERE rolname = session_user;
  IF r IS NULL OR su OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eventrisk_desk')
  THEN
    RETURN false;
  END IF;
  RETURN pg_has_role(r, 'eventrisk_desk', 'MEMBER');
END $$;

-- A person's display name, made on first sign-in from the login itself.
CREATE FUNCTION enrol(shown_as text) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER {_SAFE}
AS $$
DECLARE
  role text := desk_role();
  found bigint;
BEGIN
  IF role IS NULL THEN
    RAISE EXCEPTION 'the login % has no desk role on this server', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT id INTO found FROM users WHERE username = session_user::text;
  IF found IS NULL THEN
    INSERT INTO users (username, display_name, role, password_hash, active, created_at)
    VALUES (session_user::text, coalesce(nullif(trim(shown_as), ''), session_user::text), role,
            '', 1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    RETURNING id INTO found;
  ELSE
    UPDATE users SET role = desk_role() WHERE id = found AND users.role <> desk_role();
  END IF;
  RETURN found;
END $$;

CREATE TABLE retention_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, txid xid8 NOT NULL, login text NOT NULL,
  login_role text NOT NULL, stamp text NOT NULL, entry bigint,
  started_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX idx_retention_runs_txid ON retention_runs (txid);
CREATE TABLE retention_run_members (
  run bigint NOT NULL REFERENCES retention_runs (id), entity text NOT NULL,
  entity_id text NOT NULL, PRIMARY KEY (run, entity, entity_id));
-- The trail's head when the desk's people became its logins: entries after it written by a
-- workstation's login must name that login (audit verify).
CREATE TABLE identity_since (entry bigint NOT NULL, at text NOT NULL);
INSERT INTO identity_since SELECT coalesce(max(id), 0),
  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM audit_log;

-- The retention run of this transaction, opened by begin_retention_run.
CREATE FUNCTION current_run() RETURNS retention_runs LANGUAGE sql STABLE {_SAFE}
  RETURN (SELECT r FROM retention_runs r WHERE r.txid = pg_current_xact_id()
          ORDER BY r.id DESC LIMIT 1);

CREATE FUNCTION begin_retention_run(stamp text) RETURNS bigint LANGUAGE plpgsql
  SECURITY DEFINER {_SAFE} AS $$
DECLARE
  role text := desk_role();
  made bigint;
BEGIN
  IF at_workstation() AND role IS DISTINCT FROM 'admin' THEN
    RAISE EXCEPTION 'only an administrator''s login runs the retention schedule'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO retention_runs (txid, login, login_role, stamp)
  VALUES (pg_current_xact_id(), session_user::text, coalesce(role, '(owner)'), stamp)
  RETURNING id INTO made;
  RETURN made;
END $$;

-- Audit entries: the actor is the login; a retention run's entries are recorded.
CREATE FUNCTION audit_log_people() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {_SAFE}
AS $$
DECLARE
  role text := desk_role();
  run retention_runs := current_run();
BEGIN
  IF (role IS NOT NULL OR at_workstation())
     AND (role IS NULL OR NEW.actor IS DISTINCT FROM session_user::text) THEN
    RAISE EXCEPTION 'an audit entry''s actor must be the login that writes it (%), not %',
      session_user, NEW.actor USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A person's entry follows the head and carries the hash of its own content (the canonical
  -- JSON of eventrisk.audit, which to_json writes alike for text): no one can append an
  -- entry that breaks the chain for good.
  IF role IS NOT NULL AND (
       NEW.prev_hash IS DISTINCT FROM coalesce(
         (SELECT a.hash FROM audit_log a ORDER BY a.id DESC LIMIT 1), repeat('0', 64))
       OR NEW.hash IS DISTINCT FROM encode(sha256(convert_to('[' || concat_ws(',',
         coalesce(to_json(NEW.prev_hash)::text, 'null'), coalesce(to_json(NEW.at)::text, 'null'),
         coalesce(to_json(NEW.actor)::text, 'null'), coalesce(to_json(NEW.action)::text, 'null'),
         coalesce(to_json(NEW.entity)::text, 'null'),
         coalesce(to_json(NEW.entity_id)::text, 'null'),
         coalesce(to_json(NEW.detail)::text, 'null'),
         coalesce(to_json(NEW.reason)::text, 'null')) || ']', 'UTF8')), 'hex')) THEN
    RAISE EXCEPTION 'an audit entry must follow the newest entry and carry the hash of its '
      'own content' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.action IN ('retention.apply', 'retention.dispose', 'promoter.erase') THEN
    IF role IS NOT NULL AND (role <> 'admin' OR run.id IS NULL OR run.entry IS NOT NULL) THEN
      RAISE EXCEPTION 'a retention run''s entry is written only by the run an administrator''s '
        'login opened in this transaction' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF run.id IS NOT NULL AND run.entry IS NULL THEN
      UPDATE retention_runs SET entry = NEW.id WHERE id = run.id;
    END IF;
  ELSIF NEW.action LIKE '%.retention' THEN
    IF role IS NOT NULL AND (run.id IS NULL OR run.entry IS NOT NULL) THEN
      RAISE EXCEPTION 'records are disposed of only inside a retention run'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF run.id IS NOT NULL AND run.entry IS NULL THEN
      INSERT INTO retention_run_members VALUES (run.id, NEW.entity, NEW.entity_id)
        ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_people BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_people();

-- anonymised_at: set only by the retention run of this transaction, to its time; never
-- changed or cleared afterwards.
CREATE FUNCTION anonymised_at_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {_SAFE}
AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.anonymised_at IS NOT DISTINCT FROM OLD.anonymised_at THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.anonymised_at IS NOT NULL THEN
    RAISE EXCEPTION 'an anonymised record stays anonymised (%)', TG_TABLE_NAME
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF current_setting('is_superuser') = 'on' OR NOT at_workstation() THEN RETURN NEW; END IF;
  IF NEW.anonymised_at IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM retention_runs WHERE txid = pg_current_xact_id() AND entry IS NULL
        AND stamp = NEW.anonymised_at AND login_role = 'admin') THEN
    RAISE EXCEPTION 'only a retention run marks % anonymised', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER promoters_anonymised_at BEFORE INSERT OR UPDATE OF anonymised_at ON promoters
  FOR EACH ROW EXECUTE FUNCTION anonymised_at_guard();
CREATE TRIGGER submissions_anonymised_at BEFORE INSERT OR UPDATE OF anonymised_at
  ON submissions FOR EACH ROW EXECUTE FUNCTION anonymised_at_guard();
CREATE TRIGGER incidents_anonymised_at BEFORE INSERT OR UPDATE OF anonymised_at ON incidents
  FOR EACH ROW EXECUTE FUNCTION anonymised_at_guard();

-- The run of this transaction that an entry may be anonymised by: recorded, opened by an
-- administrator's login (or the owner), its entry written, and naming the entry's record.
CREATE FUNCTION run_covers(run bigint, kind text, record text) RETURNS boolean
  LANGUAGE sql STABLE {_SAFE}
  RETURN EXISTS (SELECT 1 FROM retention_runs r WHERE r.id = run
                 AND r.txid = pg_current_xact_id())
     AND (EXISTS (SELECT 1 FROM retention_run_members m WHERE m.run = run
                  AND m.entity = kind AND m.entity_id = record)
          OR (kind = 'submission' AND EXISTS (
                SELECT 1 FROM retention_run_members m JOIN submissions s
                  ON m.entity = 'promoter' AND m.entity_id = s.promoter_id::text
                WHERE m.run = run AND s.id::text = record)));

CREATE OR REPLACE FUNCTION anonymise_audit_entry(entry bigint, new_detail text,
                                                 new_reason text, run bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER {_SAFE} AS $$
DECLARE
  old audit_log;
  od jsonb;
  nd jsonb;
  k text;
  r retention_runs;
BEGIN
  SELECT * INTO r FROM retention_runs WHERE id = (SELECT x.id FROM retention_runs x
    WHERE x.entry = run AND x.txid = pg_current_xact_id());
  IF r.id IS NULL OR (at_workstation() AND r.login_role <> 'admin')
     OR r.login <> session_user::text THEN
    RAISE EXCEPTION 'audit entries are anonymised only by the retention run an '
      'administrator''s login records in this transaction'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO old FROM audit_log WHERE id = entry;
  IF old.id IS NULL OR NOT run_covers(r.id, old.entity, old.entity_id) THEN
    RAISE EXCEPTION 'entry % is not about a record this retention run disposed of', entry
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  od := coalesce(nullif(old.detail, ''), '{{}}')::jsonb;
  nd := coalesce(nullif(new_detail, ''), '{{}}')::jsonb;
  IF jsonb_typeof(od) <> 'object' OR jsonb_typeof(nd) <> 'object'
     OR (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(od) x)
        IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(nd) x) THEN
    RAISE EXCEPTION 'an anonymised entry keeps its keys' USING ERRCODE = 'check_violation';
  END IF;
  FOR k IN SELECT jsonb_object_keys(nd) LOOP
    IF nd -> k IS DISTINCT FROM od -> k AND (k <> ALL (ARRAY{list(_PERSONAL_KEYS)!r}::text[])
                                             OR nd -> k <> '"[anonymised]"'::jsonb) THEN
      RAISE EXCEPTION 'only personal keys become "[anonymised]" (not %)', k
        USING ERRCODE = 'check_violation';
    END IF;
  END LOOP;
  IF new_reason IS DISTINCT FROM coalesce(old.reason, '') AND new_reason <> '[anonymised]' THEN
    RAISE EXCEPTION 'a reason only becomes "[anonymised]"' USING ERRCODE = 'check_violation';
  END IF;
  UPDATE audit_log SET detail = new_detail, reason = new_reason, redacted_in = run
   WHERE id = entry;
END $$;

CREATE OR REPLACE FUNCTION anonymise_review_comment(review bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER {_SAFE} AS $$
DECLARE
  r retention_runs := current_run();
BEGIN
  IF r.id IS NULL OR r.entry IS NOT NULL OR r.login <> session_user::text
     OR (at_workstation() AND r.login_role <> 'admin') THEN
    RAISE EXCEPTION 'review comments are anonymised only inside a retention run an '
      'administrator''s login opened in this transaction'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE reviews SET comment = '[anonymised]' WHERE id = review
     AND EXISTS (SELECT 1 FROM submissions s WHERE s.id = reviews.submission_id
                 AND s.anonymised_at = r.stamp);  -- an event this run anonymised
END $$;

-- The JSON list of scoring editors, sorted, as the app writes it.
CREATE FUNCTION editors_with(editors text, login text) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN (SELECT coalesce('[' || string_agg(to_json(e)::text, ',' ORDER BY e) || ']', '[]')
          FROM (SELECT jsonb_array_elements_text(coalesce(editors, '[]')::jsonb) AS e
                UNION SELECT login WHERE login IS NOT NULL) AS x);

CREATE FUNCTION four_eyes_relaxed() RETURNS boolean LANGUAGE sql STABLE {_SAFE}
  RETURN coalesce((SELECT value = 'true' FROM settings WHERE key = 'four_eyes_relaxed'),
                  false);

-- Submissions: who captured, edited and changed a scoring input is the login; decisions
-- are a supervisor's, and never of an event they captured or changed a scoring input of
-- since it was last approved.
CREATE FUNCTION submissions_people() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {_SAFE}
AS $$
DECLARE
  role text;
  me text := session_user::text;
  editors text;
BEGIN
  IF current_setting('is_superuser') = 'on' THEN RETURN NEW; END IF;
  role := desk_role();
  IF role IS NULL THEN
    IF at_workstation() THEN
      RAISE EXCEPTION 'the login % has no desk role', me USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;  -- the owner
  END IF;
  IF TG_OP = 'INSERT' THEN
    NEW.captured_by := me;
    NEW.edited_by := me;
    NEW.updated_by := me;
    NEW.scoring_editors := '[]';
    IF role <> 'admin' AND (NEW.status <> 'received' OR NEW.override_grade IS NOT NULL) THEN
      RAISE EXCEPTION 'only an administrator imports an event with its workflow status'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status
     AND NOT (OLD.status || '>' || NEW.status) = ANY (ARRAY{list(_MOVES)!r}::text[]) THEN
    RAISE EXCEPTION 'a submission does not go from % to % (the workflow''s moves only)',
      OLD.status, NEW.status USING ERRCODE = 'insufficient_privilege';
  END IF;
  NEW.captured_by := OLD.captured_by;
  IF NEW.edited_by IS DISTINCT FROM OLD.edited_by THEN NEW.edited_by := me; END IF;
  IF NEW.updated_by IS DISTINCT FROM OLD.updated_by THEN NEW.updated_by := me; END IF;
  editors := OLD.scoring_editors;
  IF ({", ".join(f"NEW.{c}" for c in _SCORING_COLUMNS)})
     IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in _SCORING_COLUMNS)}) THEN
    editors := editors_with(editors, me);
  END IF;
  IF (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('approved', 'returned'))
     OR (NEW.override_grade IS DISTINCT FROM OLD.override_grade
         AND NEW.override_grade IS NOT NULL) THEN
    IF role NOT IN ('supervisor', 'admin') THEN
      RAISE EXCEPTION 'only a supervisor decides on an assessment (% is an officer)', me
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'approved' THEN
      IF NOT four_eyes_relaxed() AND (me = OLD.captured_by OR editors::jsonb ? me) THEN
        RAISE EXCEPTION 'four eyes: % captured % or changed a scoring input of it since it '
          'was last approved', me, OLD.reference USING ERRCODE = 'insufficient_privilege';
      END IF;
      editors := '[]';
    END IF;
  END IF;
  NEW.scoring_editors := editors;
  RETURN NEW;
END $$;
CREATE TRIGGER submissions_people BEFORE INSERT OR UPDATE ON submissions
  FOR EACH ROW EXECUTE FUNCTION submissions_people();

-- Reviews: the reviewer is the login; decisions are a supervisor's, never on their capture.
CREATE FUNCTION reviews_people() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER {_SAFE}
AS $$
DECLARE
  role text;
  me text := session_user::text;
BEGIN
  IF current_setting('is_superuser') = 'on' THEN RETURN NEW; END IF;
  role := desk_role();
  IF role IS NULL AND NOT at_workstation() THEN RETURN NEW; END IF;
  NEW.reviewer_id := (SELECT id FROM users WHERE username = me);
  IF role IS NULL OR NEW.reviewer_id IS NULL THEN
    RAISE EXCEPTION 'the login % has no desk role or has not signed in', me
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.decision IN ('approve', 'override', 'return') AND role NOT IN ('supervisor', 'admin')
  THEN
    RAISE EXCEPTION 'only a supervisor decides on an assessment'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.decision IN ('approve', 'override') AND NOT four_eyes_relaxed()
     AND me = (SELECT captured_by FROM submissions WHERE id = NEW.submission_id) THEN
    RAISE EXCEPTION 'four eyes: % captured this event', me
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reviews_people BEFORE INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION reviews_people();
"""

# Existing events: who changed a scoring input since the last approval, from the trail (as
# the file's m020 works it out).
_M020_EDITORS = """
UPDATE submissions s SET scoring_editors = x.editors FROM (
  SELECT a.entity_id, '[' || string_agg(DISTINCT to_json(a.actor)::text, ','
                                        ORDER BY to_json(a.actor)::text) || ']' AS editors
  FROM audit_log a
  WHERE a.entity = 'submission' AND a.action = 'submission.edit'
    AND jsonb_typeof(a.detail::jsonb -> 'scoring') = 'array'
    AND jsonb_array_length(a.detail::jsonb -> 'scoring') > 0
    AND a.id > coalesce((SELECT max(b.id) FROM audit_log b WHERE b.entity = 'submission'
                         AND b.entity_id = a.entity_id
                         AND b.action IN ('submission.approve', 'submission.override')), 0)
  GROUP BY a.entity_id) x
WHERE s.id::text = x.entity_id"""


def _m020(db) -> None:
    db.executescript(_M020)
    db.execute(_M020_EDITORS)


# Review comments under their own rule (issue 32): the workstations may not UPDATE reviews,
# and m011's function only reaches the comments of anonymised events.  This one reaches those
# of any event the retention run in progress disposed of, and the trigger still allows nothing
# but "[anonymised]".  Likewise the promoter's form, which the workstations may only add.
_M021 = """
-- May a retention run touch this event's comments or form?  Only inside the run this login
-- opened in this transaction (m020's record of runs, opened by an administrator's login),
-- once it has disposed of the event: its "submission.retention" entry, written first, makes
-- the event a member of the run.
CREATE FUNCTION retention_may_touch(submission bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = eventrisk, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM retention_runs r JOIN retention_run_members m ON m.run = r.id
                 WHERE r.txid = pg_current_xact_id() AND r.entry IS NULL
                   AND r.login = session_user::text AND m.entity = 'submission'
                   AND m.entity_id = submission::text)
$$;
CREATE FUNCTION anonymise_old_review_comment(review bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = eventrisk, pg_temp AS $$
  UPDATE reviews SET comment = '[anonymised]' WHERE id = review
     AND retention_may_touch(reviews.submission_id)
$$;
-- The promoter's own form goes with the notes it holds; the workstations may only add forms.
-- plpgsql: the table may come after this step (m022).
CREATE FUNCTION delete_old_submission_form(submission bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = eventrisk, pg_temp AS $$
BEGIN
  DELETE FROM submission_forms WHERE submission_id = submission
     AND retention_may_touch(submission);
END $$;
"""


def _script(sql: str) -> Callable:
    return lambda db: db.executescript(sql)


# The m003 baseline entries account for records made before the trail did; a new desk has
# none, so on the server m003 makes nothing (it is kept, numbered, to stay in step).
MIGRATIONS: list[tuple[str, Callable]] = [
    ("m001_initial", _script(_COMPAT + _M001)),
    ("m002_desk_service", _script(_M002)),
    ("m003_audit_baseline", lambda db: None),
    ("m004_workstations", _script(_M004)),
    ("m005_lookup_indexes", _script(_M005)),
    ("m006_history_revisions", _script(_M006)),
    ("m007_venue_start_index", _script(_M007)),
    ("m008_night_contacts", _script(_M008)),
    ("m009_queue_sort_indexes", _script(_M009)),
    ("m010_compact_snapshots", _m010),
    ("m011_retention", _script(_M011)),
    ("m012_drafts", _script(_M012)),
    ("m013_linked_incident_times", _script(LINKED_INCIDENT_TIMES + ";")),
    ("m014_snapshot_dictionary_2", _m014),
    ("m015_history_bumps_once", _script(_M015)),
    ("m016_venue_incidents_in_order",
     _script("DROP INDEX idx_incidents_venue_time; " + VENUE_INCIDENTS_IN_ORDER + ";")),
    # The file's guards on anonymising (redaction only by the newest run, comments only of
    # anonymised events, anonymised_at never cleared).  On the server the workstations cannot
    # write these rows at all, and the anonymising functions are guarded by the server's own
    # roles (issue 30, m020): nothing to add here, the number kept in step with the file.
    ("m017_anonymising_guarded", lambda db: None),
    ("m018_desk_id", _script(_M018)),
    ("m020_scoring_editors_and_logins", _m020),
    ("m021_review_comment_retention", _script(_M021)),
    ("m022_submission_forms", _script(_M022)),
    ("m023_unscored_first", _script(_M023)),
]

# Tables only a server desk has (its own records of who did what; a file has no logins).
SERVER_ONLY = frozenset({"eventrisk_migrations", "retention_runs", "retention_run_members",
                         "identity_since"})

_TRACKING = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.eventrisk_migrations (
  name text PRIMARY KEY, applied_at text NOT NULL)"""


def applied(db) -> list[str]:
    """The migrations this desk has, oldest first (none for an empty database)."""
    exists = db.execute("SELECT to_regclass(?)", [f"{SCHEMA}.eventrisk_migrations"]
                        ).fetchone()[0]
    if exists is None:
        return []
    return [r[0] for r in db.execute("SELECT name FROM eventrisk_migrations ORDER BY name")]


def missing(done: list[str]) -> list[str]:
    """This release's migrations that are not among ``done``, in order."""
    have = set(done)
    return [name for name, _ in MIGRATIONS if name not in have]


def pending(db) -> list[str]:
    return missing(applied(db))


def apply(db, now: str) -> list[str]:
    """Apply what is pending, all in one transaction (DDL is transactional on PostgreSQL: a
    failure leaves the desk as it was).  Returns the names applied."""
    todo = pending(db)
    if not todo:
        return []
    with db.atomic():
        db.executescript(_TRACKING)
        for name, step in MIGRATIONS:
            if name in todo:
                step(db)
                db.execute("INSERT INTO eventrisk_migrations (name, applied_at) VALUES (?, ?)",
                           [name, now])
    return todo
