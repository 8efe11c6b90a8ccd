# SPDX-License-Identifier: Apache-2.0
# make bench (not make test): the municipal administration (issue 6,
# "overview and search stay under 100 ms median with 1,000,000 reports in
# the store"), on SQLite or (TEST_PGSQL=1) PostgreSQL.
#
# As t/bench/escalation.t: not the suite's database but an httpd of its
# own (BkmTest::start_node, the module `make` builds, watchdog off) on a
# database of its own -- t/dev/db/bench-admin.sqlite, or the database
# bkm_bench_admin in the suite's throwaway PostgreSQL cluster -- which its
# start migrates, which this file fills with SQL and removes again at the
# end (BKM_BENCH_KEEP=1 keeps it, for EXPLAIN).  The node listens on
# BKM_BROWSER_NODE_PORT: besides the suite's, the only port whose
# redirect URI the ID-porten stand-in accepts (t/TEST), and the
# administrators must log in there (mod_auth_openidc's sessions are in
# each httpd's own cache).
#
# The database: BKM_BENCH_RAPPORTER (1,000,000) reports received evenly
# over the past year, each with its own reference number and uuid, spread
# (by a hash of their number) over 0301 Oslo 50 % (district 01 20 %, 02,
# 03 and 16 10 % each), 4601 Bergen 30 % and 5001 Trondheim 20 %, each on
# its district's channel; 30 % offentlig (from the producer), the rest
# privat (from the form).  The newest BKM_BENCH_VENTER (4,000, a day and a
# half) wait for their recipient (AKSEPTERT, or SENDT_FAGSYSTEM when
# fetched; deadline ahead); of the older ones 0.03 % are AVVIST_PRINT (to
# be followed up), 0.07 % AVVIST_FAGSYSTEM, 0.3 % SENDT_PRINT, and the rest
# LEVERT (2.6 % of those by letter post), ciphertexts deleted after 30
# days.  Every report has its channel's message (bkm_leveranse: fetched,
# receipted as its state says), those that went to letter post a print
# job too; the pending ones, every report not LEVERT and 2 % of the others
# have their timeline (bkm_hendelse, 1 to 4 events).
#
# Measured: one client, one kept-alive connection, one request after the
# other, BKM_BENCH_ADMIN_N (50) of each after one unmeasured warm-up, or
# fewer (at least 3) once they have taken BKM_BENCH_ADMIN_SECS (30 s)
# together; wall time from sending the request to the last byte of the
# answer:
#   kari (Oslo's administrator): the overview's first page, with a
#   district, a type, a rare state (AVVIST_PRINT) and a one-month period;
#   the 21st page (the "neste" link followed 20 times); search by
#   reference number and by id (303 to the timeline; each request another
#   report); a report's timeline; the CSV of one month of one district
#   (BKM_BENCH_ADMIN_CSV, 10 times), also in MB/s.
#   kari, anne (Oslo's district 01 only) and per: the statistics page of
#   the last eight weeks (Oslo's, district 01's, the whole country's) and
#   the reconciliation JSON of thirty days (Oslo's, district 01's)
#   (BKM_BENCH_ADMIN_STAT, 10 times each).
#   per (national operator): Bergen's first page, its rare state, search.
# Each is printed beside its target (overview and search: median <= 100
# ms).  Not a test of speed: it asserts that every answer is right (each
# overview page holds exactly the rows, in order, that SQL finds for its
# filter; the pages on the way to the 21st are the newest 1,000; the CSV
# has a line per report of the month and district; search answers 303 to
# the report's timeline).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib', 't/bench';
use BkmTest qw(root slurp start_node stop_node login_ua);
use BkmBench qw(percentile fmt_ms bench_database row);
use JSON::PP;
use POSIX qw(strftime);
use Time::HiRes qw(time);
use URI;

plan skip_all => 'benchmarks run with make bench (BKM_BENCH=1)'
    unless $ENV{BKM_BENCH};

