# SPDX-License-Identifier: Apache-2.0
# A case system's download is the stored ciphertext byte for byte, on
# either engine (issue 17, item 1).  On PostgreSQL the core reads BYTEA in
# libpq's binary result format (modules/core/bkm_db.c,
# bkm_db_select_rows): a decode that went wrong -- a NUL taken as the end,
# a backslash or a high byte mangled, hex text sent as it came, an integer
# column read in the wrong byte order -- shows here as other bytes, another
# digest or size, or a container openssl cannot open.  The message is a
# realistic one: the sealed container of a two-page report with a long
# free text, 40-60 KB, whose ciphertext holds every byte value 0-255.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url login_ua login json_of db_rows privat_rapport
               skjema_api pg_ctl);
use BkmCaseSystem;
use Digest::SHA qw(sha256_hex sha256_base64);

plan tests => 24;

my $pki = root() . '/t/dev/pki';
my $cs = BkmCaseSystem->new(base => base_url(),
    name => 'fagsystem-4601-00', key => "$pki/4601-00-fagsystem.key",
    cert => "$pki/4601-00-fagsystem.pem");

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');

# A long free text, about two pages of the report's PDF, with the letters
# a Norwegian text has.  Its words are drawn (with a fixed seed) from
# syllables: a text that repeats itself would compress to a message far
# smaller than a real one.
srand 17;
my @syl = qw(bar ne skol en læ rer hjem mat redd blå mer ker far mor
             sø ster gå van ske lig tid ung dom på for tel le vå ken);
my $tekst = join "\n\n", map {
    my $n = $_;
    "Avsnitt $n. " . join(' ', map {
        join '', map { $syl[int rand @syl] } 1 .. 1 + int rand 3 } 1 .. 160)
        . '.' } 1 .. 14;
my $res = skjema_api($ua, privat_rapport(kommunenummer => '4601',
    bydelsnummer => '00', melding => $tekst));
is $res->code, 201, 'a report with a long free text is accepted'
    or diag $res->decoded_content;
