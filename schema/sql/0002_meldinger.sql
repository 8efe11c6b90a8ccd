-- SPDX-License-Identifier: Apache-2.0
-- Reports (metadata only), their ciphertexts, and their timelines.
-- Nothing readable is stored: the report exists here only as CMS ciphertext
-- for recipients whose private keys the server never holds.  The reporter's
-- national id number is stored nowhere.

-- One row per accepted report.
CREATE TABLE bkm_melding (
    id               VARCHAR(36) PRIMARY KEY,
    referanse        VARCHAR(9) NOT NULL UNIQUE,
    meldingstype     VARCHAR(64) NOT NULL,
    versjon          INTEGER NOT NULL,
    kilde            VARCHAR(16) NOT NULL,
    integrasjon_id   VARCHAR(36),
    fra_org          VARCHAR(64),
    kommunenummer    VARCHAR(4) NOT NULL,
    bydelsnummer     VARCHAR(2) NOT NULL,
    kanal            VARCHAR(16) NOT NULL,
    tilstand         VARCHAR(32) NOT NULL,
    mottatt          BIGINT NOT NULL,
    endret           BIGINT NOT NULL,
    idempotensnokkel VARCHAR(128),
    UNIQUE (integrasjon_id, idempotensnokkel)
);
CREATE INDEX bkm_melding_mottaker ON bkm_melding (kommunenummer, bydelsnummer, mottatt);
CREATE INDEX bkm_melding_tilstand ON bkm_melding (tilstand, endret);

-- The sealed copies of a report, one per recipient role: fagsystem (the
-- ASiC-E container), print and manuell (the PDF).  BYTEA is PostgreSQL's
-- binary type; SQLite stores the same bound blob as a blob.
CREATE TABLE bkm_chiffer (
    melding_id   VARCHAR(36) NOT NULL REFERENCES bkm_melding (id),
    mottaker     VARCHAR(16) NOT NULL,
    innholdstype VARCHAR(64) NOT NULL,
    sha256       VARCHAR(64) NOT NULL,
    storrelse    BIGINT NOT NULL,
    innhold      BYTEA NOT NULL,
    PRIMARY KEY (melding_id, mottaker)
);

-- The timeline: every event with time and actor; nr counts from 1 per
-- report (no engine-specific sequences needed).
CREATE TABLE bkm_hendelse (
    melding_id  VARCHAR(36) NOT NULL REFERENCES bkm_melding (id),
    nr          INTEGER NOT NULL,
    tidspunkt   BIGINT NOT NULL,
    tilstand    VARCHAR(32) NOT NULL,
    aktor       VARCHAR(100) NOT NULL,
    beskrivelse VARCHAR(500),
    PRIMARY KEY (melding_id, nr)
);
