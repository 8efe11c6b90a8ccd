# SPDX-License-Identifier: Apache-2.0
# The producer API: another agency's system fetches a district's keys,
# seals a report itself (here with the openssl CLI) and posts it; the portal
# checks each part is CMS for the right recipient, stores it, and shows its
# timeline.  Every bad input is refused and stores nothing.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use lib 't/lib';
use BkmTest qw(root dev_token json_of db_rows spit slurp seal_cms);
use File::Temp qw(tempdir);
use HTTP::Request::Common ();
use JSON::PP ();

plan tests => 50;

my $base = '/bekymringsmelding/api/v2/mottak/fagsystem';
my $org = '910000001';
my %prod = dev_token('produsent');
my %fag = dev_token('fagsystem-0301-01');
my $pki = root() . '/t/dev/pki';
my $dir = tempdir(CLEANUP => 1);


sub post_parts {
    my ($path, $parts, %h) = @_;
    my $req = HTTP::Request::Common::POST(
        Apache::TestRequest::resolve_url($path),
        Content_Type => 'form-data',
        Content => [ map { ($_->[0] => [undef, "$_->[0].cms",
                                        'Content-Type' => 'application/pkcs7-mime',
                                        Content => $_->[1]]) } @$parts ]);
    $req->header(%h) if %h;
    return Apache::TestRequest::user_agent()->request($req);
}

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }

# --- keys ---
my $res = GET "$base/0301/01/krypteringsnokler", %prod;
is $res->code, 200, 'keys of a district: 200';
my $keys = json_of($res);
is $keys->{fiksIOOffentligNokkel}{nokkel}, slurp("$pki/0301-01-fagsystem.pem"),
    "the case system's certificate";
is $keys->{printOffentligNokkel}{nokkel}, slurp("$pki/print.pem"),
    "and the print provider's";
ok $keys->{fiksIOOffentligNokkel}{gyldig}, 'valid now';
like $keys->{fiksIOOffentligNokkel}{serial}, qr/^\d+$/, 'serial';
like $keys->{fiksIOOffentligNokkel}{validTo}, qr/^\d{4}-\d\d-\d\dT/, 'validTo';
like $keys->{fiksIOOffentligNokkel}{subjectDN}, qr/CN=/, 'subjectDN';
is json_of(GET "$base/0301/03/krypteringsnokler", %prod)
       ->{fiksIOOffentligNokkel}{nokkel},
    slurp("$pki/0301-03-manuell.pem"),
    'a manual-download district hands out its manual-download certificate';
is GET("$base/0301/99/krypteringsnokler", %prod)->code, 404,
    'unknown district: 404';
is GET("$base/1103/00/krypteringsnokler", %prod)->code, 404,
    'inactive municipality: 404';
is GET("$base/0301/01/krypteringsnokler")->code, 401, 'no token: 401';
is GET("$base/0301/01/krypteringsnokler", %fag)->code, 403,
    'a case system is not a producer: 403';

# --- a report, sealed by the producer ---
my $pdf = "%PDF-1.4 test report\n";
my $zip = "PK\x03\x04 test container";
my $pdf_der = seal_cms($pdf, $keys->{printOffentligNokkel}{nokkel});
my $zip_der = seal_cms($zip, $keys->{fiksIOOffentligNokkel}{nokkel});
my $before = count();
$res = post_parts("$base/$org/0301/01/offentlig",
                  [[bekymringsmelding => $pdf_der], [asice => $zip_der]],
                  %prod, 'Idempotency-Key' => 'skole-42');
is $res->code, 201, 'posted: 201' or diag $res->decoded_content;
my $id = json_of($res)->{uuid} // '';
like $id, qr/^[0-9a-f-]{36}$/, '{"uuid": ...}';
is count(), $before + 1, 'one report stored';
my ($row) = db_rows("SELECT meldingstype, kilde, fra_org, tilstand FROM "
                    . "bkm_melding WHERE id = '$id'");
is_deeply $row, ['no.ks.fiks.bekymringsmelding.offentlig.v2', 'produsent',
                 $org, 'AKSEPTERT'], 'its metadata';
my $hex = $ENV{TEST_PGSQL} ? "encode(innhold, 'hex')" : 'hex(innhold)';
($row) = db_rows("SELECT $hex FROM bkm_chiffer WHERE melding_id = '$id' "
                 . "AND mottaker = 'fagsystem'");
is pack('H*', $row->[0]), $zip_der, 'the container is stored byte for byte';
spit("$dir/stored.der", pack('H*', $row->[0]));
is scalar `openssl cms -decrypt -binary -inform DER -in $dir/stored.der -inkey $pki/0301-01-fagsystem.key -recip $pki/0301-01-fagsystem.pem 2>/dev/null`,
    $zip, 'and opens with the case system key';

$res = post_parts("$base/$org/0301/01/offentlig",
                  [[bekymringsmelding => $pdf_der], [asice => $zip_der]],
                  %prod, 'Idempotency-Key' => 'skole-42');
is $res->code, 201, 'the same POST again (Idempotency-Key): the first answer';
is json_of($res)->{uuid}, $id, 'the same id';
is count(), $before + 1, 'and no second report';

