# SPDX-License-Identifier: Apache-2.0
# make bench (not make test): the reporter's pages (issue 5), against the
# suite's real httpd on SQLite or (TEST_PGSQL=1) PostgreSQL, logged in
# once through the ID-porten stand-in (the login round-trip is not
# measured; every request carries the session cookie that mod_auth_openidc
# checks):
#   1. GET /privat/skjema (the private form, rendered from its template in
#      the page's language) beside a stock httpd serving a static file of
#      the same bytes (BkmBench::yardstick, issue 17, item 7), with wrk (2
#      threads x 8 connections, rounds in turn); target: the form at
#      >= 50 % of the static rate.
#   2. POST /privat/send: a whole private report from the form (CSRF
#      token, a fresh one-time token each, parse, validate, PDF, seal,
#      store, 303 to the receipt), 8 clients (BkmBench::run_clients), each
#      with a one-time token from a form page fetched beforehand.
# Not a test of speed: it asserts only that every request worked.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use lib 't/lib', 't/bench';
use BkmTest qw(base_url login_ua login spit db_rows);
use BkmBench qw(wrk_get fmt_ms ms_of yardstick row run_clients percentile);
use File::Temp qw(tempdir);

plan skip_all => 'benchmarks run with make bench (BKM_BENCH=1)'
    unless $ENV{BKM_BENCH};
plan tests => 9;

my $secs = $ENV{BKM_BENCH_SECONDS} || 5;
my $engine = $ENV{TEST_PGSQL} ? 'PostgreSQL' : 'SQLite (WAL)';
my $base = base_url();
my $dir = tempdir(CLEANUP => 1);
my $form = '/privat/skjema?kommune=0301&bydel=01';
my ($port) = $base =~ /:(\d+)$/;
my $clients = 8;

my $ua = login_ua();
my $res = login($ua, $form, 'kari', 'substantial');
is $res->code, 200, 'logged in at the form';
my $cookies = join '; ', do {
    my @c;
    $ua->cookie_jar->scan(sub { push @c, "$_[1]=$_[2]" if $_[4] =~ /127\.0\.0\.1/ });
    @c;
};
my $page = $res->content;
my ($csrf) = $page =~ /name="csrf" value="([0-9a-f]{64})"/;
ok $csrf, 'the form has its CSRF token';

# --- 1. the form page beside a static file of the same size ---
my $y = yardstick(url => "$base$form", headers => [ Cookie => $cookies ],
                  body => $page, name => 'bench-skjema.html');
ok !$y->{bad}, 'static and form page: every request answered 200'
    or diag $y->{out};
ok $y->{rps}, 'the form page was measured';
diag sprintf "pages on %s: GET the private form, %d bytes, logged in "
    . "(wrk, 2 threads x 8 connections): stock static file %.0f/s; "
    . "form page %.0f/s (p50 %s, p99 %s) = %.1f %% of static (target >= 50 %%)",
    $engine, length $page, $y->{static}, $y->{rps}, fmt_ms($y->{p50}),
    fmt_ms($y->{p99}), 100 * $y->{ratio};
row(block => 'pages', key => 'pages.form', figure => 'logged-in form page '
    . '(GET /privat/skjema, ' . length($page) . ' bytes)',
    value => 100 * $y->{ratio},
    show => sprintf('%.0f %% (%.0f/s, p99 %s)', 100 * $y->{ratio}, $y->{rps},
                    fmt_ms($y->{p99})),
    op => '>=', target => 50, goal => '>= 50 %',
    against => sprintf('stock static, same %d bytes: %.0f/s (%.0f us CPU/req; '
                       . 'portal %.0f us)', $y->{bytes}, $y->{static},
                       $y->{static_cpu}, $y->{cpu}), noisy => 1);

# --- 2. the report POST, a fresh one-time token per request ---
my $before = (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0];
my $body = join '&', "csrf=$csrf", 'kommune=0301', 'bydel=01',
    'handling=send', 'privatMelder.telefonnummer=91234567',
    'privatBarn.0.personnavn=Bench+Barn',
    'privatBarn.0.adresse.adresselinje1=Storgata+1',
    'privatBarn.0.adresse.postnummer=0155',
    'melding=' . ('Jeg+er+bekymret+for+barnet.+' x 40);
# The one-time tokens are the server's, bound to the person (bkm_token.h):
# one from a form page for each post, fetched beforehand; then 8 clients
# post them, each on one kept-alive connection.
my $posts = $ENV{BKM_BENCH_POSTS} || 1000;
my $hdr = "Cookie: $cookies\r\n";
my $tok = run_clients($clients, [1 .. $posts], sub {
    my ($c) = @_;
    my ($st, $html) = $c->request('GET', $form, $hdr);
    return "GET: $st" if $st != 200;
    my ($t) = $html =~ /name="skjema" value="([0-9a-f]{64})"/;
    return 'no token' unless $t;
    print {$c->{out}} "$t\n";
    return undef;
}, $port, 1);
my @tokens = @{ $tok->{out} // [] };
is scalar @tokens, $posts, "$posts one-time tokens from form pages"
    or diag join "\n", @{ $tok->{errors} };
my $post_h = $hdr . "Content-Type: application/x-www-form-urlencoded\r\n";
my $r = run_clients($clients, \@tokens, sub {
    my ($c, $t) = @_;
    my ($st) = $c->request('POST', '/privat/send', $post_h,
                           "$body&skjema=$t");
    return $st == 303 ? undef : "POST: $st";
}, $port);
my $n = @{ $r->{lat} };
my $rps = $n / $r->{secs};
my $p50 = percentile(50, @{ $r->{lat} });
my $p99 = percentile(99, @{ $r->{lat} });
ok !$r->{nerr}, 'every post answered 303'
    or diag join "\n", @{ $r->{errors} };
my $after = (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0];
is $after - $before, $n - $r->{nerr}, 'a report stored for every post';
cmp_ok $n // 0, '>', 0, 'posts were made';
ok $rps, 'a rate was measured';
diag sprintf "pages on %s: POST /privat/send, a whole private report from "
    . "the form (%d bytes of form, a new one-time token each; 8 "
    . "clients): %.0f/s (p50 %s, p99 %s), %d reports stored",
    $engine, length($body) + 72, $rps // 0, fmt_ms($p50),
    fmt_ms($p99), $after - $before;
row(block => 'pages', key => 'pages.post', figure => 'POST /privat/send, '
    . 'a whole report from the form (8 clients)', value => $rps // 0,
    show => sprintf('%.0f/s (p99 %s)', $rps // 0, fmt_ms($p99)),
    noisy => 1);