my $uuid = (json_of($res) // {})->{uuid} // '';

# By its id (earlier files may leave more than the list's 100 waiting).
my ($m) = map { { meldingId => $_->[0], sha256 => $_->[1],
                  storrelse => $_->[2] } }
    db_rows("SELECT l.id, c.sha256, c.storrelse FROM bkm_leveranse l "
        . "JOIN bkm_chiffer c ON c.melding_id = l.melding_id "
        . "AND c.mottaker = l.mottaker WHERE l.melding_id = '$uuid' "
        . "AND l.konto_id = '" . $cs->konto . "'");
ok $m, 'it waits in the case system\'s account';
$m //= { meldingId => 'none', storrelse => -1, sha256 => '' };

# What the database holds, read by the engine's own client as hex.
my ($hex) = map { $_->[0] } db_rows($ENV{TEST_PGSQL}
    ? "SELECT encode(c.innhold, 'hex') FROM bkm_chiffer c JOIN bkm_leveranse l "
      . "ON l.melding_id = c.melding_id AND l.mottaker = c.mottaker "
      . "WHERE l.id = '$m->{meldingId}'"
    : "SELECT lower(hex(c.innhold)) FROM bkm_chiffer c JOIN bkm_leveranse l "
      . "ON l.melding_id = c.melding_id AND l.mottaker = c.mottaker "
      . "WHERE l.id = '$m->{meldingId}'");
my $stored = pack 'H*', $hex // '';
my %seen = map { $_ => 1 } unpack 'C*', $stored;
my $size = length $stored;
diag sprintf 'the ciphertext has %d bytes on %s', $size,
    $ENV{TEST_PGSQL} ? 'PostgreSQL' : 'SQLite';
ok $size >= 40_000 && $size <= 60_000,
    'a realistic message: 40-60 KB' or diag "$size bytes";
is scalar(keys %seen), 256,
    'its ciphertext holds every byte value, NUL and backslash among them';
ok index($stored, "\\x") >= 0 || index($stored, "\0") >= 0,
    'and sequences a text decode would take for markup';

$res = $cs->fetch($m->{meldingId});
is $res->code, 200, 'fetched';
my $der = $res->content;
is length($der), $size, 'as many bytes as are stored';
ok $der eq $stored, 'the same bytes, byte for byte';
is sha256_hex($der), $m->{sha256}, 'the SHA-256 the list said';
is $res->header('ETag'), "\"$m->{sha256}\"", 'ETag: the stored SHA-256';
is $res->header('Repr-Digest'), 'sha-256=:' . sha256_base64($der) . '=:',
    'Repr-Digest of the bytes sent';
is $res->header('Content-Length'), $m->{storrelse},
    'Content-Length: the stored size (a bigint read in binary)';
is $res->header('bekymringsmeldingId'), $uuid,
    'the text columns read in binary too';

my $zip = $cs->open_message($der);
ok defined $zip && $zip =~ /^PK\x03\x04/,
    'openssl cms -decrypt opens it: the ASiC-E container';
my $report = $cs->report_of($zip // '');
is $report && $report->{melding}, $tekst,
    'the long free text inside, as written';

# A range across the middle: the same bytes as the whole.
$res = $cs->fetch($m->{meldingId}, Range => 'bytes=1000-30999');
is $res->code, 206, 'a range of it';
ok $res->content eq substr($stored, 1000, 30000), 'is those stored bytes';

# The binary read survives a database restart as every query does
# (bkm_db_reprepare): the new session has none of the statements mod_dbd
# prepared, and the fetch prepares them again and answers the same bytes.
SKIP: {
    skip 'stopping the database is tested on PostgreSQL (TEST_PGSQL=1)', 7
        unless $ENV{TEST_PGSQL};
    ok pg_ctl('stop'), 'PostgreSQL stopped';
    is $cs->fetch($m->{meldingId})->code, 503, 'database down: 503';
    ok pg_ctl('start'), 'PostgreSQL started again';
    my $again;
    for (1 .. 20) {             # mod_dbd reconnects on a later request
        $again = $cs->fetch($m->{meldingId});
        last if $again->code == 200;
        select undef, undef, undef, 0.25;
    }
    ok $again->code == 200 && $again->content eq $stored,
        'database back: the same bytes again, without a restart';

    # A column of a type the binary read does not know (a migration that
    # changed it, say) fails the whole read: a fetched message must never
    # read as unfetched because one value came back NULL.  The portal's
    # sessions are ended after each change, so that its statements are
    # prepared anew (an old prepared statement refuses the new type with
    # "cached plan must not change result type" instead).
    my $renew = sub {
        db_rows(shift);
        db_rows('SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                . 'WHERE datname = current_database() '
                . 'AND pid <> pg_backend_pid()');
    };
    $renew->('ALTER TABLE bkm_leveranse ALTER COLUMN hentet TYPE numeric');
    my $odd;
    for (1 .. 20) {
        $odd = $cs->fetch($m->{meldingId});
        last if BkmTest::error_log() =~ /BKM07301/;
        select undef, undef, undef, 0.25;
    }
    ok $odd->code >= 500 && $odd->content ne $stored,
        'a column of an unknown type: no answer from half a row ('
        . $odd->code . ')';
    like BkmTest::error_log(),
        qr/BKM07301: query bkm_leveranse_fetch: column \d+ has type oid 1700/,
        'and the log names the query, the column and its type';
    $renew->('ALTER TABLE bkm_leveranse ALTER COLUMN hentet TYPE bigint '
             . 'USING hentet::bigint');
    for (1 .. 20) {
        $again = $cs->fetch($m->{meldingId});
        last if $again->code == 200;
        select undef, undef, undef, 0.25;
    }
    ok $again->code == 200 && $again->content eq $stored,
        'the type back: the same bytes again';
}
