-- SPDX-License-Identifier: Apache-2.0
-- Integration health: an account's last fetch is read from an index, not
-- from all its messages.
CREATE INDEX bkm_leveranse_hentet ON bkm_leveranse (konto_id, hentet);
