# SPDX-License-Identifier: Apache-2.0
# SQLite's write-ahead log is checkpointed off the request path (issue 17,
# item 4; README "SQLite's write-ahead log"): the checkpointer copies it
# into the database file beside the writers, starts it over once it has
# grown past 4,096 pages, and the metrics page shows it.  SQLite only.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(base_url dev_token json_of producer_multipart error_log
               metrics);
use HTTP::Request::Common ();
use LWP::UserAgent;
use Time::HiRes qw(sleep time);

plan skip_all => 'SQLite only' if $ENV{TEST_PGSQL};
plan tests => 9;

my $base = base_url();
my $ua = LWP::UserAgent->new(timeout => 60);

my $ok = 'bekymring_sqlite_checkpoints_total{utfall="ok"}';
my $m = (metrics())[1];
like $m->{bekymring_sqlite_wal_bytes} // '', qr/^\d+$/,
    "the log's size on disk is on the metrics page";
like $m->{$ok} // '', qr/^\d+$/, 'and the checkpoints by outcome';
my $before = $m->{$ok} // 0;

# Some 4,700 pages of log: sixteen producer reports with two 600 kB parts.
my %prod = dev_token('produsent', '--ttl', 600);
my $keys = json_of(GET(
    '/bekymringsmelding/api/v2/mottak/fagsystem/0301/01/krypteringsnokler',
    %prod));
my ($body, $b) = producer_multipart($keys, 600_000);
my $created = 0;
my $start = time;
for (1 .. 16) {
    my $res = $ua->request(HTTP::Request::Common::POST(
        "$base/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/01/offentlig",
        'Content-Type' => "multipart/form-data; boundary=$b", %prod,
        Content => $body));
    $created++ if $res->code == 201;
}
is $created, 16, "sixteen reports stored";

# The checkpointer runs every 200 ms in the background.  Started over, the
# log holds only what was written since (in the whole suite the node's own
# passes write now and then): fewer pages than the 4,096 that made it start
# over, where sixteen reports left some 4,700.
my $until = time + 10;
do { sleep 0.2; $m = (metrics())[1] }
    until ($m->{$ok} // 0) > $before
       && ($m->{bekymring_sqlite_wal_pages} // 4096) < 4096
       || time > $until;
cmp_ok $m->{$ok} // 0, '>', $before, 'the checkpointer checkpointed';
cmp_ok $m->{bekymring_sqlite_wal_pages} // 4096, '<', 4096,
    'and started the log over once it had grown past its bound';
cmp_ok $m->{bekymring_sqlite_checkpoint_last_success_timestamp_seconds} // 0,
    '>=', int $start, 'the last complete checkpoint is recent';
is $m->{'bekymring_sqlite_checkpoints_total{utfall="feilet"}'}, 0, 'none failed';
is $m->{'bekymring_sqlite_checkpoints_total{utfall="over-grensen"}'}, 0,
    'the log never passed the bound of 12,288 pages';
like error_log(), qr/BKM07446: .*writers held \d+ ms to start the log over \(done\)/,
    'the log says how long the writers were held (LogLevel debug)';
