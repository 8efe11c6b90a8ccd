# SPDX-License-Identifier: Apache-2.0
# Safe upgrades (issue 15, item 7): a node whose code expects an older schema
# than the database has (a newer node migrated it) refuses every write with
# 503 and says why, in the log and in the answer.  Before, /helse said 503
# but the form API still stored a report (201).  Each write endpoint is
# tried: the form API, the producer, the pages' send and a case system's
# receipt; nothing is stored, and once the versions agree again the writes
# go through.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows error_log
               dev_token producer_multipart privat_rapport skjema_api);
use BkmCaseSystem;
use HTTP::Request::Common ();
use LWP::UserAgent;
use JSON::PP;
use Encode qw(decode_utf8);

plan tests => 47;

my $base = base_url();
my $api = "$base/bekymringsmelding/api/v2";
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;
my $expected = json_of(GET '/helse')->{database}{forventetSkjemaversjon};
my $newer = $expected + 1;

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }
sub newer_schema {
    db_rows("INSERT INTO bkm_schema (version, name, applied_at) "
            . "VALUES ($newer, 'fra_en_nyere_node', 0)");
}
sub agree_again { db_rows("DELETE FROM bkm_schema WHERE version = $newer") }
# However the test ends, the suite's database is left as it was.
END {
    local $?;
    eval { agree_again() };
    eval { db_rows("UPDATE bkm_schema SET version = -version WHERE version < 0") };
}

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
sub form_api {
    return skjema_api($ua, privat_rapport());
}

# Before: a report a case system has fetched (for its receipt), the
# producer's keys, and the pages' form with its tokens.
my $res = form_api();
is $res->code, 201, 'before: the form API stores a report';
my $id = json_of($res)->{uuid};
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem");
my ($l, $list) = $cs->list;
my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
ok $m, 'the case system sees it';
is $cs->fetch($m->{meldingId})->code, 200, 'and fetches it';
my %prod = dev_token('produsent');
my $keys = json_of(GET "$api/mottak/fagsystem/0301/01/krypteringsnokler",
                   %prod);
ok $keys && $keys->{fiksIOOffentligNokkel}, "the producer has the keys";
my $page = login_ua();
$res = login($page, '/privat/skjema?kommune=0301&bydel=01', 'kari',
             'substantial');
my %hidden;
my $form = $res->decoded_content;
$hidden{$1} = $2
    while $form =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
ok $hidden{csrf} && $hidden{skjema}, 'the form with its tokens';

