# SPDX-License-Identifier: Apache-2.0
# Logins in a farm (README "Logins in a farm"): a person logged in on one
# node is served by another, the login survives a graceful restart of both
# (the daily logrotate reload), and a login that runs out while the person
# writes still keeps the text as a sealed draft, across nodes.  The session
# is mod_auth_openidc's client-cookie session (OIDCSessionType
# client-cookie) under the farm's shared OIDCCryptoPassphrase.
#
# Cookies do not tell ports apart, so one cookie jar for 127.0.0.1 is what
# a browser behind the farm's load balancer holds.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url login_ua login db_rows start_node stop_node);
use HTTP::Request::Common qw(POST);
use Encode qw(decode_utf8);
use BkmHarness ();

plan tests => 20;

my $node1 = base_url();
my $node2 = start_node('farm-login-node2', $ENV{BKM_NODE2_PORT});
ok $node2, 'a second node on the same database';

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }

sub fields_of {
    my ($page) = @_;
    my %f;
    $f{$1} = $2 while $page =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
    return %f;
}

# The session's cookies: what mod_auth_openidc set (plain or in chunks).
sub session_cookies {
    my ($ua) = @_;
    my @c;
    $ua->cookie_jar->scan(sub { push @c, [@_[1, 2]] if $_[1] =~ /^mod_auth_openidc_session/ });
    return @c;
}

my $ua = login_ua();
my $res = login($ua, "$node1/privat/skjema?kommune=4601", 'kari', 'substantial');
is $res->code, 200, 'logged in on node 1';
my @session = session_cookies($ua);
ok scalar(@session), 'the session is a cookie in the browser';
my $bytes = 0;
$bytes += length($_->[0]) + length($_->[1]) + 3 for @session;
cmp_ok $bytes, '<', 7000,
    "and small enough for httpd's request header limit ($bytes bytes)";

# Served by the other node: no new login.
$ua->max_redirect(0);
$res = $ua->get("$node2/privat/skjema?kommune=4601");
is $res->code, 200, 'node 2 serves the logged-in person without a login';
like decode_utf8($res->content), qr{<dd id="innlogget-navn">Kari Nordmann</dd>},
    'as the same person';
$res = $ua->get("$node2/meg");
is $res->code, 200, 'also on a page that needs the login (/meg)';

# A graceful restart of both nodes (SIGUSR1 to each parent), as logrotate's
# daily reload does.
sub graceful {
    my ($pidfile, $log, $url) = @_;
    open my $f, '<', $pidfile or die "$pidfile: $!";
    my ($pid) = <$f> =~ /(\d+)/;
    my $from = -s $log // 0;
    kill 'USR1', $pid or die "graceful $pid: $!";
    # Done once the parent has re-read its configuration and says so.
    my $probe = LWP::UserAgent->new(timeout => 5);
    for (1 .. 240) {
        select undef, undef, undef, 0.25;
        open my $l, '<', $log or next;
        seek $l, $from, 0;
        my $new = do { local $/; <$l> } // '';
        return $probe->get("$url/helse")->code == 200
            if $new =~ /resuming normal operations/;
    }
    return 0;
}
my $vars = Apache::Test::config()->{vars};
ok graceful("$vars->{t_logs}/httpd.pid", "$vars->{t_logs}/error_log", $node1),
    'node 1 restarted gracefully';
my $n2 = BkmTest::dev_dir() . '/farm-login-node2';
ok graceful("$n2/pid", "$n2/error_log", $node2),
    'node 2 restarted gracefully';
for my $node ($node1, $node2) {
    $res = $ua->get("$node/privat/skjema?kommune=4601");
    is $res->code, 200, "after the graceful, still logged in on $node";
}

# The login runs out while the person writes on node 2: the session's
# cookies are gone, ours stay.
$res = $ua->get("$node2/privat/skjema?kommune=4601");
my %hidden = fields_of(decode_utf8($res->content));
like $hidden{skjema} // '', qr/^[0-9a-f]{64}$/, 'a form from node 2';
my @gone;
$ua->cookie_jar->scan(sub { push @gone, [@_[4, 3, 1]] if $_[1] !~ /^bkm_/ });
$ua->cookie_jar->clear(@$_) for @gone;
is scalar(session_cookies($ua)), 0, 'the login ran out';
my %long = (%hidden, handling => 'send',
    'privatBarn.0.personnavn' => 'Lise',
    'privatBarn.0.adresse.adresselinje1' => 'Bryggen 3',
    'melding' => "Skrevet på node 2.\n" . ('Detaljer. ' x 200));
my $before = count();
$res = $ua->request(POST "$node2/privat/send", [%long]);
is $res->code, 303, 'a post after the login ran out, on node 2';
my ($draft) = ($res->header('Location') // '') =~ /utkast=([0-9a-f-]{36})/;
ok $draft, 'goes back to the form through a new login, with a draft';

# The new login happens on node 1 (the balancer sent it there).
$ua->max_redirect(15);
$res = login($ua, $node1 . $res->header('Location'), 'kari', 'substantial');
is $res->code, 200, 'after the new login, on node 1';
my $html = decode_utf8($res->content);
like $html, qr/value="Lise"/, 'the text written on node 2 is there';
like $html, qr/Skrevet på node 2\.\n(Detaljer\. ){200}</, 'all of it';
is count(), $before, 'nothing was sent without the person';
my ($row) = db_rows("SELECT COUNT(*) FROM bkm_utkast WHERE id = '$draft'");
is $row->[0], 0, 'the draft is gone once shown';

stop_node('farm-login-node2');
