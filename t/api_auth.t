# SPDX-License-Identifier: Apache-2.0
# Machine clients: a Maskinporten-shaped bearer token (checked by
# mod_auth_openidc) plus IntegrasjonId/IntegrasjonPassord of the token's own
# organisation (checked by the module).  Tokens come from build/dev-token.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use lib 't/lib';
use BkmTest qw(dev_token json_of root);

plan tests => 47;

my $api = '/bekymringsmelding/api/v2/konto';
my %good = dev_token('fagsystem-0301-01');
my %print = dev_token('print');

my $res = GET $api;
is $res->code, 401, 'no token: 401';
like $res->header('WWW-Authenticate') // '', qr/^Bearer/, 'Bearer challenge';

$res = GET $api, Authorization => 'Bearer not.a.jwt',
    IntegrasjonId => $good{IntegrasjonId},
    IntegrasjonPassord => $good{IntegrasjonPassord};
is $res->code, 401, 'garbage token: 401';

my %t = dev_token('fagsystem-0301-01', '--key', root() . '/t/dev/pki/print.key');
is GET($api, %t)->code, 401, 'token signed by another key: 401';
%t = dev_token('fagsystem-0301-01', '--expired');
is GET($api, %t)->code, 401, 'expired token: 401';
%t = dev_token('fagsystem-0301-01', '--scope', 'ks:annet');
is GET($api, %t)->code, 401, 'token without our scope: 401';
%t = dev_token('fagsystem-0301-01', '--scope', 'ks:fiksen');
is GET($api, %t)->code, 401, 'a scope that only starts like ours: 401';
%t = dev_token('fagsystem-0301-01', '--issuer', 'https://evil.example/');
is GET($api, %t)->code, 401, 'token from another issuer: 401';

# Tokens signed by the real key with claims that must not pass:
# mod_auth_openidc's RS mode does not look at them (the module does).
my @bad_claims = (
    [['--no-exp'], 'without exp'],
    [['--nbf=3600'], 'nbf an hour ahead'],
    [['--iat=3600'], 'iat an hour ahead'],
    [['--issuer', ' urn:bekymring:dev-maskinporten'], 'iss with a leading blank'],
    [['--issuer', 'urn:bekymring:dev-maskinporten '], 'iss with a trailing blank'],
    [['--claims', '{"iss":["urn:bekymring:dev-maskinporten"]}'], 'iss as an array'],
    [['--aud', 'https://other.example'], 'another audience'],
    [['--claims', '{"aud":null}'], 'no audience'],
    [['--claims', '{"aud":["urn:bekymring:dev-api"]}'], 'aud as an array'],
    [['--aud', ' urn:bekymring:dev-api'], 'aud with a leading blank'],
    [['--claims', '{"exp":"9999999999"}'], 'exp as a string'],
);
for my $case (@bad_claims) {
    my ($opts, $name) = @$case;
    %t = dev_token('fagsystem-0301-01', @$opts);
    is GET($api, %t)->code, 401, "token $name: 401";
}
# Clocks differ a little: a token issued seconds "ahead" is fine.
%t = dev_token('fagsystem-0301-01', '--iat=20', '--nbf=20');
is GET($api, %t)->code, 200, 'iat and nbf 20 s ahead (clock skew): 200';
%t = dev_token('fagsystem-0301-01', '--nbf=-30');
is GET($api, %t)->code, 200, 'nbf in the past: 200';

# Wrong passwords count against the client (t/api_throttle.t): these are
# sent at a time of their own (the test build's clock), so that they leave
# nothing counted against this address for the other tests or a rerun.
my @away = ('Bkm-Test-Klokke' => (time() + 500 * 86400 + int rand 86400)
                                 * 1_000_000);

# A good token but the integration headers wrong or missing.
$res = GET $api, Authorization => $good{Authorization};
is $res->code, 401, 'no IntegrasjonId/IntegrasjonPassord: 401';
is json_of($res)->{errorId}, 'ikke-autentisert', 'errorId';
is GET($api, %good, @away, IntegrasjonPassord => 'wrong')->code, 401,
    'wrong password: 401';
# Each process remembers an accepted password for a while (bcrypt is slow
# on purpose); what it remembers must never let another password in.
my @ok = map { GET($api, %good)->code } 1 .. 6;
is_deeply \@ok, [(200) x 6], 'the right password, again and again: 200';
is_deeply [map { GET($api, %good, @away, IntegrasjonPassord => $_)->code }
           'wrong', "$good{IntegrasjonPassord}x",
           substr($good{IntegrasjonPassord}, 0, -1), ''],
    [401, 401, 401, 401], 'after it, wrong ones (and near ones) still: 401';
is GET($api, %good, @away,
       IntegrasjonId => '00000000-0000-4000-8000-000000000000')->code, 401,
    'unknown integration: 401';
# Another organisation's credentials with this token.
is GET($api, Authorization => $good{Authorization},
       IntegrasjonId => $print{IntegrasjonId},
       IntegrasjonPassord => $print{IntegrasjonPassord})->code, 401,
    'integration of another organisation than the token: 401';
%t = dev_token('fagsystem-0301-01', '--org', '910000009');
is GET($api, %t)->code, 401, 'token of another organisation: 401';

$res = GET $api, %good;
is $res->code, 200, 'all good: 200';
my $j = json_of($res);
is $j->{integrasjonId}, $good{IntegrasjonId}, 'names the integration';
ok !$j->{produsent}, 'not a producer';
is scalar @{ $j->{kontoer} }, 1, 'one account';
my $k = $j->{kontoer}[0];
is_deeply [@$k{qw(type kommunenummer bydelsnummer stottetVersjon)}],
    ['fagsystem', '0301', '01', 'V2'], "Gamle Oslo's case-system account";
is $res->header('Cache-Control'), 'no-store', 'no-store';

$res = GET "$api/$k->{kontoId}", %good;
is $res->code, 200, 'own account by id: 200';
is json_of($res)->{kontoId}, $k->{kontoId}, 'the same account';

my $print_konto = json_of(GET $api, %print)->{kontoer}[0];
is $print_konto->{type}, 'print', 'the print provider sees its account';
$res = GET "$api/$print_konto->{kontoId}", %good;
is $res->code, 404, "another tenant's account: 404, not 403";
unlike $res->decoded_content, qr/print/i, 'and nothing about it';
is GET("$api/00000000-0000-4000-8000-000000000000", %good)->code, 404,
    'unknown account: 404';
# A UUID is one id in either case (RFC 9562; README "HTTP interface"): the
# account in upper case is the same account, never another's.
$res = GET("$api/" . uc($k->{kontoId}), %good);
is $res->code, 200, 'an account id in upper case: the same account';
is json_of($res)->{kontoId}, $k->{kontoId}, 'named as stored, in lower case';

my %prod = dev_token('produsent');
$j = json_of(GET $api, %prod);
ok $j->{produsent}, 'the producer is one';
is_deeply $j->{kontoer}, [], 'and has no accounts';

is POST($api, %good, content => '{}')->code, 405, 'POST: 405';

my $log = BkmTest::error_log();
ok index($log, $good{IntegrasjonPassord}) < 0, 'passwords are never logged';
