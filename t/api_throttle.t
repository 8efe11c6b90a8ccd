# SPDX-License-Identifier: Apache-2.0
# Wrong IntegrasjonPassord guesses are throttled: after 10 failures in a
# window of 5 minutes an address gets 429 with Retry-After and its
# passwords are not looked at; an integration under attack stays usable
# from an address that does not fail; every lock ends with its window.
# The clients come from addresses of their own on loopback (127.0.0.2x),
# and the requests carry the test build's clock, at a time no other test
# uses, so that nothing here touches the other tests' counts.
use strict;
use IO::Socket::INET;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use LWP::UserAgent;
use POSIX ();
use lib 't/lib';
use BkmTest qw(dev_token json_of base_url error_log);

plan tests => 29;

my $api = base_url() . '/bekymringsmelding/api/v2/konto';
# A window of our own: 400 days ahead, to the microsecond.
my $T = (time() + 400 * 86400) * 1_000_000;
my %ua;

# GET the account list from address $ip at $T + $s seconds.
sub call {
    my ($ip, $s, @h) = @_;
    my %h = @h;                     # later pairs replace earlier ones
    $ua{$ip} //= LWP::UserAgent->new(local_address => $ip, timeout => 30);
    return $ua{$ip}->get($api, %h, 'Bkm-Test-Klokke' => $T + $s * 1_000_000);
}

my %x = dev_token('fagsystem-0301-16');
my %p = dev_token('print');
my ($A, $B, $C, $D) = map { "127.0.0.2$_" } 1 .. 4;

is call($A, 0, %x)->code, 200, 'the right password: 200';
my @codes = map { call($A, $_, %x, IntegrasjonPassord => "wrong$_")->code }
    1 .. 10;
is_deeply \@codes, [(401) x 10], 'ten wrong passwords from one address: 401';

my $res = call($A, 11, %x, IntegrasjonPassord => 'wrong11');
is $res->code, 429, 'the eleventh: 429';
my $ra = $res->header('Retry-After') // '';
like $ra, qr/^\d+$/, 'with Retry-After in seconds';
ok +($ra || 0) > 0 && $ra <= 300 - 10, "for the rest of the window ($ra s)";
my $j = json_of($res) // {};
is $j->{errorId}, 'for-mange-forsok', 'in the JSON error shape';
like $j->{correlationId} // '', qr/^[0-9a-f]{16}$/, 'with a correlationId';

is call($A, 12, %x)->code, 429,
    'the right password from that address too (it is not looked at)';
is call($A, 13, %p)->code, 429, "and another integration's from it";

# The integration itself is not locked out by someone else's failures.
is call($B, 14, %x)->code, 200,
    'the right password from another address: 200';
is call($B, 15, %x)->code, 200, 'and again';
is call($C, 16, %p)->code, 200,
    'another integration from another address: 200';
# But an address that fails while the integration is under attack waits.
is call($B, 17, %x, IntegrasjonPassord => 'wrong')->code, 401,
    'a wrong password from the other address: 401';
$res = call($B, 18, %x);
is $res->code, 429,
    'then the integration (10 failures) is closed to that address: 429';
ok(($res->header('Retry-After') // 0) <= 300 - 17,
   'until the integration\'s window ends');

# Unknown ids are counted like real ones (the answer tells nothing).
my $unknown = '00000000-0000-4000-8000-00000000abcd';
@codes = map { call($D, 20 + $_, %x, IntegrasjonId => $unknown)->code }
    1 .. 10;
is_deeply \@codes, [(401) x 10], 'ten unknown ids from one address: 401';
is call($D, 31, %x, IntegrasjonId => $unknown)->code, 429,
    'then 429, as for a real one';
is call($D, 32, %x)->code, 429, 'and the address waits';

# Windows end: 300 s after the first failure in them.
is call($A, 299, %x)->code, 429, 'one second before the window ends: 429';
is call($A, 302, %x)->code, 200,
    'after the window: the right password from the first address works';
is call($A, 303, %x, IntegrasjonPassord => 'wrong')->code, 401,
    'and a wrong one is a 401 again (a new window)';
is call($B, 304, %x)->code, 200,
    'the integration is open again to the other address';

# A client's own burst of right passwords is not a guess: each answer is
# 200, or at worst (when too many of them need bcrypt at once) a 429 that
# asks for a retry after one second, which then works.
{
    my $F = '127.0.0.26';
    pipe my $rd, my $wr or die;
    my @kids;
    for my $k (1 .. 12) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            my $r = call($F, 3000, %p);
            syswrite $wr, $r->code . ' ' . ($r->header('Retry-After') // '-')
                . "\n";
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    close $wr;
    my @got = <$rd>;
    waitpid $_, 0 for @kids;
    chomp @got;
    my @odd = grep { $_ !~ /^(200 -|429 1)$/ } @got;
    ok @got == 12 && !@odd, '12 right logins at once: 200 (or retry in 1 s)'
        or diag "@got";
    select undef, undef, undef, 1.1 if grep { /^429/ } @got;
    is call($F, 3002, %p)->code, 200, 'and the address is not held';
}

# The status page counts in a half of the table of its own: a flood of
# cheap lookups (no password, no database) from fresh addresses never
# pushes out the failures that lock an address (an outside attack wiped
# them with 30,000 lookups and could guess on).
{
    my $G = '127.0.0.27';
    call($G, 5000 + $_, %x, IntegrasjonPassord => "wrong$_") for
        1 .. 10;
    is call($G, 5011, %x)->code, 429, 'an address at its limit: 429';
    my $clock = sprintf '%.0f', $T + 5020 * 1_000_000;
    my ($port) = base_url() =~ /:(\d+)$/;
    my $sent = 0;
    for my $n (1 .. 30000) {
        my $from = sprintf '127.%d.%d.%d', 1 + ($n >> 16), ($n >> 8) & 255,
            1 + ($n & 254);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, LocalAddr => $from, Proto => 'tcp') or next;
        print $s "GET /status?kode=x HTTP/1.0\r\nBkm-Test-Klokke: $clock"
            . "\r\n\r\n";
        local $/;
        my $answer = <$s>;
        $sent++ if ($answer // '') =~ m{^HTTP/1\.\d 400};
        close $s;
    }
    cmp_ok $sent, '>', 25000, "$sent status lookups from fresh addresses";
    is call($G, 5030, %x)->code, 429, 'the address is still at its limit';
}

my $log = error_log();
like $log, qr/BKM02904: 10 failed integration logins from 127\.0\.0\.21/,
    'the address reaching the limit is logged';
ok index($log, $x{IntegrasjonPassord}) < 0 && $log !~ /wrong\d/,
    'no password is logged';