$res = GET "$base/$org/bekymringsmelding/$id/status", %prod;
is $res->code, 200, 'status: 200';
my $st = json_of($res);
is $st->[0]{tilstand}, 'AKSEPTERT', 'AKSEPTERT first';
is $st->[0]{bekymringsmeldingId}, $id, 'with the id';
like $st->[0]{tidspunkt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'and the time, in UTC with its offset (RFC 3339; issue 15)';
is GET("$base/910000002/bekymringsmelding/$id/status", %prod)->code, 404,
    'under another sender id: 404';
is GET("$base/$org/bekymringsmelding/00000000-0000-4000-8000-000000000000/"
       . 'status', %prod)->code, 404, 'unknown id: 404';
is GET("$base/$org/bekymringsmelding/$id/status", %fag)->code, 403,
    'a case system may not read it: 403';

# The real states as the report travels (the case system of 0301/01
# fetches and receipts it; t/levering.t covers every path).
{
    require BkmCaseSystem;
    my $cs = BkmCaseSystem->new(base => Apache::TestRequest::resolve_url(''),
                                name => 'fagsystem-0301-01');
    $cs->{base} =~ s{/$}{};
    my ($r, $list) = $cs->list;
    for (1 .. 20) {                 # earlier tests' messages come first
        last if grep { $_->{bekymringsmeldingId} eq $id } @$list;
        for (@$list) {
            $cs->fetch($_->{meldingId});    # no receipt without it
            $cs->answer($_->{meldingId}, 'mottatt');
        }
        ($r, $list) = $cs->list;
    }
    my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @$list;
    $cs->fetch($m->{meldingId});
    $cs->answer($m->{meldingId}, 'mottatt');
    $st = json_of(GET "$base/$org/bekymringsmelding/$id/status", %prod);
    is_deeply [map { $_->{tilstand} } @$st],
        [qw(AKSEPTERT SENDT_FAGSYSTEM LEVERT)],
        "status: the incumbent's values as the report travels";
}

# --- bad input: refused, nothing stored ---
$before = count();
my $path = "$base/$org/0301/01/privat";
$res = post_parts($path, [[bekymringsmelding => 'not cms'],
                          [asice => $zip_der]], %prod);
is $res->code, 400, 'a part that is not CMS: 400';
like json_of($res)->{feilmelding}, qr/bekymringsmelding/, 'naming the part';
$res = post_parts($path, [[bekymringsmelding => $pdf_der],
                          [asice => $pdf_der]], %prod);
is $res->code, 400, 'the container sealed for print instead: 400';
like json_of($res)->{feilmelding}, qr/asice/, 'naming the part';
$res = post_parts($path, [[bekymringsmelding => $zip_der],
                          [asice => $zip_der]], %prod);
is $res->code, 400, 'the PDF sealed for the case system instead: 400';
$res = post_parts($path, [[asice => $zip_der]], %prod);
is $res->code, 400, 'a missing part: 400';
$res = POST $path, %prod, 'Content-Type' => 'application/json',
    content => '{}';
is $res->code, 415, 'not multipart: 415';
$res = POST $path, %prod,
    'Content-Type' => 'multipart/form-data; boundary=XX', content => 'junk';
is $res->code, 400, 'malformed multipart: 400';
$res = post_parts($path, [[bekymringsmelding => 'x' x (5 * 1024 * 1024)],
                          [asice => $zip_der]], %prod);
is $res->code, 413, 'over 5 MB: 413';
$res = post_parts("$base/$org/0301/99/privat",
                  [[bekymringsmelding => $pdf_der], [asice => $zip_der]],
                  %prod);
is $res->code, 404, 'unknown district: 404';
$res = post_parts("$base/not-an-org/0301/01/privat",
                  [[bekymringsmelding => $pdf_der], [asice => $zip_der]],
                  %prod);
is $res->code, 400, 'a malformed fraFiksOrgId: 400';
# The token proves one organisation (the integration's): the producer must
# not post in another's name, by number or by Fiks id.
for my $other ('910000002', '00000000-0000-4000-8000-000000000000') {
    $res = post_parts("$base/$other/0301/01/privat",
                      [[bekymringsmelding => $pdf_der], [asice => $zip_der]],
                      %prod);
    is $res->code, 403, "another organisation's fraFiksOrgId ($other): 403";
    is json_of($res)->{errorId}, 'feil-avsender', 'errorId feil-avsender';
}
is count(), $before, 'nothing was stored by any of them';

# Its own registered Fiks organisation id works too (in any case), and the
# report is stored under the registry's spelling.
my ($fiks) = map { $_->{fiksOrgId} }
    grep { $_->{navn} eq 'produsent' }
    @{ JSON::PP->new->decode(slurp(root() . '/t/dev/integrations.json'))
           ->{integrasjoner} };
like $fiks, qr/^[0-9a-f-]{36}$/, 'the producer has a Fiks organisation id';
$res = post_parts("$base/" . uc($fiks) . '/0301/01/privat',
                  [[bekymringsmelding => $pdf_der], [asice => $zip_der]],
                  %prod);
is $res->code, 201, 'posted under its own Fiks id: 201';
$id = json_of($res)->{uuid} // '';
is_deeply [db_rows("SELECT fra_org FROM bkm_melding WHERE id = '$id'")],
    [[$fiks]], 'stored under the registered id';
is GET("$base/" . uc($fiks) . "/bekymringsmelding/$id/status", %prod)->code,
    200, 'and its status is found under the id as the producer spells it';
is GET("$base/$org/bekymringsmelding/$id/status", %prod)->code, 404,
    'but not under its organisation number (another sender id)';
