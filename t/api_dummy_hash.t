# SPDX-License-Identifier: Apache-2.0
# Logins at production's bcrypt cost.  The suite's registry hashes at
# cost 5 (fast tests), so this starts a node whose registry has one
# integration at cost 10 and checks there that an unknown IntegrasjonId
# takes as long to refuse as a wrong password for a real one (or the time
# of the answer tells which ids exist), each request from an address of
# its own (127.0.0.3x) so that the login throttle does not step in; and
# that guesses sent at once, each taking bcrypt's time, do not pass the
# throttle's limit together.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use LWP::UserAgent;
use JSON::PP;
use Time::HiRes qw(time);
use POSIX ();
use lib 't/lib';
use BkmTest qw(root dev_token start_node stop_node slurp spit);

plan tests => 5;

my $dev = root() . '/t/dev';
my %x = dev_token('fagsystem-0301-02');
my $hash = `htpasswd -nbBC 10 x '$x{IntegrasjonPassord}'`;
$hash =~ s/^x:|\s+$//g;
my $reg = JSON::PP->new->decode(slurp("$dev/registry.json"));
$_->{passordHash} = $hash
    for grep { $_->{integrasjonId} eq $x{IntegrasjonId} }
        @{ $reg->{integrasjoner} };
# Beside the original, so that its relative certificate paths resolve.
spit("$dev/registry-cost10.json", JSON::PP->new->encode($reg));

my $port = $ENV{BKM_NODE2_PORT};
my $owner = $$;
END { stop_node('cost10') if $$ == $owner }
my $base = start_node('cost10', $port,
                      "BekymringRegistry $dev/registry-cost10.json");
my $api = "$base/bekymringsmelding/api/v2/konto";

my $n = 0;
sub seconds {
    my (%h) = @_;
    my $ua = LWP::UserAgent->new(local_address => '127.0.0.' . (30 + $n++),
                                 timeout => 30);
    my $t0 = time;
    my $code = $ua->get($api, %h)->code;
    return ($code, time - $t0);
}
sub median { my @s = sort { $a <=> $b } @_; $s[@s / 2] }

my ($code) = seconds(%x);
is $code, 200, 'the integration logs in with its cost-10 password';

my (@known, @unknown, @codes);
for (1 .. 5) {
    my ($c1, $t1) = seconds(%x, IntegrasjonPassord => "wrong$_");
    my ($c2, $t2) = seconds(%x, IntegrasjonId =>
                            "00000000-0000-4000-8000-00000000000$_");
    push @codes, $c1, $c2;
    push @known, $t1;
    push @unknown, $t2;
}
is_deeply \@codes, [(401) x 10], 'wrong password and unknown id: 401';
my ($k, $u) = (median(@known), median(@unknown));
diag sprintf 'median refusal: wrong password %.1f ms, unknown id %.1f ms',
    $k * 1000, $u * 1000;
# bcrypt at cost 10 is 32 times the work of cost 5: a cheaper dummy shows
# at once; the same cost is within noise.
cmp_ok $u, '>', $k / 2, 'an unknown id takes as long as a wrong password';
cmp_ok $u, '<', $k * 2, 'and not much longer';

# 30 guesses at once from one address: at most the limit (10) have their
# password checked, the others wait (429), however long bcrypt takes.
{
    pipe my $rd, my $wr or die;
    my @kids;
    for my $k (1 .. 30) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $rd;
            my $ua = LWP::UserAgent->new(local_address => '127.0.0.29',
                                         timeout => 60);
            my $c = $ua->get($api, %x, IntegrasjonId =>
                             '00000000-0000-4000-8000-0000000000ee')->code;
            syswrite $wr, "$c\n";
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    close $wr;
    my @got = <$rd>;
    waitpid $_, 0 for @kids;
    chomp @got;
    my $checked = grep { $_ eq '401' } @got;
    my $refused = grep { $_ eq '429' } @got;
    ok $checked <= 10 && $checked + $refused == 30,
        "30 guesses at once: $checked checked (at most 10), $refused 429";
}

