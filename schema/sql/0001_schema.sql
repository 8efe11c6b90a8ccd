-- SPDX-License-Identifier: Apache-2.0
-- Migration bookkeeping: one row per applied migration.
-- Every file in schema/sql runs unchanged on SQLite and PostgreSQL; times are
-- microseconds since the epoch in BIGINT (APR's apr_time_t), which both
-- engines store and compare the same way.
-- Statements end with a semicolon at the end of a line.
CREATE TABLE bkm_schema (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR(100) NOT NULL,
    applied_at  BIGINT NOT NULL
);
