# SPDX-License-Identifier: Apache-2.0
# Retention as sets (issue 17, item 2) against a late receipt on
# PostgreSQL (an outside attack on this round's changes).  A case system's
# receipt 'mottatt' keeps a delivered report's ciphertexts until a
# reconciliation confirms it (0012_avstemming.sql).  The receipt locks the
# report's row, then writes its answer.  Retention's claim is one UPDATE
# whose re-check of "unconfirmed" is a subquery on bkm_leveranse: when the
# claim waits for the receipt's lock, PostgreSQL re-checks the report's
# new row but runs that subquery with the statement's old snapshot, which
# has no receipt -- so it deleted the ciphertexts of a report whose
# receipt had just said 'mottatt', unconfirmed.  Here the receipt's
# transaction holds the row while the pass runs, and commits once the pass
# waits for it: the report must be kept.  PostgreSQL only (SQLite has one
# writer: the race cannot happen there).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows privat_rapport
               skjema_api);
use BkmCaseSystem;
use IO::Handle;
use LWP::UserAgent;
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

plan skip_all => 'PostgreSQL only' unless $ENV{TEST_PGSQL};
plan tests => 8;

my $base = base_url();
my $pki = root() . '/t/dev/pki';
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem",
    receipt_key => "$pki/0301-01-kvittering.key");
sub usec { timegm(0, $_[4], $_[3], $_[2], $_[1] - 1, $_[0]) * 1e6 }
sub clock { ('Bkm-Test-Klokke' => sprintf('%.0f', $_[0])) }

# Delivered on 1 July, and confirmed by a reconciliation: due for
# deletion 30 days later.
my $tr = usec(2026, 7, 1, 10, 0);
my $due = $tr + 30 * 86400e6;
my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
my $res = skjema_api($ua, privat_rapport(kommunenummer => '0301',
    bydelsnummer => '01'), clock($tr));
is $res->code, 201, 'a report' or diag $res->decoded_content;
my $id = (json_of($res) // {})->{uuid} // 'none';
my ($lid) = map { $_->[0] } db_rows("SELECT id FROM bkm_leveranse "
    . "WHERE melding_id = '$id' AND konto_id = '" . $cs->konto . "'");
$lid //= 'none';
is $cs->fetch($lid, clock($tr))->code, 200, 'fetched on 1 July';
is $cs->answer($lid, 'mottatt', undef, clock($tr))->code, 200,
    'and its receipt: delivered';
# A reconciliation confirmed everything up to a second later (as
# t/levering.t's does through the API; here directly, to keep this fast).
db_rows("INSERT INTO bkm_avstemt (konto_id, til) VALUES ('" . $cs->konto
    . "', " . ($tr + 1e6) . ") ON CONFLICT (konto_id) DO UPDATE SET "
    . "til = GREATEST(bkm_avstemt.til, EXCLUDED.til)");

# A late receipt's transaction, 30 days later (a stored-receipt 'lagret',
# after the reconciliation): the report's row locked, its answer written,
# not yet committed.
my @psql = ('psql', '-qAt', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
    '-p', $ENV{BKM_PG_PORT}, '-U', 'bekymring', '-d', 'bekymring');
open my $rx, '|-', @psql or die "psql: $!";
$rx->autoflush(1);
printf $rx "BEGIN;\nUPDATE bkm_melding SET endret = %.0f WHERE id = '%s';\n"
    . "UPDATE bkm_leveranse SET svar = 'lagret', svar_tid = %.0f "
    . "WHERE id = '%s';\nSELECT pg_sleep(0);\n", $due, $id, $due, $lid;
my $until = time + 10;
sleep 0.1 until time > $until || (db_rows("SELECT COUNT(*) FROM pg_locks "
    . "l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = "
    . "'bkm_melding' AND l.mode = 'RowExclusiveLock' AND l.granted"))[0][0];

# Retention's pass, on the day the period ends, in a child.
my $pid = fork // die "fork: $!";
if (!$pid) {
    my $r = LWP::UserAgent->new(timeout => 60)
        ->post("$base/bekymring-drift/eskalering", clock($due));
    POSIX::_exit($r->code == 200 ? 0 : 1);
}
require POSIX;
# Until the pass waits for the receipt's row (or has ended).
$until = time + 10;
my $waits = 0;
while (time < $until) {
    $waits = (db_rows("SELECT COUNT(*) FROM pg_stat_activity "
        . "WHERE wait_event_type = 'Lock' AND datname = 'bekymring'"))[0][0];
    last if $waits;
    last if waitpid($pid, POSIX::WNOHANG()) == $pid && ($pid = 0, 1);
    sleep 0.05;
}
ok $waits, 'the pass waits for the receipt\'s row';
print $rx "COMMIT;\n";
close $rx;
is $?, 0, 'the receipt committed';
if ($pid) {
    waitpid $pid, 0;
    is $? >> 8, 0, 'the pass ended well';
}
else {
    fail 'the pass ended before it reached the report';
}

my ($held) = db_rows("SELECT COALESCE(slettet, -1), avstemming FROM "
    . "bkm_melding WHERE id = '$id'");
is $held->[0], -1, 'the report is not deleted: its receipt is unconfirmed'
    or diag "slettet $held->[0]";
ok((db_rows("SELECT COUNT(*) FROM bkm_chiffer WHERE melding_id = '$id'"))
    [0][0] > 0, 'its ciphertexts are kept');
