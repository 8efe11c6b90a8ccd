# SPDX-License-Identifier: Apache-2.0
# The person's identity stays out of the access log (issue 15, item 8).
# mod_auth_openidc makes ID-porten's "sub" (a stable identifier of the
# reporter) the request's user, which Debian's combined format writes as
# %u.  The suite's server keeps a log with %u (t/conf/extra.conf.in): after
# a login and pages behind it, no line holds the person's sub, while a
# machine client's client_id (an organisation's integration) is still
# there.  The shipped site file's own format has no %u at all.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(login_ua login base_url dev_token root slurp);
use Digest::SHA qw(sha256_base64);

plan tests => 8;

my $log = Apache::Test::config()->{vars}{t_logs} . '/user_log';
my $from = -s $log // 0;    # the log outlives runs: read this run's lines

# The stand-in's sub for Kari (build/idporten-dev/op.mjs): base64url of
# SHA-256 over "idporten-dev:" and her pid.
(my $sub = sha256_base64('idporten-dev:01017012345')) =~ tr{+/}{-_};

my $ua = login_ua();
my $res = login($ua, '/meg', 'kari', 'substantial');
is $res->code, 200, 'Kari logged in';
$res = $ua->get(base_url() . '/meg');
is $res->code, 200, 'and sees /meg';
$res = $ua->get(base_url() . '/privat/skjema?kommune=0301');
is $res->code, 200, 'and the form behind the login';

my %fag = dev_token('fagsystem-0301-01');
is GET('/bekymringsmelding/api/v2/konto', %fag)->code, 200,
    'a machine client calls the API';

# httpd writes a request's access-log line after the answer has gone out
# (log_transaction runs once the response is sent), so the client can be
# here before its own line is: wait until the API call's line is written.
my $lines = '';
for (1 .. 50) {
    $lines = substr(slurp($log), $from);
    last if $lines =~ m{"GET /bekymringsmelding/api/v2/konto"}
        && $lines =~ m{"GET /privat/skjema};
    select undef, undef, undef, 0.1;
}
my @meg = grep { m{"GET /meg"} } split /\n/, $lines;
ok @meg >= 1 && !grep({ !/^- / } @meg),
    'the lines of the pages behind the login have no user'
    or diag join "\n", @meg;
unlike $lines, qr/\Q$sub\E/, 'the person\'s sub is nowhere in the log';
like $lines, qr{^\S*[^\s-]\S* "GET /bekymringsmelding/api/v2/konto" 200}m,
    'the machine client\'s id is kept';

# The shipped site file's access logs: no user, no query string, no
# request line (which holds the query) and no Referer.
my $site = slurp(root() . '/conf/bekymring-site.conf');
my @formats = $site =~ /^\s*(?:LogFormat|CustomLog \S+) "((?:[^"\\]|\\.)*)"/mg;
ok @formats >= 2 && !grep({ /%(?:\{[^}]*\})?[<>]?[urq]/ || /Referer/i } @formats),
    'conf/bekymring-site.conf logs without %u, %r, %q or Referer'
    or diag join "\n", @formats;
