-- SPDX-License-Identifier: Apache-2.0
-- Issue 12, delivery assurance.
--
-- A message counts as fetched (bkm_leveranse.hentet) only when every byte
-- of its ciphertext went out, in one answer or in Range answers that
-- together cover it; dekket holds the byte ranges sent so far, merged and
-- sorted ("0-1023,4096-8191", at most 32 ranges), until they do.
ALTER TABLE bkm_leveranse ADD COLUMN dekket VARCHAR(1400);
-- An integration's Idempotency-Key answers only the request it came with:
-- the fingerprint is the SHA-256 of method, path and the body's SHA-256;
-- the key is forgotten (set to NULL with its fingerprint) when it expires,
-- in the escalation pass.  Keys stored before this migration have no
-- fingerprint: a request under one is refused (422), never answered with
-- another request's result; they expire like new ones.
ALTER TABLE bkm_melding ADD COLUMN idempotens_fingeravtrykk VARCHAR(64);
ALTER TABLE bkm_melding ADD COLUMN idempotens_utloper BIGINT;
UPDATE bkm_melding SET idempotens_utloper = mottatt + 86400000000
    WHERE integrasjon_id IS NOT NULL AND idempotensnokkel IS NOT NULL;
CREATE INDEX bkm_melding_idempotens_utloper
    ON bkm_melding (idempotens_utloper)
    WHERE idempotens_utloper IS NOT NULL;
