# SPDX-License-Identifier: Apache-2.0
# Login through mod_auth_openidc against the ID-porten stand-in (a real
# OpenID provider on loopback), without a browser: the module sees the
# person, shows only the last digits of the national id, and refuses a
# level of assurance below substantial.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(login_ua login base_url);

plan tests => 22;

# Not logged in: an API-like client gets 401, a browser a redirect.
my $res = GET '/meg';
is $res->code, 401, 'no session, no HTML accepted: 401';
my $ua = login_ua();
$ua->max_redirect(0);
$res = $ua->get(base_url() . '/meg');
is $res->code, 302, 'a browser is sent to log in';
like $res->header('Location'), qr{^http://127\.0\.0\.1:$ENV{BKM_OP_PORT}/},
    'at the ID-porten stand-in';
like $res->header('Location'), qr/code_challenge_method=S256/, 'with PKCE';
like $res->header('Location'), qr/acr_values=idporten-loa-substantial/,
    'asking for substantial';

$ua = login_ua();
$res = login($ua, '/meg', 'kari', 'substantial');
is $res->code, 200, 'Kari logged in';
is $res->request->uri->path, '/meg', 'and is back at /meg';
my $html = $res->decoded_content;
like $html, qr{<dd id="navn">Kari Nordmann</dd>}, 'the module sees her name';
like $html, qr{<dd id="pid">\*{7}2345</dd>}, 'and the last digits of her id';
unlike $html, qr/01017012345|0101701/, 'never the whole national id';
like $html, qr{<dd id="acr">idporten-loa-substantial</dd>}, 'and the level';
is $res->header('Cache-Control'), 'no-store', 'personal page: no-store';
like $res->header('Content-Security-Policy'), qr/default-src 'none'/,
    'strict CSP';
is $res->header('X-Frame-Options'), 'DENY', 'not framable';
$res = $ua->get(base_url() . '/meg');
is $res->code, 200, 'the session holds for the next request';

$ua = login_ua();
$res = login($ua, '/meg', 'ola', 'high');
like $res->decoded_content, qr{<dd id="acr">idporten-loa-high</dd>},
    'high is accepted';

$ua = login_ua();
$res = login($ua, '/meg', 'anne', 'substantial');
like $res->decoded_content, qr{<dd id="navn">\x{c1}nne S\x{e1}r\x{e1}</dd>},
    'Sami letters in names survive';

$ua = login_ua();
$res = login($ua, '/meg', 'noname', 'substantial');
is $res->code, 200, 'a person without name claims';
like $res->decoded_content, qr/ikke oppgitt av innloggingen/,
    'is told the login gave no name';

$ua = login_ua();
$res = login($ua, '/meg', 'kari', 'low');
is $res->code, 403, 'level low is refused';
like $res->decoded_content, qr/sikkerhetsniv\x{e5}/i, 'with an explanation';
unlike $res->decoded_content, qr/2345/, 'and nothing of the person';
