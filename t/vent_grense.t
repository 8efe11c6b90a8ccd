# SPDX-License-Identifier: Apache-2.0
# Waiting clients cannot starve the server (issue 15, item 6; server/vent.c):
# one integration may have BekymringLongPollLimit long-polls (?vent=N)
# waiting at once (default 4), a node BekymringLongPollShare of
# MaxRequestWorkers in all (default 25 %: 5 of the suite's 20).  Beyond
# either: 429 with Retry-After and a JSON error.  A place is free again
# when its wait ends, however it ends (answered, the client hung up, a
# graceful restart).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url json_of dev_token run_httpd_t);
use BkmCaseSystem;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);

plan tests => 37;

my $base = base_url();
my ($port) = $base =~ /:(\d+)$/;
my $pki = root() . '/t/dev/pki';

sub cs {
    my ($name, $k) = @_;
    return BkmCaseSystem->new(base => $base, name => $name,
        key => "$pki/$k.key", cert => "$pki/$k.pem");
}
my $a = cs('fagsystem-0301-16', '0301-16-fagsystem');
my $b = cs('fagsystem-4601-00', '4601-00-fagsystem');
my $c = cs('fagsystem-0301-01', '0301-01-fagsystem');

# An account with nothing waiting, so that its long-polls really wait.
sub drain {
    my ($cs) = @_;
    for (1 .. 100) {
        my ($res, $list) = $cs->list;
        return 1 if $res->code == 200 && !@$list;
        for (@$list) {
            $cs->fetch($_->{meldingId});
            $cs->answer($_->{meldingId}, 'mottatt');
        }
    }
    return 0;
}
ok drain($a), 'the first integration has nothing waiting';
ok drain($b), 'the second neither';

# A long-poll on its own connection, left open: the socket.
sub poll {
    my ($cs, $vent) = @_;
    my %h = dev_token($cs->{name});
    my $path = $cs->url("?vent=$vent") =~ s{^https?://[^/]+}{}r;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 10) or die "connect: $!";
    print $s "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    return $s;
}
# The status of a long-poll's answer, waiting at most $max seconds.
sub status_of {
    my ($s, $max) = @_;
    my $sel = IO::Select->new($s);
    my $text = '';
    my $until = time + $max;
    while (time < $until && $sel->can_read($until - time)) {
        my $n = sysread $s, my $buf, 65536;
        last if !$n;
        $text .= $buf;
    }
    return $text =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 0;
}
sub still_waiting {
    my ($s) = @_;
    return !IO::Select->new($s)->can_read(0);
}
# Ask until the answer is $want (a freed place shows within a look).
sub eventually {
    my ($cs, $query, $want) = @_;
    my $res;
    for (1 .. 40) {
        ($res) = $cs->list($query);
        return $res if $res->code == $want;
        sleep 0.1;
    }
    return $res;
}

# ---- cap + 1 from one integration --------------------------------------
my @held = map { poll($a, 20) } 1 .. 4;
sleep 1.5;
is scalar(grep { still_waiting($_) } @held), 4, 'four long-polls wait';
my $res = eventually($a, 'vent=1', 429);   # (vent=1 never waits)
is $res->code, 429, 'the fifth from the same integration: 429';
my $ra = $res->header('Retry-After') // '';
like $ra, qr/^\d+$/, 'with Retry-After';
ok $ra >= 1 && $ra <= 21, "until the first of its waits ends ($ra s)";
like $res->header('Content-Type') // '', qr{^application/json},
    'a JSON error';
my $j = json_of($res) // {};
is $j->{errorId}, 'for-mange-ventende', 'errorId for-mange-ventende';
like $j->{feilmelding} // '', qr/4 requests waiting already \(at most 4\)/,
    'saying why';
is(($a->list)[0]->code, 200, 'without vent it is answered at once');

# ---- another integration still waits; the node's share ------------------
my $t0 = time;
my $bs = poll($b, 3);
sleep 0.5;
ok still_waiting($bs), "another integration's long-poll waits";
($res) = $c->list('vent=1');
is $res->code, 429, 'a third, with the node at its share (5 of 20): 429';
like((json_of($res) // {})->{feilmelding} // '', qr/this server/,
     'saying the server is full');
like $res->header('Retry-After') // '', qr/^\d+$/, 'with Retry-After';
is status_of($bs, 10), 200, "the other integration's long-poll: 200";
cmp_ok time - $t0, '>=', 1.8, 'after it waited';

# ---- the client hangs up: the places are free ---------------------------
close $_ for @held;
$res = eventually($a, 'vent=1', 200);
is $res->code, 200, 'after the waiters hung up, a long-poll waits again';
is(($c->list('vent=1'))[0]->code, 200, 'and the node has room again');

# Every hung-up wait is seen at its next look (each second, after a
# database query that a busy machine slows): give the last of them time.
sleep 3;

# ---- waits that end by themselves free their places ---------------------
@held = map { poll($a, 5) } 1 .. 4;
sleep 1;
is eventually($a, 'vent=1', 429)->code, 429,
    'four waiting again: the fifth 429';
is_deeply [map { status_of($_, 10) } @held], [200, 200, 200, 200],
    'the four end after their seconds';
is(($a->list('vent=1'))[0]->code, 200, 'then their places are free');

# ---- the hang-up is noticed mid-wait, not at the end of vent ------------
@held = map { poll($a, 30) } 1 .. 4;
sleep 1;
is eventually($a, 'vent=1', 429)->code, 429,
    'four waiting 30 s: the fifth 429';
$t0 = time;
close $_ for @held;
$res = eventually($a, 'vent=1', 200);
is $res->code, 200, 'hung up: free again';
cmp_ok time - $t0, '<', 5, 'within seconds, not at the end of the 30';

# ---- a graceful restart: the new generation's places are all free -------
@held = map { poll($a, 30) } 1 .. 4;
sleep 1;
is eventually($a, 'vent=1', 429)->code, 429, 'four waiting: the fifth 429';
my $pidfile = Apache::Test::config()->{vars}{t_pid_file};
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $parent = <$pf>);
ok kill('USR1', $parent), 'a graceful restart';
$res = eventually($a, 'vent=3', 200);
is $res->code, 200, 'after it, a long-poll waits again at once';
close $_ for @held;
is(($a->list)[0]->code, 200, 'and the server answers as before');

# ---- the directives ----------------------------------------------------
my $load = 'LoadModule bekymring_module ' . root() . '/build/out/mod_bekymring.so';
for my $bad (['BekymringLongPollLimit 0', qr/whole number from 1 to 1000/],
             ['BekymringLongPollLimit x', qr/whole number from 1 to 1000/],
             ['BekymringLongPollShare 0%', qr/1% to 100%/],
             ['BekymringLongPollShare 25', qr/1% to 100%/]) {
    my ($rc, $out) = run_httpd_t($load, $bad->[0]);
    isnt $rc, 0, "refused: $bad->[0]";
    like $out, $bad->[1], "its message: $bad->[0]";
}
my ($rc, $out) = run_httpd_t($load, 'BekymringLongPollLimit 2',
    'BekymringLongPollShare 50%');
is $rc, 0, 'good values are accepted' or diag $out;