my $rows = $ENV{BKM_BENCH_RAPPORTER} || 1_000_000;
my $pending = $ENV{BKM_BENCH_VENTER} || 4_000;
my $n = $ENV{BKM_BENCH_ADMIN_N} || 50;
my $ncsv = $ENV{BKM_BENCH_ADMIN_CSV} || 10;
my $nstat = $ENV{BKM_BENCH_ADMIN_STAT} || 10;
my $budget = $ENV{BKM_BENCH_ADMIN_SECS} || 30;
my $keep = $ENV{BKM_BENCH_KEEP};
my $pg = $ENV{TEST_PGSQL};
my $engine = $pg ? 'PostgreSQL' : 'SQLite (WAL)';
my $name = 'bench-admin';
my $dbname = 'bkm_bench_admin';
my $port = $ENV{BKM_BROWSER_NODE_PORT};
my $target = 0.100;
my $day = 86_400_000_000;                 # microseconds
my $now = int(time * 1e6);

# ---- the database, and SQL on it through the engine's own client ----
my ($driver, $params, $file, $sql) = bench_database($name, $dbname);
sub sql { $sql->(@_) }

my $owner = $$;
my $base = start_node($name, $port,
    { db => [$driver, $params], production => 1 },
    'BekymringEscalationInterval off', 'LogLevel warn');
sub cleanup {
    return unless $base;
    stop_node($name);
    undef $base;
    return if $keep;
    if ($pg) {
        system('psql', '-q', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT},
               '-U', 'postgres', '-c', "DROP DATABASE IF EXISTS $dbname");
    }
    else {
        unlink glob("$file*");
    }
}
# (A skipped run exits before $owner is set: nothing to clean up.)
END { local $?; cleanup() if defined $owner && $$ == $owner; }

