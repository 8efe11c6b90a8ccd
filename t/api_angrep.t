# SPDX-License-Identifier: Apache-2.0
# An outside case-system vendor's client, written from the README and
# schema/openapi.yaml only (issue 15, attacked from outside): what it
# tripped on, each mended.
#  - An account id in upper case was 404 ukjent-konto, though the account
#    ids are UUIDs as the message ids are, which are taken in either case.
#  - 405's Allow was the route table's words ("GET POST", "GET HEAD"): RFC
#    9110's Allow is a comma-separated list, so a client that splits it
#    at commas read one unknown method; and the README says HEAD is
#    allowed wherever GET is, which Allow did not list.
#  - If-Match on a message that did not name its ETag was ignored (200 and
#    the bytes, and a fetch recorded); RFC 9110 13.1.1 says 412.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url json_of dev_token slurp seal_cms);
use HTTP::Request::Common ();
use JSON::PP;
use LWP::UserAgent;

plan tests => 17;

my $base = base_url();
my $api = "$base/bekymringsmelding/api/v2";
my $ua = LWP::UserAgent->new(timeout => 30);

sub call {
    my ($name, $method, $path, @h) = @_;
    my $req = HTTP::Request->new($method, "$api$path",
                                 [dev_token($name), @h]);
    return $ua->request($req);
}

my $name = 'fagsystem-0301-02';
my ($konto) = map { $_->{kontoId} }
    @{ (json_of(call($name, 'GET', '/konto')) // {})->{kontoer} // [] };
like $konto // '', qr/^[0-9a-f-]{36}$/, 'the account id, from GET /konto';

# ---- an account id in upper case ----------------------------------------
my $res = call($name, 'GET', '/konto/' . uc($konto) . '/meldinger');
is $res->code, 200, 'the account id in upper case: the same account';
is((json_of($res) // {})->{kontoId}, $konto,
   'answered with the id as it was issued (lower case)');
is call($name, 'GET', '/konto/' . uc $konto)->code, 200,
    'GET /konto/{KONTOID}: 200';
is call('fagsystem-0301-01', 'GET', '/konto/' . uc($konto) . '/meldinger')
    ->code, 404, "another integration's account in upper case: still 404";

# ---- Allow on 405 ---------------------------------------------------------
$res = call($name, 'PUT', "/konto/$konto/avstemming");
is $res->code, 405, 'PUT on the reconciliation: 405';
is $res->header('Allow'), 'GET, POST, HEAD',
    'Allow: a comma-separated list, with HEAD where GET is';
$res = call($name, 'OPTIONS', "/konto/$konto/meldinger");
is $res->header('Allow'), 'GET, HEAD', 'OPTIONS on the list: Allow: GET, HEAD';
is call($name, 'HEAD', "/konto/$konto/meldinger")->code, 200,
    'and HEAD is answered there';
$res = call($name, 'GET', "/konto/$konto/meldinger/"
    . '00000000-0000-4000-8000-000000000000/svar');
is $res->header('Allow'), 'POST', 'where only POST is: Allow: POST';

# ---- If-Match on a message --------------------------------------------
my $pki = root() . '/t/dev/pki';
my $post = HTTP::Request::Common::POST(
    "$api/mottak/fagsystem/910000001/0301/01/offentlig",
    Content_Type => 'form-data',
    Content => [
        bekymringsmelding => [undef, 'p.cms', 'Content-Type' =>
            'application/pkcs7-mime',
            Content => seal_cms("%PDF-1.4 X\n", slurp("$pki/print.pem"))],
        asice => [undef, 'a.cms', 'Content-Type' => 'application/pkcs7-mime',
            Content => seal_cms("PK\x03\x04 X",
                                slurp("$pki/0301-01-fagsystem.pem"))]]);
$post->header(dev_token('produsent'));
$res = $ua->request($post);
is $res->code, 201, 'a producer posts a report for 0301/01';
my $uuid = (json_of($res) // {})->{uuid} // '';
my $oslo = 'fagsystem-0301-01';
my ($oslo_konto) = map { $_->{kontoId} }
    @{ (json_of(call($oslo, 'GET', '/konto')) // {})->{kontoer} // [] };
my ($m) = grep { $_->{bekymringsmeldingId} eq $uuid }
    @{ (json_of(call($oslo, 'GET', "/konto/$oslo_konto/meldinger")) // {})
       ->{meldinger} // [] };
my $path = "/konto/$oslo_konto/meldinger/" . ($m // {})->{meldingId};
my $etag = '"' . (($m // {})->{sha256} // '') . '"';
$res = call($oslo, 'GET', $path, 'If-Match' => '"nope"');
is $res->code, 412, 'If-Match with another ETag: 412';
is((json_of($res) // {})->{errorId}, 'forutsetning-feilet',
   'errorId forutsetning-feilet');
is call($oslo, 'GET', $path, 'If-Match' => "W/$etag")->code, 412,
    'a weak ETag never matches If-Match (strong comparison)';
($m) = grep { $_->{bekymringsmeldingId} eq $uuid }
    @{ (json_of(call($oslo, 'GET', "/konto/$oslo_konto/meldinger")) // {})
       ->{meldinger} // [] };
ok $m && !$m->{hentet}, 'and nothing was fetched';
is call($oslo, 'GET', $path, 'If-Match' => qq{"x", $etag})->code, 200,
    'If-Match naming the ETag: 200';
is call($oslo, 'GET', $path, 'If-Match' => '*')->code, 200,
    'If-Match: *: 200';
