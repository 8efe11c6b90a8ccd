-- SPDX-License-Identifier: Apache-2.0
-- The reporter's web pages.
--
-- A form's one-time token makes a double click or a reload send once: its
-- hash is the report's idempotency key, unique among reports without an
-- integration (the producer API's keys are unique per integration, 0002).
CREATE UNIQUE INDEX bkm_melding_skjema ON bkm_melding (idempotensnokkel)
    WHERE integrasjon_id IS NULL AND idempotensnokkel IS NOT NULL;

-- What the receipt page needs, for the browser that sent the report: the
-- SHA-256 of the key in that browser's cookie, and for a public reporter
-- the PDF sealed under that key (AES-256-GCM).  The server never keeps
-- the key, so this is no readable copy.  Deleted when it expires.
CREATE TABLE bkm_kopi (
    melding_id    VARCHAR(36) PRIMARY KEY REFERENCES bkm_melding (id),
    nokkel_sha256 VARCHAR(64) NOT NULL,
    innhold       BYTEA,
    utloper       BIGINT NOT NULL
);
CREATE INDEX bkm_kopi_utloper ON bkm_kopi (utloper);

-- A form posted after the login ran out, sealed under a key in the
-- reporter's cookie, kept until the login round-trip brings them back.
CREATE TABLE bkm_utkast (
    id      VARCHAR(36) PRIMARY KEY,
    innhold BYTEA NOT NULL,
    utloper BIGINT NOT NULL
);
CREATE INDEX bkm_utkast_utloper ON bkm_utkast (utloper);
