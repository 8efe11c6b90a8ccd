# SPDX-License-Identifier: Apache-2.0
# The database connection budget (README "Database connection budget";
# issue 15, item 8): a node opens at most processes x DBDMax connections
# to a portal's database, however many requests come at once.  A node of
# its own (event MPM, ServerLimit 2, DBDMax 3) on a database of its own is
# flooded with 60 concurrent /helse requests (each borrows a connection)
# while PostgreSQL's pg_stat_activity is sampled.  PostgreSQL only.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(start_node stop_node);
use Time::HiRes qw(time sleep);

plan skip_all => 'PostgreSQL only (TEST_PGSQL=1)' unless $ENV{TEST_PGSQL};
plan skip_all => 'wrk is not installed' unless -x '/usr/bin/wrk';
plan tests => 5;

my ($processes, $dbdmax) = (2, 3);
local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
my @psql = ('psql', '-q', '-At', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT},
            '-U', 'postgres');
system(@psql, '-c', 'DROP DATABASE IF EXISTS bekymring_budget',
       '-c', 'CREATE DATABASE bekymring_budget OWNER bekymring') == 0
    or die "cannot create the database\n";
(my $params = $ENV{BKM_PG_PARAMS}) =~ s/dbname=\w+/dbname=bekymring_budget/;

my $node = start_node('budget', undef, { db => ['pgsql', $params] },
    'BekymringEscalationInterval off',
    "ServerLimit $processes", 'StartServers 2', 'ThreadsPerChild 30',
    'MaxRequestWorkers 60', 'MinSpareThreads 1', 'MaxSpareThreads 60',
    'DBDMin 0', 'DBDKeep 1', "DBDMax $dbdmax");
ok $node, "a node with ServerLimit $processes and DBDMax $dbdmax";

sub connections {
    open my $fh, '-|', @psql, '-d', 'postgres', '-c',
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'bekymring_budget'"
        or die "psql: $!";
    my $n = <$fh>;
    close $fh;
    chomp $n;
    return $n;
}

my $out = "$ENV{BKM_DEV_DIR}/budget-wrk.txt";
my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', $out;
    exec '/usr/bin/wrk', '-t', '2', '-c', '60', '-d', '4s', "$node/helse";
    exit 1;
}
my $max = 0;
my $until = time + 4;
while (time < $until) {
    my $n = connections();
    $max = $n if $n > $max;
    sleep 0.05;
}
waitpid $pid, 0;
my $wrk = do { open my $f, '<', $out or die "$out: $!"; local $/; <$f> };
my ($rate) = $wrk =~ /Requests\/sec:\s*([\d.]+)/;
unlike $wrk, qr/Non-2xx/,
    'no answer but 200: beyond DBDMax a thread waits its turn (wrk counts kept-alive connections the server closed as read errors)'
    or diag $wrk;
cmp_ok $max, '>=', 2, "the flood used the database ($max connections)";
cmp_ok $max, '<=', $processes * $dbdmax,
    "never more than processes x DBDMax ($processes x $dbdmax)";
diag "60 concurrent /helse: at most $max connections "
    . "(budget $processes x $dbdmax = " . $processes * $dbdmax . '), '
    . ($rate // '?') . ' requests/s';
stop_node('budget');
sleep 0.5;
is connections(), 0, 'all closed when the node stops';
