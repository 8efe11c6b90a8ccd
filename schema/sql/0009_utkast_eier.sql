-- SPDX-License-Identifier: Apache-2.0
-- Drafts (0004) are kept only for a browser that was logged in a moment
-- ago, and only so many: a draft records its owner (bkm_token_owner: a
-- keyed hash of the person's tag, never the national id), so that the
-- portal can count one person's drafts and give a draft back only to the
-- person who wrote it.  Drafts from before this migration have none and
-- are given back to nobody (they expire within the hour).
ALTER TABLE bkm_utkast ADD COLUMN eier VARCHAR(32);
CREATE INDEX bkm_utkast_eier ON bkm_utkast (eier, utloper);