# ---- the registry's districts, and the accounts ----
my $registry = JSON::PP->new->decode(slurp(root() . '/t/dev/registry.json'));
my %bydel;
for my $k (@{ $registry->{kommuner} }) {
    $bydel{"$k->{kommunenummer}/$_->{bydelsnummer}"} = $_
        for @{ $k->{bydeler} // [] };
}
my %integrasjon = map { ($_->{navn} => $_) }
    @{ JSON::PP->new->decode(slurp(root() . '/t/dev/integrations.json'))
           ->{integrasjoner} };
my $print_konto = $integrasjon{print}{kontoer}[0]{kontoId};
my $produsent = $integrasjon{produsent}{integrasjonId};
# Ten slots of the hash: 0301/01 twice, 02, 03, 16; 4601 three times;
# 5001 twice.
my @slots = qw(0301/01 0301/01 0301/02 0301/03 0301/16
               4601/00 4601/00 4601/00 5001/00 5001/00);
my $slot_rows = join ",\n", map {
    my ($k, $bnr) = split m{/}, $slots[$_];
    my $d = $bydel{$slots[$_]} or die "no district $slots[$_] in the registry\n";
    my ($integ) = grep { grep { $_->{kontoId} eq $d->{kontoId} }
                         @{ $_->{kontoer} // [] } } values %integrasjon;
    "($_, '$k', '$bnr', '$d->{kanal}', '$d->{kontoId}', '"
        . ($integ ? $integ->{integrasjonId} : '') . "')";
} 0 .. $#slots;

# ---- 1,000,000 reports ----
my $alphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
my $int = $pg ? sub { "($_[0])::int" } : sub { $_[0] };
my $ref = join ' || ', map {
    $_ eq '-' ? "'-'"
              : "substr('$alphabet', " . $int->("(x / " . 30 ** $_ . ") % 30")
                . " + 1, 1)" } (7, 6, 5, 4, '-', 3, 2, 1, 0);
my $uuid = $pg ? 'gen_random_uuid()::text'
    : "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    . "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', "
    . "1 + abs(random() % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || "
    . "hex(randomblob(6)))";
my $step = int(365 * $day / $rows);
# i: 1 (a year ago) .. rows (now); x: i scrambled for the reference
# number (as escalation.t); h: i hashed (2654435761 is prime to the prime
# 1000000007, so h is unique too) for the spread: h % 10 the district's
# slot, (h / 10) % 10000 the fate, (h / 100000) % 10 the type, h % 100
# the timeline.
my $numbers = $pg ? "SELECT i FROM generate_series(1::bigint, $rows) AS g(i)"
    : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
      . "WHERE i < $rows) SELECT i FROM n";
my $load_sql = <<"SQL";
CREATE TEMP TABLE bench_slot (slot INTEGER, kommunenummer VARCHAR(4),
    bydelsnummer VARCHAR(2), kanal VARCHAR(16), konto_id VARCHAR(36),
    integrasjon_id VARCHAR(36));
INSERT INTO bench_slot VALUES $slot_rows;
CREATE TEMP TABLE bench_g AS
SELECT v.*,
    CASE WHEN tilstand <> 'LEVERT' THEN NULL
         WHEN via_print THEN mottatt + 3 * $day + (i % 7200) * 1000000
         ELSE mottatt + 600000000 + (i % 7200) * 1000000 END AS levert
FROM (SELECT $uuid AS id, t.*, s.kommunenummer, s.bydelsnummer, s.kanal,
          s.konto_id, s.integrasjon_id AS mottaker_integrasjon,
          CASE WHEN t.off THEN 'no.ks.fiks.bekymringsmelding.offentlig.v2'
               ELSE 'no.ks.fiks.bekymringsmelding.privat.v2' END
              AS meldingstype,
          CASE WHEN t.pending THEN CASE WHEN t.h % 2 = 0 THEN 'AKSEPTERT'
                                        ELSE 'SENDT_FAGSYSTEM' END
               WHEN t.fate < 3 THEN 'AVVIST_PRINT'
               WHEN t.fate < 10 THEN 'AVVIST_FAGSYSTEM'
               WHEN t.fate < 40 THEN 'SENDT_PRINT'
               ELSE 'LEVERT' END AS tilstand,
          (NOT t.pending AND t.fate >= 40 AND t.fate < 300) AS via_print
      FROM (SELECT i, x, h, mottatt, pending, (h / 10) % 10000 AS fate,
                   (h / 100000) % 10 < 3 AS off
            FROM (SELECT i, (i * 2654435761) % 656100000000 AS x,
                         (i * 2654435761) % 1000000007 AS h,
                         $now - ($rows - i) * $step AS mottatt,
                         i > $rows - $pending AS pending
                  FROM ($numbers) AS nn) AS u) AS t
      JOIN bench_slot s ON s.slot = t.h % 10) AS v;
INSERT INTO bkm_melding (id, referanse, meldingstype, versjon, kilde,
    integrasjon_id, fra_org, kommunenummer, bydelsnummer, kanal, tilstand,
    mottatt, endret, idempotensnokkel, frist, levert, slettet, oppfolging,
    avvik)
SELECT id, $ref, meldingstype, 2,
    CASE WHEN off THEN 'produsent' ELSE 'skjema' END,
    CASE WHEN off THEN '$produsent' END,
    CASE WHEN off THEN '910000001' END,
    kommunenummer, bydelsnummer, kanal, tilstand, mottatt,
    COALESCE(levert, mottatt + $day), NULL,
    CASE WHEN pending THEN $now + $day + i END,
    levert,
    CASE WHEN levert <= $now - 30 * $day THEN levert + 30 * $day END,
    CASE WHEN tilstand = 'AVVIST_PRINT' THEN 1 ELSE 0 END,
    CASE WHEN tilstand = 'AVVIST_PRINT' THEN mottatt + 3 * $day END
FROM bench_g ORDER BY i;
INSERT INTO bkm_leveranse (id, melding_id, konto_id, mottaker, meldingstype,
    opprettet, hentet, hentet_av, svar, svar_tid)
SELECT $uuid, id, konto_id, kanal, meldingstype, mottatt,
    CASE WHEN tilstand IN ('SENDT_FAGSYSTEM', 'AVVIST_FAGSYSTEM')
              OR (tilstand = 'LEVERT' AND NOT via_print)
         THEN mottatt + 300000000 END,
    CASE WHEN tilstand IN ('SENDT_FAGSYSTEM', 'AVVIST_FAGSYSTEM')
              OR (tilstand = 'LEVERT' AND NOT via_print)
         THEN mottaker_integrasjon END,
    CASE WHEN tilstand = 'AVVIST_FAGSYSTEM' THEN 'feilet'
         WHEN tilstand = 'LEVERT' AND NOT via_print THEN 'mottatt' END,
    CASE WHEN tilstand = 'AVVIST_FAGSYSTEM' THEN mottatt + 400000000
         WHEN tilstand = 'LEVERT' AND NOT via_print THEN levert END
FROM bench_g ORDER BY i;
INSERT INTO bkm_leveranse (id, melding_id, konto_id, mottaker, meldingstype,
    opprettet, arsak, hentet, hentet_av, svar, svar_tid)
SELECT $uuid, id, '$print_konto', 'print',
    'no.ks.fiks.bekymringsmelding.utskrift.v1', mottatt + 2 * $day,
    CASE WHEN tilstand = 'AVVIST_FAGSYSTEM' THEN 'feilet' ELSE 'frist' END,
    CASE WHEN tilstand IN ('AVVIST_PRINT', 'LEVERT')
         THEN mottatt + 2 * $day + 3600000000 END,
    CASE WHEN tilstand IN ('AVVIST_PRINT', 'LEVERT')
         THEN '$integrasjon{print}{integrasjonId}' END,
    CASE WHEN tilstand = 'AVVIST_PRINT' THEN 'feilet'
         WHEN tilstand = 'LEVERT' THEN 'mottatt' END,
    CASE WHEN tilstand = 'AVVIST_PRINT' THEN mottatt + 3 * $day
         WHEN tilstand = 'LEVERT' THEN levert END
FROM bench_g WHERE via_print OR tilstand IN ('SENDT_PRINT', 'AVVIST_PRINT',
    'AVVIST_FAGSYSTEM') ORDER BY i;
CREATE TEMP TABLE bench_h AS
SELECT * FROM bench_g WHERE pending OR tilstand <> 'LEVERT' OR h % 100 < 2;
INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, aktor,
    beskrivelse, hendelse)
SELECT id, 1, mottatt, 'AKSEPTERT',
    CASE WHEN off THEN '$produsent' ELSE 'skjema' END,
    'Mottatt og lagret kryptert', 'AKSEPTERT' FROM bench_h;
INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, aktor,
    beskrivelse, hendelse)
SELECT id, 2, mottatt + 300000000,
    CASE WHEN tilstand = 'AKSEPTERT' THEN 'SENDT_PRINT'
         ELSE 'SENDT_FAGSYSTEM' END,
    COALESCE(mottaker_integrasjon, 'eskalering'),
    'Hentet av mottakerens fagsystem', 'HENTET'
FROM bench_h WHERE tilstand IN ('SENDT_FAGSYSTEM', 'AVVIST_FAGSYSTEM')
    OR (tilstand = 'LEVERT' AND NOT via_print);
INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, aktor,
    beskrivelse, hendelse)
