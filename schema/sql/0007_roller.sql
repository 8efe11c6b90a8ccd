-- SPDX-License-Identifier: Apache-2.0
-- Roles the national operator grants in the pages (beside those of
-- BekymringRoles).  The person is held only as HMAC-SHA256 of their
-- national id number under the server's key (BekymringRoleKey), never the
-- number itself; each grant and removal is in bkm_revisjon.
CREATE TABLE bkm_rolle (
    id            VARCHAR(36) PRIMARY KEY,
    person        VARCHAR(64) NOT NULL,
    navn          VARCHAR(200) NOT NULL,
    rolle         VARCHAR(16) NOT NULL,
    kommunenummer VARCHAR(4),
    bydeler       VARCHAR(200) NOT NULL,
    opprettet     BIGINT NOT NULL
);
CREATE INDEX bkm_rolle_person ON bkm_rolle (person);
