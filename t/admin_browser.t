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
               slurp);
use Encode qw(encode_utf8);
use File::Path qw(make_path);
use JSON::PP;

my $root = root();
my $base = base_url();
my $pki = "$root/t/dev/pki";
my $out = "$root/t/logs/browser";
make_path($out);

# A report for Oslo 03, which downloads manually.
my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
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
my $json = `node $root/t/browser/admin.mjs $base $lid $mid $pki/0301-03-manuell.key $out $root/t/logs/screenshots 2>$out/admin.log`;
my $r = eval { JSON::PP->new->decode($json) } // { checks => [] };
my $dek = `node $root/t/browser/dekrypter.test.mjs 2>&1`;
my @dek = $dek =~ /^((?:not )?ok \d+.*)$/mg;

plan tests => 1 + @{ $r->{checks} } + 5 + 1 + @dek;

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