SELECT id, 2, mottatt + 2 * $day, 'SENDT_PRINT', 'eskalering',
    'Fristen gikk ut; sendt til utskrift som brevpost', 'SENDT_PRINT'
FROM bench_h WHERE tilstand IN ('SENDT_PRINT', 'AVVIST_PRINT') OR via_print;
INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, aktor,
    beskrivelse, hendelse)
SELECT id, 3, COALESCE(levert, mottatt + 3 * $day), tilstand,
    COALESCE(mottaker_integrasjon, '$integrasjon{print}{integrasjonId}'),
    CASE tilstand WHEN 'AVVIST_PRINT' THEN
        'Printleverandøren kunne ikke skrive ut; må følges opp manuelt'
    WHEN 'AVVIST_FAGSYSTEM' THEN 'Fagsystemet meldte feil; sendes som brevpost'
    ELSE 'Mottatt-kvittering fra fagsystemet' END,
    CASE tilstand WHEN 'LEVERT' THEN 'KVITTERT' ELSE tilstand END
FROM bench_h WHERE tilstand IN ('LEVERT', 'AVVIST_PRINT', 'AVVIST_FAGSYSTEM');
INSERT INTO bkm_hendelse (melding_id, nr, tidspunkt, tilstand, aktor,
    beskrivelse, hendelse)
SELECT id, 4, levert + 30 * $day, 'LEVERT', 'oppbevaring',
    'Kryptert innhold slettet etter oppbevaringstiden', 'SLETTET'
