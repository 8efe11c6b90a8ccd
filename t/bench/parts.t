# SPDX-License-Identifier: Apache-2.0
# make bench (not make test): what the figures stand on (issue 17, items
# 3 and 5), on SQLite or (TEST_PGSQL=1) PostgreSQL:
#   1. the durability settings of the portal's own database connections,
#      as its httpd reads them back (BKM07380): PostgreSQL with fsync and
#      synchronous_commit on, SQLite with synchronous=FULL (the suite may
#      run without; the bench may not: t/TEST starts the bench's cluster
#      with fsync on).  Printed at the head of the engine's table.
#   2. the commit part of the intake chain: durable commits/s of a
#      report-sized transaction at 8 clients (BkmBench::commit_rate).
#      build/bench sets it beside bench_seal's render + seal time and
#      prints the ratio of the form submission's end-to-end rate to the
#      rate these parts allow.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use lib 't/lib', 't/bench';
use BkmBench qw(row engine engine_settings commit_rate);

plan skip_all => 'benchmarks run with make bench (BKM_BENCH=1)'
    unless $ENV{BKM_BENCH};
plan tests => 3;

# A request that takes a database connection, so that the line is there.
my $res = Apache::TestRequest::GET('/helse');
is $res->code, 200, '/helse answers 200';
my ($set, $line) = engine_settings();
ok $line, 'the portal logged its database settings (BKM07380)';
# On PostgreSQL, beside them, the cluster's settings that shape the
# intake tail (t/TEST; README "Commits with fsync on"), read back from it.
my $fpw = 'on';
if (engine() eq 'pgsql' && $line) {
    my @show = qw(full_page_writes shared_buffers max_wal_size
                  checkpoint_timeout wal_init_zero backend_flush_after);
    my $q = join ' UNION ALL ', map { "SELECT current_setting('$_')" } @show;
    my @v = map { chomp; $_ } `psql -X -At -h 127.0.0.1 -p $ENV{BKM_PG_PORT} -U postgres -d postgres -c "$q"`;
    my %v; @v{@show} = @v;
    $fpw = $v{full_page_writes} // '?';
    $line .= ', ' . join ', ', map { "$_=" . ($v{$_} // '?') } @show;
}
my $durable = engine() eq 'pgsql'
    ? ($set->{fsync} // '') eq 'on' && ($set->{synchronous_commit} // '') eq 'on'
      && $fpw eq 'on'
    : ($set->{synchronous} // '') =~ /^(FULL|EXTRA)/;
row(block => 'settings', key => 'settings', figure => 'engine settings, '
    . 'read back from the portal\'s connection', show => $line || '?',
    value => $durable ? 1 : 0, op => '>=', target => 1,
    goal => engine() eq 'pgsql' ? 'fsync=on, synchronous_commit=on, full_page_writes=on'
                                : 'synchronous=FULL');

my $secs = $ENV{BKM_BENCH_SECONDS} || 5;
my $c = commit_rate($secs, $set);
ok $c->{rps}, 'commits were measured' or diag explain $c;
row(block => 'parts', key => 'commit.rps', figure => 'commit: one '
    . 'report-sized transaction (48 KB + an event row), 8 clients, durable',
    value => $c->{rps}, show => sprintf('%.0f/s', $c->{rps} // 0),
    against => $c->{how}, noisy => 1);
