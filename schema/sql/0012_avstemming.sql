-- SPDX-License-Identifier: Apache-2.0
-- Automatic reconciliation (issue 12, item 5) and control messages (item 7).

-- How far each account is reconciled: its deliveries (by the time of
-- their receipt) before "til" are confirmed.  One row per account, moved
-- by a reconciliation that starts at or before it (or leaves no delivery
-- unconfirmed between): confirming 100,000 deliveries writes one row, not
-- 100,000 (PostgreSQL took 2-3 s for those).
CREATE TABLE bkm_avstemt (
    konto_id VARCHAR(36) PRIMARY KEY,
    til      BIGINT NOT NULL
);
-- An account's delivered messages by the time of their receipt: the
-- reconciliation's list and answer read one range of it, and the pass's
-- alert the first entry after the account's "til".
CREATE INDEX bkm_leveranse_avstemming ON bkm_leveranse (konto_id, svar_tid, id)
    WHERE svar IN ('mottatt', 'lagret');

-- 1: retention found the report due but its case system has not yet
-- confirmed it in a reconciliation, so its ciphertexts are kept (and it
-- leaves retention's index, so a pass does not read it again); a
-- reconciliation that confirms it sets 0 again.
ALTER TABLE bkm_melding ADD COLUMN avstemming INTEGER NOT NULL DEFAULT 0;
DROP INDEX bkm_melding_sletting;
CREATE INDEX bkm_melding_sletting ON bkm_melding (levert)
    WHERE levert IS NOT NULL AND slettet IS NULL AND avstemming = 0;
-- The few held back, for the reconciliation that releases them.
CREATE INDEX bkm_melding_avstemming ON bkm_melding (id)
    WHERE avstemming = 1;

-- One row per reconciliation a case system posted, with its counts.
CREATE TABLE bkm_avstemming (
    id         VARCHAR(36) PRIMARY KEY,
    konto_id   VARCHAR(36) NOT NULL,
    tidspunkt  BIGINT NOT NULL,
    fra        BIGINT NOT NULL,
    til        BIGINT NOT NULL,
    aktor      VARCHAR(100) NOT NULL,
    levert     INTEGER NOT NULL,
    bekreftet  INTEGER NOT NULL,
    mangler    INTEGER NOT NULL,
    avvik      INTEGER NOT NULL
);
CREATE INDEX bkm_avstemming_konto ON bkm_avstemming (konto_id, tidspunkt);
-- Its differences: a delivered message the case system does not hold
-- (mangler), or holds under another record id than its stored-receipt
-- named (arkivreferanse).
CREATE TABLE bkm_avstemming_avvik (
    avstemming_id VARCHAR(36) NOT NULL REFERENCES bkm_avstemming (id),
    melding_id    VARCHAR(36) NOT NULL,
    referanse     VARCHAR(9) NOT NULL,
    type          VARCHAR(16) NOT NULL,
    utfall        VARCHAR(32) NOT NULL,
    PRIMARY KEY (avstemming_id, melding_id)
);

-- Control messages: per district, when the next one is due (claimed by
-- a conditional UPDATE, so two nodes never make two) ...
CREATE TABLE bkm_kontrollmelding_plan (
    kommunenummer VARCHAR(4) NOT NULL,
    bydelsnummer  VARCHAR(2) NOT NULL,
    neste         BIGINT NOT NULL,
    PRIMARY KEY (kommunenummer, bydelsnummer)
);
-- ... and each one made: its deadline, and the outcome once judged
-- (verifisert or feilet).  Only those not yet judged are in the index.
CREATE TABLE bkm_kontrollmelding (
    melding_id    VARCHAR(36) PRIMARY KEY REFERENCES bkm_melding (id),
    kommunenummer VARCHAR(4) NOT NULL,
    bydelsnummer  VARCHAR(2) NOT NULL,
    opprettet     BIGINT NOT NULL,
    frist         BIGINT NOT NULL,
    utfall        VARCHAR(16),
    avgjort       BIGINT
);
CREATE INDEX bkm_kontrollmelding_frist ON bkm_kontrollmelding (frist)
    WHERE utfall IS NULL;
CREATE INDEX bkm_kontrollmelding_siste ON bkm_kontrollmelding
    (kommunenummer, bydelsnummer, opprettet);
