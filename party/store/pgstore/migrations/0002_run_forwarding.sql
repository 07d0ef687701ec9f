-- Schema version 2: run requests that reached a front end without the
-- computation lease, for the holder to start, and the holder's run states,
-- for any front end to report.
CREATE TABLE run_requests (
	id bytea PRIMARY KEY,
	name text NOT NULL,
	queued timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE run_states (
	id bytea PRIMARY KEY,
	name text NOT NULL,
	state smallint NOT NULL,
	text text NOT NULL,
	updated timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX run_states_updated ON run_states (updated);
