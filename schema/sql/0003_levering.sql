-- SPDX-License-Identifier: Apache-2.0
-- Delivery: what each recipient account has waiting, fetched and receipted;
-- escalation deadlines; retention.

-- When the report escalates to letter post unless confirmed first (NULL
-- when nothing is pending), when it was delivered (confirmed by a case
-- system -- verified where the district requires it -- or posted by the
-- print provider), when retention deleted its ciphertexts, and whether a
-- person must follow it up (the print provider could not print it).
ALTER TABLE bkm_melding ADD COLUMN frist BIGINT;
ALTER TABLE bkm_melding ADD COLUMN levert BIGINT;
ALTER TABLE bkm_melding ADD COLUMN slettet BIGINT;
ALTER TABLE bkm_melding ADD COLUMN oppfolging INTEGER NOT NULL DEFAULT 0;
-- Partial indexes (both engines have them): a pass that finds nothing due
-- reads nothing but an empty index range, however many reports are stored.
CREATE INDEX bkm_melding_frist ON bkm_melding (frist) WHERE frist IS NOT NULL;
CREATE INDEX bkm_melding_sletting ON bkm_melding (levert)
    WHERE levert IS NOT NULL AND slettet IS NULL;
CREATE INDEX bkm_melding_uavklart ON bkm_melding (mottatt) WHERE levert IS NULL;
CREATE INDEX bkm_melding_oppfolging ON bkm_melding (mottatt)
    WHERE oppfolging = 1;

-- What happened (hendelse) beside the report's state after it (tilstand,
-- in the incumbent's status values): fetched, receipted and verified are
-- different events in the same state.
ALTER TABLE bkm_hendelse ADD COLUMN hendelse VARCHAR(32);
UPDATE bkm_hendelse SET hendelse = tilstand;

-- One message per report and recipient account: the district's case
-- system (or manual download) from acceptance, the print provider's from
-- escalation (arsak: why print was ordered, "frist" or "feilet").  id is
-- the meldingId on the wire; mottaker names the bkm_chiffer copy it
-- delivers.  One print job per report at most.
CREATE TABLE bkm_leveranse (
    id             VARCHAR(36) PRIMARY KEY,
    melding_id     VARCHAR(36) NOT NULL REFERENCES bkm_melding (id),
    konto_id       VARCHAR(36) NOT NULL,
    mottaker       VARCHAR(16) NOT NULL,
    meldingstype   VARCHAR(64) NOT NULL,
    opprettet      BIGINT NOT NULL,
    arsak          VARCHAR(16),
    hentet         BIGINT,
    hentet_av      VARCHAR(36),
    svar           VARCHAR(16),
    svar_tid       BIGINT,
    arkivreferanse VARCHAR(200),
    UNIQUE (melding_id, mottaker)
);
-- What an account has waiting, oldest first: read in index order, so the
-- list reads its 100 rows however many wait (and whatever the planner's
-- statistics say right after a burst).
CREATE INDEX bkm_leveranse_venter ON bkm_leveranse (konto_id, opprettet, id)
    WHERE svar IS NULL;
