-- SPDX-License-Identifier: Apache-2.0
-- The municipal administration's overview (issue 6): newest first, by
-- keyset (mottatt, id), filtered by district or state.  Each of the
-- overview's statements reads one of these in its order and stops after a
-- page, however many reports the municipality has: the municipality's, a
-- district's (which replaces bkm_melding_mottaker, its prefix), a
-- state's (a rare state is found without reading the others).
DROP INDEX bkm_melding_mottaker;
CREATE INDEX bkm_melding_oversikt ON bkm_melding (kommunenummer, mottatt, id);
CREATE INDEX bkm_melding_oversikt_bydel ON bkm_melding
    (kommunenummer, bydelsnummer, mottatt, id);
CREATE INDEX bkm_melding_oversikt_tilstand ON bkm_melding
    (kommunenummer, tilstand, mottatt, id);
