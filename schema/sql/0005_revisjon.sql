-- SPDX-License-Identifier: Apache-2.0
-- The municipal administration's audit: every action an administrator
-- takes, with who (the role binding's name, never a national id number),
-- when, on what, and the reason they gave.  Kept like the timelines.
CREATE TABLE bkm_revisjon (
    id            VARCHAR(36) PRIMARY KEY,
    tidspunkt     BIGINT NOT NULL,
    aktor         VARCHAR(200) NOT NULL,
    handling      VARCHAR(32) NOT NULL,
    kommunenummer VARCHAR(4),
    melding_id    VARCHAR(36),
    begrunnelse   TEXT NOT NULL
);
CREATE INDEX bkm_revisjon_kommune ON bkm_revisjon (kommunenummer, tidspunkt);
