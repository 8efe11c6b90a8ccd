-- SPDX-License-Identifier: Apache-2.0
-- Issue 16, item 4: a tamper-evident trail (modules/core/bkm_kjede.h has
-- the canonical content, the README the same for an outside verifier).
-- Each timeline event carries kjede, the SHA-256 of its report's previous
-- event's kjede and its own content (one chain per report, written under
-- the report's row lock); each audit row its place nr in the one audit
-- chain and the same kind of hash, its chain's head in bkm_kjede (locked
-- by the transaction that appends).  anker is the audit row (a
-- KJEDEANKER row of the escalation pass) whose digest covers the event.
--
-- Rows from before this migration are not chained (kjede NULL): a
-- report's timeline chain starts at its first event written after it,
-- which links to 64 zeros, and so does the audit chain's; their events
-- are marked anker 0 (never anchored).  Audit rows get their places in
-- time order here.
ALTER TABLE bkm_hendelse ADD COLUMN kjede VARCHAR(64);
ALTER TABLE bkm_hendelse ADD COLUMN anker BIGINT;
UPDATE bkm_hendelse SET anker = 0;
CREATE INDEX bkm_hendelse_anker ON bkm_hendelse (anker);
CREATE INDEX bkm_hendelse_uankret ON bkm_hendelse (melding_id, nr)
    WHERE anker IS NULL;
ALTER TABLE bkm_revisjon ADD COLUMN nr BIGINT;
ALTER TABLE bkm_revisjon ADD COLUMN kjede VARCHAR(64);
UPDATE bkm_revisjon SET nr = (SELECT COUNT(*) FROM bkm_revisjon r
    WHERE r.tidspunkt < bkm_revisjon.tidspunkt
    OR (r.tidspunkt = bkm_revisjon.tidspunkt AND r.id <= bkm_revisjon.id));
CREATE UNIQUE INDEX bkm_revisjon_nr ON bkm_revisjon (nr);
CREATE TABLE bkm_kjede (
    navn VARCHAR(16) PRIMARY KEY,
    nr   BIGINT NOT NULL,
    hode VARCHAR(64)
);
INSERT INTO bkm_kjede (navn, nr, hode)
    SELECT 'revisjon', COALESCE(MAX(nr), 0), NULL FROM bkm_revisjon;
