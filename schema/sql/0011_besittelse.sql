-- SPDX-License-Identifier: Apache-2.0
-- Proof of possession (issue 12, items 4 and 6).
--
-- Each report for a case system gets a random 32-byte secret when it is
-- sealed (hemmelighet, 64 hex digits).  For containers the portal seals it
-- travels inside the encrypted ASiC-E (META-INF/bekymring-besittelse.json);
-- for containers a producer sealed, the portal encrypts it to the same
-- recipient certificate (utfordring: the CMS DER as base64) and serves it
-- beside the message.  The portal keeps the secret to verify stored-
-- receipts v2 and post-delivery challenges: whoever reads this table
-- could compute proofs, but could still not sign a stored-receipt (that
-- needs the case system's private key).  Kept with the report's metadata
-- after retention deletes the ciphertexts: it opens nothing by then, and
-- no challenge is sampled on a report without ciphertext.
CREATE TABLE bkm_besittelse (
    melding_id  VARCHAR(36) PRIMARY KEY REFERENCES bkm_melding (id),
    hemmelighet VARCHAR(64) NOT NULL,
    utfordring  TEXT
);

-- Post-delivery challenges (kontroller): a nonce a case system answers
-- with HMAC(secret, ...) within frist.  utfall is NULL while open, then
-- BESTATT, FEIL (a wrong answer) or UTLOPT (no answer in time); the
-- conditional UPDATE that sets it is the claim, so two nodes (or an
-- answer and a pass) never both settle one challenge.
CREATE TABLE bkm_kontroll (
    id          VARCHAR(36) PRIMARY KEY,
    melding_id  VARCHAR(36) NOT NULL REFERENCES bkm_melding (id),
    leveranse_id VARCHAR(36) NOT NULL,
    konto_id    VARCHAR(36) NOT NULL,
    nonce       VARCHAR(64) NOT NULL,
    opprettet   BIGINT NOT NULL,
    frist       BIGINT NOT NULL,
    besvart     BIGINT,
    utfall      VARCHAR(16)
);
-- The pass reads only open challenges that are due; the API only an
-- account's open ones.
CREATE INDEX bkm_kontroll_frist ON bkm_kontroll (frist) WHERE utfall IS NULL;
CREATE INDEX bkm_kontroll_apne ON bkm_kontroll (konto_id, opprettet)
    WHERE utfall IS NULL;
CREATE INDEX bkm_kontroll_melding ON bkm_kontroll (melding_id);

-- When each account is next sampled.  The pass claims an account by
-- moving neste forward with a conditional UPDATE (WHERE neste = the value
-- it read): of two nodes one wins, the other changes nothing.
CREATE TABLE bkm_kontroll_konto (
    konto_id VARCHAR(36) PRIMARY KEY,
    neste    BIGINT NOT NULL
);
CREATE INDEX bkm_kontroll_konto_neste ON bkm_kontroll_konto (neste);

-- An account's delivered messages, newest first, for the sample.
CREATE INDEX bkm_leveranse_levert ON bkm_leveranse (konto_id, svar_tid)
    WHERE svar IS NOT NULL;
