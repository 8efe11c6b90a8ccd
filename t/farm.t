# SPDX-License-Identifier: Apache-2.0
# A farm: a second httpd node on the same database.  Escalation passes run
# on both at once never order letter post twice for a report and never
# miss one; and the watchdog runs passes by itself.  Meant for PostgreSQL
# (a farm's engine); on SQLite the two nodes share the file and the same
# must hold.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url dev_token db_rows json_of spit slurp start_node stop_node seal_cms);
use HTTP::Request::Common ();
use LWP::UserAgent;
use JSON::PP;
use Digest::SHA ();
use Time::Local qw(timegm);

plan tests => 10;

my $N = 120;
my $pki = root() . '/t/dev/pki';
my $node1 = base_url();
my $node2 = start_node('node2', $ENV{BKM_NODE2_PORT},
                       'BekymringEscalationInterval off');
ok $node2, 'a second node on the same database';

# Reports from a producer, accepted on a Monday in January 2026 (the test
# build's clock): due on Wednesday.
my $pdf = seal_cms("%PDF-1.4 farm\n", slurp("$pki/print.pem"));
my $zip = seal_cms("PK\x03\x04 farm", slurp("$pki/0301-01-fagsystem.pem"));
my %prod = dev_token('produsent');
my $ua = LWP::UserAgent->new(timeout => 60);
my $accepted = timegm(0, 0, 9, 5, 0, 2026) * 1e6;

# A report through a node, accepted at the test build's time $t.
sub post_report {
    my ($node, $t) = @_;
    my $req = HTTP::Request::Common::POST(
        "$node/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/01/privat",
        Content_Type => 'form-data',
        Content => [
            bekymringsmelding => [undef, 'b.cms', 'Content-Type' =>
                'application/pkcs7-mime', Content => $pdf],
            asice => [undef, 'a.cms', 'Content-Type' =>
                'application/pkcs7-mime', Content => $zip]]);
    $req->header(%prod, 'Bkm-Test-Klokke' => sprintf('%.0f', $t));
    my $res = $ua->request($req);
    return $res->code == 201 ? json_of($res)->{uuid} : undef;
}
my @ids = grep { defined } map { post_report($_ % 2 ? $node1 : $node2,
                                             $accepted) } 1 .. $N;
is scalar(@ids), $N, "$N reports accepted through both nodes";

# Passes at once: three on each node, a month later.
my $later = sprintf('%.0f', timegm(0, 0, 12, 5, 1, 2026) * 1e6);
my @kids;
for my $k (0 .. 5) {
    pipe my $r, my $w or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        my $res = LWP::UserAgent->new(timeout => 120)->post(
            ($k % 2 ? $node1 : $node2) . '/bekymring-drift/eskalering',
            'Bkm-Test-Klokke' => $later);
        my $j = json_of($res);
        print $w(($j && defined $j->{eskalert}) ? $j->{eskalert} : 'x');
        close $w;
        exit 0;
    }
    close $w;
    push @kids, [$pid, $r];
}
my ($sum, $failed) = (0, 0);
for my $kid (@kids) {
    waitpid $kid->[0], 0;
    my $got = do { local $/; readline $kid->[1] } // 'x';
    $got =~ /^\d+$/ ? ($sum += $got) : $failed++;
}
is $failed, 0, 'six concurrent passes on two nodes all answered';
my $in = join ',', map { "'$_'" } @ids;
my ($jobs) = db_rows("SELECT COUNT(*), COUNT(DISTINCT melding_id) FROM "
    . "bkm_leveranse WHERE mottaker = 'print' AND melding_id IN ($in)");
is_deeply $jobs, [$N, $N], 'every report has exactly one print job';
is $sum, $N, 'and the passes together report each escalation once';
my ($events) = db_rows("SELECT COUNT(*) FROM bkm_hendelse WHERE "
    . "hendelse = 'SENDT_PRINT' AND melding_id IN ($in)");
is $events->[0], $N, 'one SENDT_PRINT event per report';
my ($left) = db_rows("SELECT COUNT(*) FROM bkm_melding WHERE "
    . "tilstand <> 'SENDT_PRINT' AND id IN ($in)");
is $left->[0], 0, 'none missed';
# Issue 17: the passes write their events as sets (bkm_kjede_hendelser);
# each still chains to its report's previous event (README: "The
# tamper-evident trail"), the bytes hashed as t/kjede.t does.
sub enc { defined $_[0] && $_[0] ne '' ? length($_[0]) . ":$_[0]\n" : "-\n" }
my (%prev, $bad);
for my $r (db_rows("SELECT melding_id, nr, tidspunkt, tilstand, hendelse, "
                   . "aktor, beskrivelse, kjede FROM bkm_hendelse WHERE "
                   . "melding_id IN ($in) ORDER BY melding_id, nr")) {
    my $k = pop @$r;
    my $p = $prev{$r->[0]} // '0' x 64;
    $bad++ unless defined $k && $k eq Digest::SHA::sha256_hex(
        "bkm-kjede-1\nhendelse\n" . join('', map { enc($_) } @$r) . "$p\n");
    $prev{$r->[0]} = $k // '';
}
ok !$bad && keys %prev == $N, "each report's timeline chain holds "
    . 'after the concurrent passes';
stop_node('node2');

# ---- the watchdog runs passes by itself ----------------------------------
my $node3 = start_node('node3', $ENV{BKM_NODE3_PORT},
                       'BekymringEscalationInterval 1s');
my $wid = post_report($node3, $accepted);
ok $wid, 'a report long overdue';
my $state = '';
for (1 .. 40) {
    ($state) = map { $_->[0] } db_rows("SELECT tilstand FROM bkm_melding "
                                        . "WHERE id = '$wid'");
    last if $state eq 'SENDT_PRINT';
    select undef, undef, undef, 0.25;
}
is $state, 'SENDT_PRINT', 'the watchdog sent it to letter post unasked';
stop_node('node3');
