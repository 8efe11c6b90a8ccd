-- SPDX-License-Identifier: Apache-2.0
-- Reminders before letter post (issue 16, item 6): a district's contact is
-- mailed when a report nears its deadline unconfirmed, once per report and
-- deadline.  paminnelse is the deadline (the value of frist) whose reminder
-- a node claimed, at paminnelse_tid; paminnelse_sendt is when its mail went
-- out (NULL while a node is sending it).  A new deadline (a report put back
-- in the case system's queue) differs from paminnelse, so it gets its own
-- reminder; a claim whose mail failed is released for the next pass, and
-- one a node left behind (it died sending) is taken over after a while.
ALTER TABLE bkm_melding ADD COLUMN paminnelse BIGINT;
ALTER TABLE bkm_melding ADD COLUMN paminnelse_tid BIGINT;
ALTER TABLE bkm_melding ADD COLUMN paminnelse_sendt BIGINT;
