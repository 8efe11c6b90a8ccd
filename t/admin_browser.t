# SPDX-License-Identifier: Apache-2.0
# The municipal administration in headless Chromium (t/browser/admin.mjs):
# a receiver opens a manually downloaded report in the browser with the
# district's key file and confirms it -> LEVERT; the PDF the browser saved
# is exactly what openssl cms makes of the same message.  The
# administrator's pages in three languages, each checked with axe-core,
# for sideways scrolling and for CSP violations.  And the decrypter's own
# tests (t/browser/dekrypter.test.mjs: formats, keys, errors, CSP).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url db_rows json_of login_ua login openssl_decrypt
               slurp dev_token seal_cms);
use IO::Compress::Zip qw($ZipError);
use HTTP::Request::Common ();
use LWP::UserAgent;
use Encode qw(encode_utf8);
use File::Path qw(make_path);
use JSON::PP;

my $root = root();
my $base = base_url();
my $pki = "$root/t/dev/pki";
my $out = "$root/t/logs/browser";
make_path($out);

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
sub report_to {
    my ($knr, $bnr, $text) = @_;
    my $r = $ua->post("$base/bekymringsmelding/api/v2/mottak/skjema/privat",
        'Content-Type' => 'application/json', Accept => 'application/json',
        Content => JSON::PP->new->utf8->encode({
            kommunenummer => $knr, bydelsnummer => $bnr,
            privatMelder => { personnavn => 'x' },
            privatBarn => [ { personnavn => 'Brevbarn', adresse => { adresselinje1 => 'Gate 3' } } ],
            melding => $text }));
    return (json_of($r) // {})->{uuid} // die "no report: " . $r->code;
}
# A report in letter post (issue 14, item 4: its timeline says where the
# letter goes, when it was ordered and when it should arrive): Oslo 01,
# its deadline passed on the test clock, escalated to print -- before the
# other reports here exist, so that they stay waiting.
my $brev = report_to('0301', '01', 'Går som brevpost.');
LWP::UserAgent->new->post("$base/bekymring-drift/eskalering",
    'Bkm-Test-Klokke' => sprintf('%.0f', (time() + 10 * 86400) * 1e6));
my ($brev_st) = db_rows("SELECT tilstand FROM bkm_melding WHERE id = '$brev'");

# A producer's report to Oslo 03 (manual download): its ASiC-E container,
# sealed whole to the district's manual-download certificate.
my $asice_pdf = "%PDF-1.4\n" . join('', map { chr(($_ * 7919) & 0xff) } 1 .. 4000) . "\n%%EOF\n";
my $asice;
{
    # Names in order, the mimetype first and stored (as ASiC-E wants).
    my $z = IO::Compress::Zip->new(\$asice, Name => 'mimetype', Method => 0) or die $ZipError;
    $z->print('application/vnd.etsi.asic-e+zip');
    $z->newStream(Name => 'bekymringsmelding.pdf', Method => 8);
    $z->print($asice_pdf);
    $z->newStream(Name => 'bekymringsmelding.json', Method => 8);
    $z->print('{"melding":"x"}');
    $z->newStream(Name => 'META-INF/asicmanifest.xml', Method => 8);
    $z->print('<ASiCManifest/>');
    $z->close;
}
my %prod = dev_token('produsent');
my $keys = json_of(LWP::UserAgent->new->get(
    "$base/bekymringsmelding/api/v2/mottak/fagsystem/0301/03/krypteringsnokler", %prod));
my $preq = HTTP::Request::Common::POST(
    "$base/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/03/offentlig",
    Content_Type => 'form-data',
    Content => [
        bekymringsmelding => [undef, 'b.cms', 'Content-Type' => 'application/pkcs7-mime',
            Content => seal_cms($asice_pdf, $keys->{printOffentligNokkel}{nokkel})],
        asice => [undef, 'a.cms', 'Content-Type' => 'application/pkcs7-mime',
            Content => seal_cms($asice, $keys->{fiksIOOffentligNokkel}{nokkel})] ]);
$preq->header(%prod);
my $pres = LWP::UserAgent->new->request($preq);
my $cid = (json_of($pres) // {})->{uuid} // die "no producer report: " . $pres->code . ' ' . $pres->decoded_content;
my ($clid) = map { $_->[0] } db_rows("SELECT id FROM bkm_leveranse WHERE "
    . "melding_id = '$cid' AND mottaker = 'manuell'");

# A report for Oslo 03, which downloads manually.
my $res = $ua->post("$base/bekymringsmelding/api/v2/mottak/skjema/privat",
    'Content-Type' => 'application/json', Accept => 'application/json',
    Content => JSON::PP->new->utf8->encode({
        kommunenummer => '0301', bydelsnummer => '03',
        privatMelder => { personnavn => 'x' },
        privatBarn => [ { personnavn => 'Nettleserbarn',
                          adresse => { adresselinje1 => 'Gate 2' } } ],
        melding => 'Åpnes i nettleseren.' }));
my $mid = (json_of($res) // {})->{uuid} // die "no report: " . $res->code;
my ($lid) = map { $_->[0] } db_rows("SELECT id FROM bkm_leveranse WHERE "
    . "melding_id = '$mid' AND mottaker = 'manuell'");
my ($sealed_hex) = map { $_->[0] } db_rows($ENV{TEST_PGSQL}
    ? "SELECT encode(innhold, 'hex') FROM bkm_chiffer WHERE melding_id = '$mid' AND mottaker = 'manuell'"
    : "SELECT hex(innhold) FROM bkm_chiffer WHERE melding_id = '$mid' AND mottaker = 'manuell'");
my $want = openssl_decrypt(pack('H*', lc $sealed_hex),
                           "$pki/0301-03-manuell.key", "$pki/0301-03-manuell.pem");

unlink "$out/mottak.pdf";
my $notes = $ENV{BKM_NOTES_SCREENS} // "$root/t/logs/screenshots/notes";
my $json = `node $root/t/browser/admin.mjs $base $lid $mid $pki/0301-03-manuell.key $out $root/t/logs/screenshots $clid $cid $brev $notes 2>$out/admin.log`;
my $r = eval { JSON::PP->new->decode($json) } // { checks => [] };
my $dek = `node $root/t/browser/dekrypter.test.mjs 2>&1`;
my @dek = $dek =~ /^((?:not )?ok \d+.*)$/mg;

plan tests => 1 + @{ $r->{checks} } + 5 + 1 + @dek + 3;

is $brev_st->[0], 'SENDT_PRINT', 'a report in letter post for the timeline';
my $cpdf = -e "$out/container.pdf" ? slurp("$out/container.pdf") : '';
ok $cpdf eq $asice_pdf, 'the PDF the browser took out of the producer\'s container is the one sent';
my $casice = -e "$out/container.asice" ? slurp("$out/container.asice") : '';
ok $casice eq $asice, 'and the container it saved (.asice) is the one sent';

ok scalar @{ $r->{checks} } > 20, 'the browser ran (see t/logs/browser/admin.log)';
for my $c (@{ $r->{checks} }) {
    ok $c->{ok}, encode_utf8($c->{name}) or diag encode_utf8($c->{diag} // '');
}
my $got = -e "$out/mottak.pdf" ? slurp("$out/mottak.pdf") : '';
like $got, qr/^%PDF-/, 'the browser saved a PDF';
ok length($want // '') > 1000 && $got eq $want,
    'exactly what openssl cms makes of the same message';
my ($st) = db_rows("SELECT tilstand, levert FROM bkm_melding WHERE id = '$mid'");
is $st->[0], 'LEVERT', 'the confirmed report is delivered';
ok $st->[1], 'with its delivery time';
my ($ev) = db_rows("SELECT COUNT(*) FROM bkm_hendelse WHERE melding_id = '$mid' "
                   . "AND aktor = 'mottaker: Ola Nordmann'");
is $ev->[0], 2, 'downloaded and confirmed by the receiver, by name';
like $dek, qr/\d+ passed, 0 failed/, 'the decrypter\'s own tests pass';
for my $line (@dek) {
    ok $line !~ /^not ok/, $line;
}