FROM bench_h WHERE tilstand = 'LEVERT' AND levert <= $now - 30 * $day;
SQL
my $t0 = time;
if ($pg) {
    sql("BEGIN; $load_sql COMMIT;");
    sql('VACUUM ANALYZE');      # what autovacuum does after a bulk load
}
else {
    # The load only: synchronous=OFF for this connection (the portal's
    # own stay FULL).
    sql("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; "
        . "PRAGMA temp_store=MEMORY; BEGIN; $load_sql "
        . 'COMMIT; PRAGMA wal_checkpoint(TRUNCATE);');
}
my $load = time - $t0;
my %count = map { split /\|/ } sql(
    "SELECT 'all', COUNT(*) FROM bkm_melding UNION ALL "
    . "SELECT 'refs', COUNT(DISTINCT referanse) FROM bkm_melding UNION ALL "
    . "SELECT 'oslo', COUNT(*) FROM bkm_melding WHERE kommunenummer = '0301' "
    . "UNION ALL SELECT 'bergen', COUNT(*) FROM bkm_melding "
    . "WHERE kommunenummer = '4601' UNION ALL SELECT 'leveranse', COUNT(*) "
    . "FROM bkm_leveranse UNION ALL SELECT 'hendelse', COUNT(*) "
    . "FROM bkm_hendelse UNION ALL SELECT 'avvist', COUNT(*) FROM bkm_melding "
    . "WHERE kommunenummer = '0301' AND tilstand = 'AVVIST_PRINT' "
    . "UNION ALL SELECT 'avvist_b', COUNT(*) FROM bkm_melding "
    . "WHERE kommunenummer = '4601' AND tilstand = 'AVVIST_PRINT'");
my %states = map { split /\|/ } sql(
    'SELECT tilstand, COUNT(*) FROM bkm_melding GROUP BY tilstand');
is $count{all}, $rows, "$rows reports stored";
is $count{refs}, $rows, 'each with its own reference number';
is scalar(keys %states), 6, 'in all six states'
    or diag explain \%states;
my $size = $pg ? sql("SELECT pg_database_size('$dbname')")
               : (-s $file) + (-s "$file-wal" // 0);
diag sprintf "admin on %s: %d reports (Oslo %d, Bergen %d; %s), %d "
    . "messages, %d events stored in %.0f s with SQL, %.0f MB", $engine,
    $rows, $count{oslo}, $count{bergen},
    join(', ', map { "$_ $states{$_}" } sort keys %states),
    $count{leveranse}, $count{hendelse}, $load, $size / 1e6;

# ---- logged in at the node: its session cookies, as pages.t ----
sub login_node {
    my ($person, $path) = @_;
    my $ua = login_ua();
    my $res = $ua->get("$base$path");
    my $html = $res->decoded_content;
    my ($action) = $html =~ /<form[^>]*action="([^"]+)"/i;
    if ($action) {
        $action =~ s/&amp;/&/g;
        $action = URI->new_abs($action, $res->request->uri)->as_string;
        my %hidden;
        while ($html =~ /<input[^>]*type="hidden"[^>]*>/gi) {
            my $tag = $&;
            my ($k) = $tag =~ /name="([^"]+)"/;
            my ($v) = $tag =~ /value="([^"]*)"/;
            $hidden{$k} = $v // '' if defined $k;
        }
        $res = $ua->post($action, [%hidden, person => $person,
                                   acr => 'substantial']);
    }
    my @c;
    $ua->cookie_jar->scan(sub {
        push @c, "$_[1]=$_[2]" if $_[4] =~ /127\.0\.0\.1/ });
    return ($res, "Cookie: " . join('; ', @c) . "\r\n"
                  . "Accept: text/html\r\nAccept-Language: nb\r\n");
}
my ($kres, $kari) = login_node('kari', '/kommune/0301');
is $kres->code, 200, "kari logged in at Oslo's overview";
my ($pres, $per) = login_node('per', '/kommune/4601');
is $pres->code, 200, "per logged in at Bergen's overview";