# A second report the case system has not fetched yet: fetching it
# records the fetch (a write), so an outdated node must refuse it.
$res = form_api();
is $res->code, 201, 'before: a second report';
my $id2 = json_of($res)->{uuid};
my ($m2) = grep { $_->{bekymringsmeldingId} eq $id2 } @{ ($cs->list)[1] // [] };
ok $m2, 'the case system sees it, not yet fetched';

# And one to a district on manual download (0301/03), which a receiver
# downloads in the administration's pages: the first download is recorded.
$res = $ua->post("$api/mottak/skjema/privat",
    'Content-Type' => 'application/json', Accept => 'application/json',
    Content => $json->encode({ kommunenummer => '0301', bydelsnummer => '03',
        privatMelder => { personnavn => 'x' },
        privatBarn => [ { personnavn => 'Barn', adresse => { adresselinje1 => 'Gate 1' } } ],
        melding => 'Bekymret.' }));
is $res->code, 201, 'before: a report for manual download';
my $l03 = (db_rows("SELECT id FROM bkm_leveranse WHERE melding_id = '"
                   . json_of($res)->{uuid} . "' AND mottaker = 'manuell'"))[0][0];
my $ola = login_ua();
login($ola, '/kommune', 'ola', 'substantial');

# A newer node migrates the database.
newer_schema();
my $before = count();
my $svar = (db_rows("SELECT svar FROM bkm_leveranse WHERE id = '$m->{meldingId}'"))[0][0];

$res = GET '/helse';
is $res->code, 503, '/helse: 503';

$res = form_api();
is $res->code, 503, 'form API: 503 (was 201)';
my $j = json_of($res) // {};
is $j->{errorId}, 'skjemaversjon', 'errorId skjemaversjon';
like $j->{feilmelding} // "",
    qr/schema version $newer.*version $expected/, 'names both versions';
ok $res->header('Retry-After'), 'with Retry-After';

my ($body, $b) = producer_multipart($keys);
$res = Apache::TestRequest::user_agent()->request(HTTP::Request::Common::POST(
    "$api/mottak/fagsystem/910000001/0301/01/offentlig",
    %prod, 'Content-Type' => "multipart/form-data; boundary=$b",
    Content => $body));
is $res->code, 503, 'producer: 503';
is((json_of($res) // {})->{errorId}, 'skjemaversjon', 'says why');

$res = $cs->answer($m->{meldingId}, 'mottatt');
is $res->code, 503, 'receipt: 503';
is((json_of($res) // {})->{errorId}, 'skjemaversjon', 'says why');

# A first fetch records it (BKM_SQL_LEVERANSE_HENTET): before, the node
# sent the bytes (200) and then failed to record them, so the portal did
# not know the case system had the report and refused its receipt later.
$res = $cs->request('GET', $cs->url("/$m2->{meldingId}"), []);
is $res->code, 503, 'first fetch of a report: 503 (was 200, unrecorded)';
is((json_of($res) // {})->{errorId}, 'skjemaversjon', 'says why');
ok !$res->header('Repr-Digest') && length($res->content) < 1000,
    'and sends none of its bytes';
is $cs->fetch($m->{meldingId})->code, 200,
    'a report already fetched: fetched again (nothing to write, a read)';
$res = $ola->get("$base/kommune/0301/mottak/$l03/melding");
is $res->code, 503, "a receiver's first manual download: 503 (was 200, unrecorded)";
unlike $res->header('Content-Type') // '', qr/pkcs7/, 'and not the report';

$res = $page->request(HTTP::Request::Common::POST("$base/privat/send", [
    %hidden, handling => 'send',
    'privatBarn.0.personnavn' => 'Ase Odegard',
    'privatBarn.0.adresse.adresselinje1' => 'Storgata 1',
    'melding' => 'Bekymret for Ase, skrevet under en oppgradering.' ]));
is $res->code, 503, "the pages' send: 503";
my $html = decode_utf8($res->content);
like $html, qr/skrevet under en oppgradering/,
    'the form comes back with what the person wrote';
is $res->header('Cache-Control'), 'no-store', 'not cached';

is count(), $before, 'nothing was stored';
is((db_rows("SELECT svar FROM bkm_leveranse WHERE id = '$m->{meldingId}'"))[0][0],
   $svar, 'the receipt was not recorded');
my $log = error_log();
like $log, qr/BKM06600: the database has schema version $newer, this module writes version $expected/,
    'the log says why';
unlike $log, qr/Storgata|Ola Barn|oppgradering\./, 'and no report content';

# The versions agree again (the node was upgraded): writes go through.
agree_again();
is GET('/helse')->code, 200, '/helse: 200 again';
$res = form_api();
is $res->code, 201, 'form API stores again';
is $cs->answer($m->{meldingId}, 'mottatt')->code, 200, 'receipts again';
is $cs->fetch($m2->{meldingId})->code, 200, 'fetches the second report';
is((db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE id = '$m2->{meldingId}' "
            . "AND hentet IS NOT NULL"))[0][0], 1, 'and the fetch is recorded');
is $ola->get("$base/kommune/0301/mottak/$l03/melding")->code, 200,
    'the manual download again';
for (1 .. 50) {
    last if (db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE id = '$l03' "
                     . "AND hentet IS NOT NULL"))[0][0];
    select undef, undef, undef, 0.05;
}
is((db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE id = '$l03' "
            . "AND hentet IS NOT NULL"))[0][0], 1, 'and it is recorded');
is count(), $before + 1, 'one report more';

# An older schema than the code's (BekymringMigrate Off, the migration not
# yet run) is refused too: the message says what to do.
db_rows("UPDATE bkm_schema SET version = -version WHERE version = $expected");
$res = form_api();
is $res->code, 503, 'database behind the code: 503';
db_rows("UPDATE bkm_schema SET version = -version WHERE version = -$expected");
like error_log(), qr/BKM06600: .*run bekymring-migrate/,
    'the log says to run the migration';

# ---- BekymringMigrate Off: the schema is a separate step ------------------
# A SQLite database one migration behind this build (the files of
# schema/sql but the last, as the module would have applied them), a node
# that must not migrate it: it does not, says so, refuses to serve; after
# bekymring-migrate and a graceful restart it serves.
my $dir = ($ENV{BKM_DEV_DIR} // root() . '/t/dev') . '/migrate-off-db';
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";
my $file = "$dir/bekymring.sqlite";
my @sql = sort glob(root() . '/schema/sql/*.sql');
pop @sql;
for my $f (@sql) {
    my ($v, $name) = $f =~ m{/(\d+)_(\w+)\.sql$} or die $f;
    system("sqlite3 $file < $f") == 0 or die "sqlite3 $f";
    system('sqlite3', $file, "INSERT INTO bkm_schema (version, name, "
           . "applied_at) VALUES (" . ($v + 0) . ", '${v}_$name', 0)") == 0
        or die 'sqlite3';
}
system('chown', '-R', 'www-data:www-data', $dir) if $> == 0;
sub version_of { `sqlite3 $file 'SELECT MAX(version) FROM bkm_schema'` + 0 }
is version_of(), $expected - 1, 'a database one migration behind';

my $node = BkmTest::start_node('migrate-off', undef,
    { db => ['sqlite3', $file], no_wait => 1 },
    'BekymringMigrate Off', 'BekymringEscalationInterval off');
my $nua = LWP::UserAgent->new(timeout => 5);
my $code = 0;
for (1 .. 40) {
    $code = $nua->get("$node/helse")->code;
    last if $code == 503;
    select undef, undef, undef, 0.25;
}
is $code, 503, 'BekymringMigrate Off: /helse 503 while the schema is behind';
is version_of(), $expected - 1, 'the node did not migrate';
my $nlog = BkmTest::slurp(($ENV{BKM_DEV_DIR} // root() . '/t/dev')
                          . '/migrate-off/error_log');
like $nlog, qr/BKM06602: sqlite3 database at schema version @{[$expected - 1]}, this module's is $expected: .*until bekymring-migrate has run/,
    'and says to run bekymring-migrate';

my $out = `@{[root()]}/build/out/bkm-migrate sqlite3 $file 2>&1`;
is $? >> 8, 0, 'bekymring-migrate' or diag $out;
is version_of(), $expected, 'migrates it';
system('/usr/sbin/apache2', '-f', ($ENV{BKM_DEV_DIR} // root() . '/t/dev')
       . '/migrate-off/httpd.conf', '-k', 'graceful');
for (1 .. 40) {
    $code = $nua->get("$node/helse")->code;
    last if $code == 200;
    select undef, undef, undef, 0.25;
}
is $code, 200, 'after a graceful restart the node serves';
BkmTest::stop_node('migrate-off');
system('rm', '-rf', $dir);
