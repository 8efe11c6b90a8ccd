# SPDX-License-Identifier: Apache-2.0
# make bench (not make test): the reporter's pages (issue 5), against the
# suite's real httpd on SQLite or (TEST_PGSQL=1) PostgreSQL, logged in
# once through the ID-porten stand-in (the login round-trip is not
# measured; every request carries the session cookie that mod_auth_openidc
# checks):
#   1. GET /privat/skjema (the private form, rendered from its template in
#      the page's language) beside httpd serving a static file of the same
#      size from the DocumentRoot, with wrk (2 threads x 8 connections);
#      target: the form at >= 50 % of the static rate.
#   2. POST /privat/send: a whole private report from the form (CSRF
#      token, a fresh one-time token each, parse, validate, PDF, seal,
#      store, 303 to the receipt), with wrk and a Lua script, 8 connections.
# Not a test of speed: it asserts only that every request worked.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use lib 't/lib', 't/bench';
use BkmTest qw(base_url login_ua login spit db_rows);
use BkmBench qw(wrk_get fmt_ms ms_of);
use File::Temp qw(tempdir);

plan skip_all => 'benchmarks run with make bench (BKM_BENCH=1)'
    unless $ENV{BKM_BENCH};
plan tests => 8;

my $secs = $ENV{BKM_BENCH_SECONDS} || 5;
my $engine = $ENV{TEST_PGSQL} ? 'PostgreSQL' : 'SQLite (WAL)';
my $base = base_url();
my $dir = tempdir(CLEANUP => 1);
my $form = '/privat/skjema?kommune=0301&bydel=01';

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
my $static = Apache::Test::config()->{vars}{documentroot} . '/bench-skjema.html';
spit($static, $page);
my $s = wrk_get("$base/bench-skjema.html", $secs);
my $f = wrk_get("$base$form", $secs, Cookie => $cookies);
unlink $static;
ok !$s->{bad} && !$s->{errors}, 'static: every request answered 200';
ok !$f->{bad} && !$f->{errors}, 'form page: every request answered 200';
diag sprintf "pages on %s: GET the private form, %d bytes, logged in "
    . "(wrk, 2 threads x 8 connections): static file %.0f/s (p50 %s, p99 %s); "
    . "form page %.0f/s (p50 %s, p99 %s) = %.1f %% of static (target >= 50 %%)",
    $engine, length $page, $s->{rps} // 0, fmt_ms($s->{p50}),
    fmt_ms($s->{p99}), $f->{rps} // 0, fmt_ms($f->{p50}), fmt_ms($f->{p99}),
    100 * ($f->{rps} // 0) / ($s->{rps} || 1);

# --- 2. the report POST, a fresh one-time token per request ---
my $before = (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0];
my $body = join '&', "csrf=$csrf", 'kommune=0301', 'bydel=01',
    'handling=send', 'privatMelder.telefonnummer=91234567',
    'privatBarn.0.personnavn=Bench+Barn',
    'privatBarn.0.adresse.adresselinje1=Storgata+1',
    'privatBarn.0.adresse.postnummer=0155',
    'melding=' . ('Jeg+er+bekymret+for+barnet.+' x 40);
my $lua = "$dir/post.lua";
spit($lua, <<"LUA");
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$cookies"
local body = "$body"
-- Each post needs a one-time token the server issued to this login
-- (bkm_token: a made-up one is refused, 403): each connection GETs the
-- form, and posts with the token of a form it got (a queue per thread,
-- shared by its connections), so half the requests are posts.
local tokens = {}
function request()
  local t = table.remove(tokens)
  if t then
    return wrk.format(nil, "/privat/send", nil, body .. "&skjema=" .. t)
  end
  return wrk.format("GET", "$form")
end
function response(status, headers, rbody)
  local t = rbody:match('name="skjema" value="([^"]+)"')
  if t then
    table.insert(tokens, t)
  end
end
LUA
open my $fh, '-|', 'wrk', '-t2', '-c8', "-d${secs}s", '--timeout', '10s',
    '--latency', '-s', $lua, "$base/privat/send" or die "wrk: $!";
my $out = do { local $/; <$fh> };
close $fh;
my ($rps) = $out =~ /^Requests\/sec:\s+([\d.]+)/m;
my ($p50) = $out =~ /^\s+50%\s+(\S+)/m;
my ($p99) = $out =~ /^\s+99%\s+(\S+)/m;
my ($n) = $out =~ /(\d+) requests in/;
# every other request is a post (the GET before it fetched its token)
$n = int(($n // 0) / 2);
$rps = ($rps // 0) / 2;
my ($bad) = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
ok !$bad, 'every post answered 303' or diag $out;
my $after = (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0];
cmp_ok $after - $before, '>=', ($n // 1) - 8,
    'a report stored for every post that completed';
cmp_ok $n // 0, '>', 0, 'posts were made';
ok $rps, 'a rate was measured';
diag sprintf "pages on %s: POST /privat/send, a whole private report from "
    . "the form (%d bytes of form, a new one-time token each; wrk, 8 "
    . "connections, each post after a GET of the form for its token; p50 "
    . "and p99 of both): %.0f posts/s (p50 %s, p99 %s), %d reports stored",
    $engine, length($body) + 72, $rps // 0, fmt_ms(ms_of($p50)),
    fmt_ms(ms_of($p99)), $after - $before;
