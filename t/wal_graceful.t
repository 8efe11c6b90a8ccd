# SPDX-License-Identifier: Apache-2.0
# SQLite's checkpointer across a graceful restart (issue 17, item 4; an
# outside attack on this round's changes).  httpd clears the same pconf
# for each configuration generation, so wal.c's "new generation" test
# (a pool pointer compared) would never see one -- it holds because the
# module is unloaded and loaded again (its statics start from zero); were
# that to change (a static build), the checkpointer would keep counters
# in shared memory the restart unmapped.  Here: after a graceful restart
# the checkpointer still runs (its counters move), the metrics page
# answers, the node stores reports, and no child died.  SQLite only.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(base_url login_ua login skjema_api privat_rapport json_of
               metrics error_log);
use LWP::UserAgent;
use Time::HiRes qw(sleep time);

plan skip_all => 'SQLite only' if $ENV{TEST_PGSQL};
plan tests => 7;

my $ok = 'bekymring_sqlite_checkpoints_total{utfall="ok"}';
my ($res, $m) = metrics();
is $res->code, 200, 'the metrics page answers';
like $m->{$ok} // '', qr/^\d+$/, 'with the checkpoints';

my $logged = length error_log();
my $pidfile = Apache::Test::config()->{vars}{t_pid_file};
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $parent = <$pf>);
close $pf;
ok kill('USR1', $parent), 'a graceful restart';

# The new generation: its checkpointer ticks every 200 ms, each a complete
# checkpoint of a log this small, so its counter (new shared memory, from
# zero) grows.
my ($first, $later);
my $until = time + 15;
while (time < $until) {
    sleep 0.3;
    ($res, $m) = metrics();
    next unless $res->code == 200 && defined $m->{$ok};
    if (!defined $first) { $first = $m->{$ok}; next }
    if ($m->{$ok} > $first) { $later = $m->{$ok}; last }
}
ok defined $later, 'after it the checkpointer still checkpoints'
    or diag 'ok checkpoints: ' . ($first // 'none') . ' ' . $res->code;

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
$res = skjema_api($ua, privat_rapport(kommunenummer => '4601',
    bydelsnummer => '00'));
is $res->code, 201, 'and a report is stored' or diag $res->decoded_content;

my $log = substr error_log(), $logged;
unlike $log, qr/exit signal|Segmentation|AH00052/,
    'no child died' or diag $log;
unlike $log, qr/BKM0744[0345]/, 'and the checkpointer had no trouble'
    or diag $log;
