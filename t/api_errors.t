# SPDX-License-Identifier: Apache-2.0
# Every answer under the API is JSON in the documented error shape
# ({"errorId", "feilmelding", "correlationId"}), also the errors httpd makes
# itself: the token layer's 401s (mod_auth_openidc), 416 from the byterange
# filter, 405 for TRACE.  mod_auth_openidc's WWW-Authenticate stays.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use lib 't/lib';
use BkmTest qw(dev_token json_of producer_multipart);

plan tests => 19;

my $api = '/bekymringsmelding/api/v2';

# Status, JSON content type and shape, and the errorId.
sub json_error {
    my ($res, $code, $id, $name) = @_;
    my $j = json_of($res);
    my $ok = $res->code == $code
        && ($res->header('Content-Type') // '') =~ m{^application/json}
        && $j && ($j->{errorId} // '') eq $id
        && defined $j->{feilmelding}
        && ($j->{correlationId} // '') =~ /^[0-9a-f]{16}$/;
    ok $ok, $name
        or diag $res->code . ' ' . ($res->header('Content-Type') // '')
              . ' ' . substr($res->content, 0, 200);
}

# --- the token layer (mod_auth_openidc answers before the module runs) ---
my $res = GET "$api/konto";
json_error($res, 401, 'ikke-autentisert', 'no bearer token: JSON 401');
like $res->header('WWW-Authenticate') // '', qr/^Bearer error="invalid_request"/,
    "and mod_auth_openidc's challenge is kept";

my %t = dev_token('fagsystem-0301-01', '--expired');
$res = GET "$api/konto", %t;
json_error($res, 401, 'ikke-autentisert', 'expired token: JSON 401');
like $res->header('WWW-Authenticate') // '', qr/error="invalid_token"/,
    'with error="invalid_token"';

%t = dev_token('fagsystem-0301-01', '--scope', 'ks:annet');
json_error(GET("$api/konto", %t), 401, 'ikke-autentisert',
           'wrong scope: JSON 401');
%t = dev_token('fagsystem-0301-01', '--issuer', 'https://evil.example/');
json_error(GET("$api/konto", %t), 401, 'ikke-autentisert',
           'wrong issuer: JSON 401');
json_error(GET("$api/mottak/fagsystem/0301/01/krypteringsnokler",
               Authorization => 'Bearer not.a.jwt'),
           401, 'ikke-autentisert', 'garbage token on the producer API: JSON 401');
%t = dev_token('fagsystem-0301-01', '--expired');
json_error(POST("$api/konto", %t, content => '{}'), 401, 'ikke-autentisert',
           'a POST with an expired token: JSON 401');

# The form API's people log in with ID-porten.
json_error(POST("$api/mottak/skjema/privat",
                'Content-Type' => 'application/json', content => '{}'),
           401, 'ikke-innlogget', 'form API without a login: JSON 401');

# --- 405: TRACE (which would echo the credentials) ---
my %good = dev_token('fagsystem-0301-01');
my $ua = Apache::TestRequest::user_agent();
$res = $ua->request(HTTP::Request->new(
    TRACE => Apache::TestRequest::resolve_url("$api/konto"), [%good]));
json_error($res, 405, 'metode-ikke-tillatt', 'TRACE: JSON 405');
unlike $res->content, qr/\Q$good{IntegrasjonPassord}\E/,
    'and the credentials are not echoed';
$res = $ua->request(HTTP::Request->new(
    TRACE => Apache::TestRequest::resolve_url("$api/kommuner")));
json_error($res, 405, 'metode-ikke-tillatt', 'TRACE on the public API too');
# The module's own 405s were JSON already.
json_error(POST("$api/kommuner", content => '{}'), 405,
           'metode-ikke-tillatt', "the module's own 405");

# --- 416: a Range beyond the message (httpd's byterange filter) ---
my %prod = dev_token('produsent');
my $keys = json_of(GET "$api/mottak/fagsystem/0301/01/krypteringsnokler",
                   %prod);
my ($body, $b) = producer_multipart($keys, 200);
$res = POST "$api/mottak/fagsystem/910000001/0301/01/privat", %prod,
    'Content-Type' => "multipart/form-data; boundary=$b", content => $body;
is $res->code, 201, 'a report to 0301/01 (for a message to fetch)'
    or diag $res->content;
my $id = json_of($res)->{uuid};
my $konto = json_of(GET "$api/konto", %good)->{kontoer}[0]{kontoId};
my ($m) = grep { $_->{bekymringsmeldingId} eq $id }
    @{ json_of(GET "$api/konto/$konto/meldinger", %good)->{meldinger} };
ok $m, 'its message is on the account';
$res = GET "$api/konto/$konto/meldinger/$m->{meldingId}", %good,
    Range => 'bytes=99999999-';
json_error($res, 416, 'ugyldig-range', 'unsatisfiable Range: JSON 416');
$res = GET "$api/konto/$konto/meldinger/$m->{meldingId}", %good,
    Range => 'bytes=0-9';
is $res->code, 206, 'a good Range still works';
is length($res->content), 10, 'with its ten bytes';

# --- the ErrorDocument itself is no resource ---
json_error(GET('/bekymring-feil'), 404, 'ukjent-adresse',
           'the error handler asked for directly: 404');
