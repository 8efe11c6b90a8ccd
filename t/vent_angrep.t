# SPDX-License-Identifier: Apache-2.0
# Long-polls as an outside case system ends them (issue 15, item 6,
# attacked from outside): the README promises that a client that hangs up
# frees its place (and its worker) at the next look, within a second.
# Over TLS -- how every case system calls in production -- a client that
# closes sends close_notify before its FIN, so the socket had bytes to
# read and the wait's "peek reads nothing" check never saw the end: the
# place stayed taken for the whole vent (27 s of 30 measured), and an
# integration that reconnected got 429 all that time.  Here: a node with a
# TLS virtual host; four long-polls there, closed the TLS way and reset
# (RST), each time the places are free again within seconds.  And one
# httpd with two portals: the share of its workers holds for both together;
# and a child killed outright (no cleanup runs) leaves no place taken.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root json_of dev_token start_node stop_node slurp);
use BkmHarness;
use JSON::PP;
use LWP::UserAgent;
use IO::Socket::SSL;
use Socket qw(SOL_SOCKET SO_LINGER);
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

plan tests => 19;

my $name = 'fagsystem-0301-16';
my $ints = JSON::PP->new->decode(slurp(root() . '/t/dev/integrations.json'));
my ($me) = grep { $_->{navn} eq $name } @{ $ints->{integrasjoner} };
my $konto = $me->{kontoer}[0]{kontoId};

# A TLS virtual host on a node of its own, with a certificate made here.
my $dir = BkmTest::dev_dir() . '/vent-angrep-tls';
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";
system("openssl req -x509 -newkey rsa:2048 -nodes -keyout $dir/tls.key "
    . "-out $dir/tls.pem -days 1 -subj /CN=127.0.0.1 2>/dev/null") == 0
    or die "openssl req failed\n";
my $tls_port = BkmHarness::free_port();
start_node('vent-angrep', undef,
    'LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so',
    "Listen 127.0.0.1:$tls_port",
    "<VirtualHost 127.0.0.1:$tls_port>\n  SSLEngine on\n"
    . "  SSLCertificateFile $dir/tls.pem\n"
    . "  SSLCertificateKeyFile $dir/tls.key\n</VirtualHost>");
my $url = "https://127.0.0.1:$tls_port/bekymringsmelding/api/v2/konto/"
    . "$konto/meldinger";
my $ua = LWP::UserAgent->new(timeout => 60,
    ssl_opts => { verify_hostname => 0, SSL_verify_mode => 0 });

sub call {
    my ($method, $u, @h) = @_;
    return $ua->request(HTTP::Request->new($method, $u,
                                           [dev_token($name), @h]));
}