# ---- measuring ----
my $conn = BkmBench::new_conn($port);
sub get {
    my ($hdr, $path) = @_;
    local $SIG{ALRM} = sub { die "no answer within 120 s: $path\n" };
    alarm 120;
    my $t = time;
    my ($code, $body, $h) = $conn->request('GET', $path, $hdr);
    my $secs = time - $t;
    alarm 0;
    return ($code, $body, $h, $secs);
}
# measure(LABEL, HEADERS, [PATHS] (cycled), CHECK, TARGET?, COUNT): COUNT
# (N) requests after a warm-up, or fewer (at least 3) when they take
# longer than BKM_BENCH_ADMIN_SECS (30) together; CHECK(code, body,
# headers, path) is true when the answer is right.
my @results;
sub measure {
    my ($label, $hdr, $paths, $check, $has_target, $count) = @_;
    $count //= $n;
    get($hdr, $paths->[0]);
    my (@t, @bad, $bytes, $sum);
    for my $i (0 .. $count - 1) {
        my $path = $paths->[$i % @$paths];
        my ($code, $body, $h, $secs) = get($hdr, $path);
        push @t, $secs;
        $sum += $secs;
        $bytes += length $body;
        push @bad, "$path: $code" unless $check->($code, $body, $h, $path);
        last if $sum > $budget && @t >= 3;
    }
    ok !@bad, "$label: all " . @t . " answered as they should"
        or diag join "\n", @bad[0 .. ($#bad < 4 ? $#bad : 4)];
    my %r = (label => $label, p50 => percentile(50, @t),
             p90 => percentile(90, @t), p99 => percentile(99, @t),
             n => scalar @t, bytes => $bytes / @t, target => $has_target);
    diag sprintf "admin on %s: %s: median %s, p90 %s, p99 %s of %d%s",
        $engine, $label, fmt_ms($r{p50}), fmt_ms($r{p90}), fmt_ms($r{p99}),
        scalar @t, $has_target ? sprintf(' (target median <= %s)%s',
            fmt_ms($target), $r{p50} > $target ? ' MISSED' : '') : '';
    push @results, \%r;
    return \%r;
}

# The start of a day "YYYY-MM-DD" in Oslo, in microseconds (as the module
# reads fra and til).
sub day_us {
    my ($y, $mo, $d) = split /-/, $_[0];
    my $s;
    {
        local $ENV{TZ} = 'Europe/Oslo';
        POSIX::tzset();
        $s = POSIX::mktime(0, 0, 0, $d, $mo - 1, $y - 1900);
    }
    POSIX::tzset();
    return $s * 1_000_000;
}

# A page of the overview: 200 with the rows SQL says, in order.
sub ids_of { return join ' ', $_[0] =~ m{<a [^>]*href="/kommune/\d{4}/melding/([0-9a-f-]{36})"}g }
sub expect {
    my ($where, $offset, $limit) = @_;
    return join ' ', sql("SELECT id FROM bkm_melding WHERE $where ORDER BY "
        . "mottatt DESC, id DESC LIMIT " . ($limit // 50) . " OFFSET "
        . ($offset // 0));
}
sub page_is {
    my ($want) = @_;
    return sub { $_[0] == 200 && ids_of($_[1]) eq $want };
}
sub overview {
    my ($label, $who, $path, $where) = @_;
    measure($label, $who, [$path], page_is(expect($where)), 1);
}

my $oslo = '/kommune/0301';
my $o = "kommunenummer = '0301'";
overview("overview, first page (kari, Oslo, $count{oslo} reports)", $kari,
         $oslo, $o);
overview('overview, district 16', $kari, "$oslo?bydel=16",
         "$o AND bydelsnummer = '16'");
overview('overview, type offentlig', $kari, "$oslo?type=offentlig",
         "$o AND meldingstype LIKE '%.offentlig.%'");
overview("overview, state AVVIST_PRINT ($count{avvist} of Oslo's)", $kari,
         "$oslo?tilstand=AVVIST_PRINT", "$o AND tilstand = 'AVVIST_PRINT'");
# Assurance failures (bkm_avvik.h): the failed prints have one.
overview("overview, assurance failures ($count{avvist} of Oslo's)", $kari,
         "$oslo?avvik=1", "$o AND avvik IS NOT NULL");
overview('overview, assurance failures, district 16', $kari,
         "$oslo?avvik=1&bydel=16",
         "$o AND avvik IS NOT NULL AND bydelsnummer = '16'");
# The calendar month that began about half a year ago.
my @m = localtime(time - 182 * 86400);
my $fra = strftime('%Y-%m-01', @m);
my @last = localtime(POSIX::mktime(0, 0, 12, 1, $m[4] + 1, $m[5]) - 86400);
my $til = strftime('%Y-%m-%d', @last);
my $month = "mottatt >= " . day_us($fra) . " AND mottatt < "
          . (day_us($til) + $day);
overview("overview, one month ($fra to $til)", $kari,
         "$oslo?fra=$fra&til=$til", "$o AND $month");

# The 21st page: the "neste" link followed 20 times; the pages on the way
# are the first 1,000 rows.
my $deep = $oslo;
my @walked;
my $walk = time;
for (1 .. 20) {
    my ($code, $body) = get($kari, $deep);
    push @walked, ids_of($body);
    my ($a) = $body =~ /(<a [^>]*rel="next"[^>]*>)/;
    my ($href) = ($a // '') =~ /href="([^"]+)"/;
    last unless $code == 200 && $href;
    ($deep = $href) =~ s/&amp;/&/g;
}
$walk = time - $walk;
is join(' ', @walked), expect($o, 0, 1000),
    'the "neste" link followed 20 times: the newest 1,000 in order';
measure('overview, page 21 by the keyset cursor', $kari, [$deep],
        page_is(expect($o, 1000)), 1);
diag sprintf "admin on %s: the first 20 pages one after the other: %s",
    $engine, fmt_ms($walk);

# Search: each request another report; the answer is 303 to its timeline.
my %id_of;
sub random_reports {
    my ($where, $k) = @_;
    my @r = map { [split /\|/] } sql(
        "SELECT id, referanse FROM bkm_melding WHERE $where "
        . "ORDER BY random() LIMIT $k");
    $id_of{$_->[0]} = $id_of{$_->[1]} = $_->[0] for @r;
    return @r;
}
my $to_timeline = sub {
    my ($code, undef, $h, $path) = @_;
    my ($sok) = $path =~ /sok=([^&]+)$/;
    return $code == 303 && $id_of{$sok}
        && ($h->{location} // '') =~ m{/kommune/\d{4}/melding/\Q$id_of{$sok}\E$};
};
my @oslo = random_reports($o, $n);
measure('search by reference number (303)', $kari,
        [map { "$oslo?sok=$_->[1]" } @oslo], $to_timeline, 1);
measure('search by id (303)', $kari,
        [map { "$oslo?sok=$_->[0]" } @oslo], $to_timeline, 1);
my @with = map { $_->[0] } random_reports(
    "$o AND EXISTS (SELECT 1 FROM bkm_hendelse h "
    . "WHERE h.melding_id = bkm_melding.id AND h.nr = 3)", $n);
measure('a report\'s timeline (3-4 events)', $kari,
        [map { "$oslo/melding/$_" } @with],
        sub { $_[0] == 200 && $_[1] =~ /id="hendelser"/ }, 0);

my $csv_rows = sql("SELECT COUNT(*) FROM bkm_melding WHERE $o AND "
                   . "bydelsnummer = '01' AND $month");
my $csv = measure("CSV of district 01 for $fra to $til", $kari,
    ["$oslo/meldinger.csv?fra=$fra&til=$til&bydel=01"],
    sub { my @l = split /\r\n/, $_[1];
          $_[0] == 200 && $l[0] =~ /^"bekymringsmeldingId"/
              && @l == $csv_rows + 1 }, 0, $ncsv);
diag sprintf "admin on %s: CSV of district 01 for one month: %d reports, "
    . "%.1f MB, %.1f MB/s at the median", $engine, $csv_rows,
    $csv->{bytes} / 1e6, $csv->{bytes} / 1e6 / ($csv->{p50} || 1);

# Statistics and reconciliation, for each scope (issue 11: the figures
# of anne, limited to Oslo's district 01, are her district's, one
# statement a district): each answer's total is what SQL counts for its
# scope and period.
my ($ares, $anne) = login_node('anne', $oslo);
is $ares->code, 200, "anne logged in at Oslo's overview";
my (undef, $sbody) = get($kari, "$oslo/statistikk");
my ($sfra) = $sbody =~ /id="fra" name="fra" value="([^"]+)"/;
my ($still) = $sbody =~ /id="til" name="til" value="([^"]+)"/;
my $speriod = 'mottatt >= ' . day_us($sfra) . ' AND mottatt < '
            . (day_us($still) + $day);
sub totalt_is {
    my ($want) = @_;
    return sub {
        my ($n) = $_[1] =~ m{<strong id="totalt">(\d+)</strong>};
        diag "total ", $n // 'none', ", SQL counts $want"
            if ($n // -1) != $want;
        return $_[0] == 200 && ($n // -1) == $want;
    };
}
my $d01 = "$o AND bydelsnummer = '01'";
my %stat = map { ($_->[0] => scalar sql(
    "SELECT COUNT(*) FROM bkm_melding WHERE $_->[1] AND $speriod")) }
    ['oslo', $o], ['d01', $d01], ['all', '1 = 1'];
measure("statistics, Oslo, $sfra to $still ($stat{oslo} reports; kari)",
        $kari, ["$oslo/statistikk"], totalt_is($stat{oslo}), 0, $nstat);
measure("statistics, Oslo's district 01 ($stat{d01}; anne, limited to it)",
        $anne, ["$oslo/statistikk"], totalt_is($stat{d01}), 0, $nstat);
measure("statistics, the whole country ($stat{all}; per)", $per,
        ['/kommune/statistikk'], totalt_is($stat{all}), 0, $nstat);
my (undef, $rbody) = get($kari, "$oslo/avstemming.json");
my ($rfra, $rtil) = $rbody =~ /"fra":"([^"]+)","til":"([^"]+)"/;
my $rperiod = 'mottatt >= ' . day_us($rfra) . ' AND mottatt < '
            . (day_us($rtil) + $day);
# The JSON's total, and how many ids it lists as delivered.
sub reconciled {
    my ($want, $levert) = @_;
    return sub {
        my ($n) = $_[1] =~ /"til":"[^"]+","antall":(\d+),/;
        my $ids = () = $_[1] =~ /"bekymringsmeldingId"/g;
        return $_[0] == 200 && ($n // -1) == $want && $ids == $levert;
    };
}
my %rec;
for my $scope (['oslo', $o], ['d01', $d01]) {
    $rec{$scope->[0]} = [ map { scalar sql("SELECT COUNT(*) FROM bkm_melding "
        . "WHERE $scope->[1] AND $rperiod$_") } ('', ' AND levert IS NOT NULL') ];
}
measure("reconciliation JSON, Oslo, $rfra to $rtil ($rec{oslo}[0] reports, "
        . "$rec{oslo}[1] ids; kari)", $kari, ["$oslo/avstemming.json"],
        reconciled(@{ $rec{oslo} }), 0, $nstat);
measure("reconciliation JSON, district 01 ($rec{d01}[0] reports, "
        . "$rec{d01}[1] ids; anne)", $anne, ["$oslo/avstemming.json"],
        reconciled(@{ $rec{d01} }), 0, $nstat);

# per, the national operator, at Bergen.
my $bergen = '/kommune/4601';
my $bg = "kommunenummer = '4601'";
overview("overview, first page (per, Bergen, $count{bergen} reports)", $per,
         $bergen, $bg);
overview("overview, Bergen, state AVVIST_PRINT ($count{avvist_b} of "
         . "Bergen's)", $per, "$bergen?tilstand=AVVIST_PRINT",
         "$bg AND tilstand = 'AVVIST_PRINT'");
my @bergen = random_reports($bg, $n);
measure('search by reference number, Bergen (303)', $per,
        [map { "$bergen?sok=$_->[1]" } @bergen], $to_timeline, 1);

my @missed = grep { $_->{target} && $_->{p50} > $target } @results;
diag sprintf "admin on %s: %d of %d overview and search measurements "
    . "within the target (median <= %s)%s", $engine,
    scalar(grep { $_->{target} } @results) - @missed,
    scalar(grep { $_->{target} } @results), fmt_ms($target),
    @missed ? '; missed: ' . join(', ', map { $_->{label} } @missed) : '';
{
    my @t = grep { $_->{target} } @results;
    my ($worst) = sort { $b->{p50} <=> $a->{p50} } @t;
    row(block => 'admin', key => 'admin.overview', figure => 'overview and '
        . 'search, 1,000,000 reports: the slowest of ' . @t . ' medians',
        value => $worst ? $worst->{p50} : undef,
        show => $worst ? fmt_ms($worst->{p50}) . " ($worst->{label})" : '?',
        op => '<=', target => $target, goal => '<= ' . fmt_ms($target));
}

# ---- gone again ----
cleanup();
ok $keep || !($pg ? 0 : -e $file), 'the bench database is removed';
done_testing();
