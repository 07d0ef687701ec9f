-- SafeTrace party store, schema version 1. Every value column that holds a
-- share, a result blob or a run input is sealed with AES-256-GCM under a day
-- key kept outside the database (party/store/keys.go).

CREATE TABLE meta (
	k text PRIMARY KEY,
	v bytea NOT NULL
);

-- Records: day (days since 1970-01-01 UTC) and client-chosen record id, the
-- sealed record (kind, created, upload id, result key, share).
CREATE TABLE records (
	day integer NOT NULL,
	id bytea NOT NULL,
	value bytea NOT NULL,
	PRIMARY KEY (day, id)
);

-- Uploads: idempotency entries (content hash, stored time in Unix ns, count).
CREATE TABLE uploads (
	id bytea PRIMARY KEY,
	hash bytea NOT NULL,
	stored bigint NOT NULL,
	records integer NOT NULL
);
CREATE INDEX uploads_stored ON uploads (stored);

-- Authority codes used (Unix ns).
CREATE TABLE codes (
	id bytea PRIMARY KEY,
	used bigint NOT NULL,
	expires bigint NOT NULL
);
CREATE INDEX codes_expires ON codes (expires);

-- Sealed result blobs by SHA-256 of the user's result key.
CREATE SEQUENCE results_seq;
CREATE TABLE results (
	user_hash bytea NOT NULL,
	seq bigint NOT NULL,
	created bigint NOT NULL,
	blob bytea NOT NULL,
	PRIMARY KEY (user_hash, seq)
);
CREATE INDEX results_created ON results (created);

-- Computation runs and their sealed inputs.
CREATE TABLE runs (
	id text PRIMARY KEY,
	created bigint NOT NULL,
	items bigint NOT NULL DEFAULT 0
);
CREATE INDEX runs_created ON runs (created);
CREATE SEQUENCE run_inputs_seq;
CREATE TABLE run_inputs (
	run text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq bigint NOT NULL,
	data bytea NOT NULL,
	PRIMARY KEY (run, seq)
);

-- Records per user key and day; key is an HMAC of the result key under a
-- key derived from the day key.
CREATE TABLE quota (
	day integer NOT NULL,
	key bytea NOT NULL,
	n integer NOT NULL,
	PRIMARY KEY (day, key)
);

-- Counters of stored records and run-input items, spread over shards so
-- that concurrent uploads do not queue on one row; a counter is the sum of
-- its shards.
CREATE TABLE counters (
	name text NOT NULL,
	shard integer NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (name, shard)
);

-- The first day whose values may still be written: Expire raises it when it
-- destroys the keys of the days before.
CREATE TABLE shred_floor (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	day integer NOT NULL
);
INSERT INTO shred_floor (day) VALUES (0);

-- Leases on work that one front end at a time may do (the computations).
CREATE TABLE leases (
	name text PRIMARY KEY,
	holder text NOT NULL,
	expires timestamptz NOT NULL,
	since timestamptz NOT NULL
);

-- Refuses the statement (and so the whole transaction) with reason.
CREATE FUNCTION safetrace_refuse(reason text) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'safetrace: ' || reason;
END
$$;