# Nothing waiting on the account, so that its long-polls wait.
for (1 .. 20) {
    my $list = (json_of(call('GET', $url)) // {})->{meldinger} // [];
    last if !@$list;
    for (@$list) {
        call('GET', "$url/$_->{meldingId}");
        sleep 0.2;
        call('POST', "$url/$_->{meldingId}/svar",
             meldingType => 'no.ks.fiks.bekymringsmelding.mottatt.v1');
    }
}
is_deeply((json_of(call('GET', $url)) // {})->{meldinger}, [],
          'the account has nothing waiting');

# ---- one httpd, two portals: the share is of the server's workers ------
# A hosting provider's httpd with two portals (a tenant each, or staging
# beside production with a copy of its registry): each counted its waits in
# a table of its own, so each could hold its share (25 %) and two held
# half of the workers, four all of them.  Here 16 workers, a share of 4:
# one portal's four waits fill the server's share for the other too.
my $copy = BkmTest::dev_dir() . '/registry-vent-angrep.json';
system('cp', BkmTest::dev_dir() . '/registry.json', $copy) == 0
    or die "cp: $!\n";
my $two_port = BkmHarness::free_port();
my $two = start_node('vent-angrep-to', $two_port, { body => <<"EOF" });
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
<VirtualHost 127.0.0.1:$two_port>
    ServerName 127.0.0.1
    Include ${\ root()}/conf/dev/portal.conf
    BekymringPostCheckRate 0
</VirtualHost>
<VirtualHost 127.0.0.1:$two_port>
    ServerName b.example
    Include ${\ root()}/conf/dev/portal.conf
    BekymringRegistry $copy
    BekymringPostCheckRate 0
</VirtualHost>
EOF
ok $two, 'an httpd with two portals and 16 workers starts';
{
    my $plain = LWP::UserAgent->new(timeout => 60);
    my $path = "/bekymringsmelding/api/v2/konto/$konto/meldinger";
    my $ask = sub {
        my ($host, $query) = @_;
        return $plain->request(HTTP::Request->new('GET',
            "$two$path$query", [dev_token($name), Host => $host]));
    };
    is $ask->('b.example', '')->code, 200, 'the second portal answers';
    my @held = map {
        my %h = dev_token($name);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $two_port, Timeout => 10) or die "connect: $!\n";
        print $s "GET $path?vent=20 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
        $s;
    } 1 .. 4;
    my $res;
    for (1 .. 40) {
        $res = $ask->('127.0.0.1', '?vent=1');
        last if $res->code == 429;
        sleep 0.25;
    }
    is $res->code, 429, 'the first portal: four waiting, the fifth 429';
    $res = $ask->('b.example', '?vent=2');
    is $res->code, 429, "the other portal's long-poll: 429, the server's "
        . 'share is full';
    like((json_of($res) // {})->{feilmelding} // '', qr/this server/,
         'saying the server is full');
    close $_ for @held;
    stop_node('vent-angrep-to');
}


# ---- a child killed mid-wait: its places are free at once --------------
# A child killed outright (SIGKILL, a crash) runs no cleanup; its places
# counted as taken until a minute after their wait (up to 91 s of 429).
my $kill_port = BkmHarness::free_port();
my $kill = start_node('vent-angrep-kill', $kill_port,
    "StartServers 1\nServerLimit 1\nThreadsPerChild 16\n"
    . "MaxRequestWorkers 16");
ok $kill, 'a node with one child process starts';
{
    my $plain = LWP::UserAgent->new(timeout => 60);
    my $path = "/bekymringsmelding/api/v2/konto/$konto/meldinger";
    my $ask = sub {
        return $plain->request(HTTP::Request->new('GET',
            "$kill$path$_[0]", [dev_token($name)]));
    };
    my @held = map {
        my %h = dev_token($name);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $kill_port, Timeout => 10) or die "connect: $!\n";
        print $s "GET $path?vent=30 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
        $s;
    } 1 .. 4;
    my $res;
    for (1 .. 40) {
        $res = $ask->('?vent=1');
        last if $res->code == 429;
        sleep 0.25;
    }
    is $res->code, 429, 'four waiting in the one child: the fifth 429';
    # The node's children (this test started the node): SIGKILL each.
    my $parent = BkmTest::node_pid('vent-angrep-kill');
    my @children = grep { ppid_of($_) == $parent }
        map { m{/proc/(\d+)$} ? $1 : () } glob '/proc/[0-9]*';
    ok @children && kill('KILL', @children) == @children,
        'its child killed outright (' . scalar(@children) . ')';
    my $t0 = time;
    for (1 .. 60) {
        $res = $ask->('?vent=1');
        last if $res->code == 200;
        sleep 0.25;
    }
    is $res->code, 200, 'a long-poll waits again';
    cmp_ok time - $t0, '<', 8, sprintf 'within seconds (%.1f), not a '
        . 'minute and a half', time - $t0;
    close $_ for @held;
    stop_node('vent-angrep-kill');
}


sub poll {
    my %h = dev_token($name);
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1',
        PeerPort => $tls_port, SSL_verify_mode => 0, Timeout => 10)
        or die "tls: $SSL_ERROR\n";
    print $s "GET /bekymringsmelding/api/v2/konto/$konto/meldinger?vent=30 "
        . "HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    return $s;
}
# Ask until the answer is $want; (the answer, the seconds it took).
sub eventually {
    my ($want, $max) = @_;
    my $t0 = time;
    my $res;
    while (time - $t0 < $max) {
        $res = call('GET', "$url?vent=1");
        last if $res->code == $want;
        sleep 0.25;
    }
    return ($res, time - $t0);
}

for my $how (['closed with close_notify', sub { $_[0]->close }],
             ['reset (RST)', sub {
                  setsockopt($_[0], SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
                  CORE::close($_[0]);
              }]) {
    my @held = map { poll() } 1 .. 4;
    sleep 1;
    my ($res) = eventually(429, 10);
    is $res->code, 429, "$how->[0]: four waiting over TLS, the fifth 429";
    $how->[1]->($_) for @held;
    my $secs;
    ($res, $secs) = eventually(200, 15);
    is $res->code, 200, "$how->[0]: the places are free again";
    cmp_ok $secs, '<', 5, sprintf '%s: within seconds (%.1f), not at the '
        . 'end of the 30', $how->[0], $secs;
    sleep 2;    # the last of them is seen at its next look
}

# The node has no error of ours to show for it.
my $log = slurp(BkmTest::dev_dir() . '/vent-angrep/error_log');
unlike $log, qr/\[(?:crit|alert|emerg)\]/, 'no critical line in the log';
stop_node('vent-angrep');
ok !BkmTest::node_pid('vent-angrep'), 'the node stopped';

# The parent of process $pid, from /proc (0 once it is gone: any process
# of the machine may end between the glob and the open).
sub ppid_of {
    my ($pid) = @_;
    open my $st, '<', "/proc/$pid/stat" or return 0;
    my $line = <$st> // '';
    return (split ' ', ($line =~ s/^.*\) //r))[1] // 0;
}
