-- SPDX-License-Identifier: Apache-2.0
-- Assurance failures (issue 12, item 9).  avvik is the time of the
-- report's latest assurance failure (an event listed in
-- modules/bkm_avvik.h), NULL when it has none; set in the transaction
-- that records the event.  The overview's filter reads the first index
-- in its order (only reports with a failure are in it, so a page is
-- found without reading the municipality's other reports); the
-- integration health counts a period's from the second.
ALTER TABLE bkm_melding ADD COLUMN avvik BIGINT;
CREATE INDEX bkm_melding_avvik ON bkm_melding (kommunenummer, mottatt, id)
    WHERE avvik IS NOT NULL;
CREATE INDEX bkm_melding_avvik_tid ON bkm_melding (avvik)
    WHERE avvik IS NOT NULL;
-- Reports that already have such an event (the list as it was at this
-- migration: refused receipts and print failures).
UPDATE bkm_melding SET avvik = (SELECT MAX(h.tidspunkt) FROM bkm_hendelse h
    WHERE h.melding_id = bkm_melding.id
    AND h.hendelse IN ('KVITTERING_AVVIST', 'AVVIST_PRINT'))
    WHERE id IN (SELECT melding_id FROM bkm_hendelse
    WHERE hendelse IN ('KVITTERING_AVVIST', 'AVVIST_PRINT'));
