-- SPDX-License-Identifier: Apache-2.0
-- The metrics page (api/metrikker.c) counts reports by municipality,
-- channel and state: read from this index alone, not from the reports.
CREATE INDEX bkm_melding_metrikker ON bkm_melding
    (kommunenummer, kanal, tilstand);
