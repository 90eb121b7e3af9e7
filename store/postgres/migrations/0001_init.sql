-- SealDesk store, version 1: key-value buckets, per-scope event logs with gap-free sequences.
CREATE TABLE kv (
    bucket text  NOT NULL,
    key    bytea NOT NULL,
    value  bytea NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE scopes (
    scope    text   PRIMARY KEY,
    last_seq bigint NOT NULL
);

CREATE TABLE events (
    scope      text        NOT NULL,
    seq        bigint      NOT NULL,
    type       text        NOT NULL,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL DEFAULT '',
    command_id text        NOT NULL DEFAULT '',
    payload    bytea,
    PRIMARY KEY (scope, seq)
);
