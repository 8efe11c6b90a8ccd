# SPDX-License-Identifier: Apache-2.0
# make bench (not make test): automatic reconciliation (issue 12, item 5)
# of 100,000 delivered reports for one account, on SQLite or
# (TEST_PGSQL=1) PostgreSQL.
#
# An httpd of its own (BkmTest::start_node, the module `make` builds,
# watchdog off) on a database of its own -- t/dev/db/bench-avstemming.sqlite
# or the database bkm_bench_avst of the suite's PostgreSQL cluster --
# filled with SQL and removed at the end: BKM_BENCH_LEVERT (100,000)
# reports of 0301/01 delivered to its case system over the past day
# (LEVERT, a stored-receipt with a record id, a small ciphertext row for
# the sha256), plus BKM_BENCH_ANDRE (100,000) delivered to another account
# that the reconciliation must not read.
#
# Measured, as a case system does it, with keep-alive:
#   1. the list of the day, every page (10,000 a page), then the answer
#      naming all 100,000 (target: both together <= 2 s);
#   2. the same with 100 left out: they go back to the queue.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib', 't/bench';
use BkmTest qw(root json_of slurp start_node stop_node dev_token);
use BkmBench qw(fmt_ms bench_database row);
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use Time::HiRes qw(time);

plan skip_all => 'benchmarks run with make bench (BKM_BENCH=1)'
    unless $ENV{BKM_BENCH};
plan tests => 9;

my $rows = $ENV{BKM_BENCH_LEVERT} || 100_000;
my $others = $ENV{BKM_BENCH_ANDRE} // 100_000;
my $pg = $ENV{TEST_PGSQL};
my $engine = $pg ? 'PostgreSQL' : 'SQLite (WAL)';
my $name = 'bench-avstemming';
my $port = $ENV{BKM_NODE3_PORT};
my $json = JSON::PP->new->utf8->canonical;
my %integrasjon = map { ($_->{navn} => $_) }
    @{ JSON::PP->new->decode(slurp(root() . '/t/dev/integrations.json'))
           ->{integrasjoner} };
my $konto = $integrasjon{'fagsystem-0301-01'}{kontoer}[0]{kontoId};
my $annen = $integrasjon{'fagsystem-4601-00'}{kontoer}[0]{kontoId};
my $now = int(time * 1e6);
my $day = 86_400_000_000;

my ($driver, $params, $file, $sql) = bench_database($name, 'bkm_bench_avst');
my $base = start_node($name, $port,
    { db => [$driver, $params], production => 1 },
    'BekymringEscalationInterval off', 'LogLevel warn');
END { stop_node($name) if $base; }

# ---- the deliveries ----
my $uuid = $pg ? 'gen_random_uuid()::text'
    : "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    . "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', "
    . "1 + abs(random() % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || "
    . "hex(randomblob(6)))";
my $hex64 = $pg ? "md5(i::text) || md5((i + 1)::text)"
    : "lower(hex(randomblob(32)))";
my $blob = $pg ? "'\\x00'::bytea" : "x'00'";
my $total = $rows + $others;
my $series = $pg
    ? "SELECT i FROM generate_series(1::bigint, $total) AS g(i)"
    : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
      . "WHERE i < $total) SELECT i FROM n";
my $step = int($day / $total);
my $t0 = $now - $day - 3_600_000_000;   # a day ending an hour ago
my $ref = $pg ? "'R' || lpad(i::text, 8, '0')"
              : "'R' || substr('00000000' || i, -8, 8)";
my $insert = <<"SQL";
CREATE TABLE bench_ids AS SELECT i, $uuid AS mid, $uuid AS lid,
    $t0 + i * $step AS t FROM ($series) AS s;
INSERT INTO bkm_melding (id, referanse, meldingstype, versjon, kilde,
    kommunenummer, bydelsnummer, kanal, tilstand, mottatt, endret, levert)
SELECT mid, $ref, 'no.ks.fiks.bekymringsmelding.privat.v2', 2, 'skjema',
    CASE WHEN i <= $rows THEN '0301' ELSE '4601' END,
    CASE WHEN i <= $rows THEN '01' ELSE '00' END, 'fagsystem', 'LEVERT',
    t - 60000000, t, t FROM bench_ids;
INSERT INTO bkm_chiffer (melding_id, mottaker, innholdstype, sha256,
    storrelse, innhold)
SELECT mid, 'fagsystem', 'application/vnd.etsi.asic-e+zip', $hex64, 1,
    $blob FROM bench_ids;
INSERT INTO bkm_leveranse (id, melding_id, konto_id, mottaker, meldingstype,
    opprettet, hentet, hentet_av, svar, svar_tid, arkivreferanse)
SELECT lid, mid, CASE WHEN i <= $rows THEN '$konto' ELSE '$annen' END,
    'fagsystem', 'no.ks.fiks.bekymringsmelding.privat.v2', t - 60000000,
    t - 30000000, 'x', 'lagret', t, 'SAK-' || i FROM bench_ids;
DROP TABLE bench_ids;
SQL
my $t = time;
if ($pg) {
    $sql->("BEGIN; $insert COMMIT;");
    $sql->('VACUUM ANALYZE');
}
else {
    $sql->("PRAGMA synchronous=OFF; BEGIN; $insert COMMIT; "
           . 'PRAGMA wal_checkpoint(TRUNCATE);');
}
is $sql->("SELECT COUNT(*) FROM bkm_leveranse WHERE konto_id = '$konto' "
          . "AND svar = 'lagret'"), $rows, "$rows deliveries stored";
diag sprintf "reconciliation on %s: %d + %d deliveries stored in %.0f s",
    $engine, $rows, $others, time - $t;

# ---- the case system ----
my $ua = LWP::UserAgent->new(timeout => 300, keep_alive => 1);
my @auth = dev_token('fagsystem-0301-01');
my $url = "$base/bekymringsmelding/api/v2/konto/$konto/avstemming";
sub utc {
    my @g = gmtime($_[0] / 1e6);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $g[5] + 1900, $g[4] + 1,
        @g[3, 2, 1, 0];
}
my ($fra, $til) = (utc($t0 - 1e6), utc($now - 1e6));
# The client's side is kept light (JSON::PP, pure Perl, would take longer
# to decode 100,000 entries than the portal takes to answer): ids and
# record ids read from each page's text, the answer written as text.
my $t_http = 0;
sub list_all {
    my (@all, $etter);
    for (;;) {
        my $tq = time;
        my $res = $ua->request(HTTP::Request->new(GET => "$url?fra=$fra&til=$til"
            . ($etter ? "&etter=$etter" : ''), [@auth]));
        die 'list: ' . $res->code . ' ' . $res->decoded_content
            if $res->code != 200;
        $t_http += time - $tq;
        my $text = $res->content;
        while ($text =~ /\{("meldingId"[^{}]*)\}/g) {
            my $o = $1;
            my ($id) = $o =~ /"meldingId":"([^"]*)"/;
            my ($arkiv) = $o =~ /"arkivreferanse":"([^"]*)"/;
            push @all, [$arkiv // '', $id];
        }
        ($etter) = $text =~ /"neste":"([^"]*)"/ or last;
    }
    return \@all;
}
sub answer {
    my ($entries) = @_;
    my $body = qq({"fra":"$fra","til":"$til","meldinger":[)
        . join(',', map { qq({"meldingId":"$_->[1]","arkivreferanse":"$_->[0]"}) }
               @$entries) . ']}';
    my $res = $ua->request(HTTP::Request->new(POST => $url,
        [@auth, 'Content-Type' => 'application/json'], $body));
    my $j = $res->code == 200 && length($res->content) < 1e6
        ? json_of($res) : { body => substr($res->decoded_content, 0, 300) };
    return ($res->code, $j);
}

$t = time;
my $list = list_all();
my $t_list = time - $t;
is scalar(@$list), $rows, "the list: all $rows";
my @held = @$list;
$t = time;
my ($code, $r) = answer(\@held);
my $t_answer = time - $t;
is $code, 200, 'the answer is taken';
is $r->{bekreftet}, $rows, "all $rows confirmed";
is scalar(@{ $r->{mangler} }), 0, 'none missing';
ok $t_list + $t_answer <= 2, 'list and answer within 2 s'
    or diag sprintf 'took %.2f s', $t_list + $t_answer;
diag sprintf "reconciliation on %s: of the list, HTTP requests %s",
    $engine, fmt_ms($t_http);
diag sprintf "reconciliation on %s: %d deliveries: the list (%d pages) %s, "
    . "the answer %s, together %s (target <= 2 s)", $engine, $rows,
    int(($rows + 9999) / 10000), fmt_ms($t_list), fmt_ms($t_answer),
    fmt_ms($t_list + $t_answer);
row(block => 'reconciliation', key => 'avstemming', figure => "the list and "
    . "the answer, $rows deliveries", value => $t_list + $t_answer,
    show => fmt_ms($t_list + $t_answer), op => '<=', target => 2,
    goal => '<= 2 s');

# The server's part alone: one full page through curl (C, no Perl).
my $curl = join ' ', map { "-H '$_'" } map { "$auth[$_ * 2]: $auth[$_ * 2 + 1]" }
    0 .. @auth / 2 - 1;
my @ct = split /\n/, `curl -s -w '%{time_total}\n' -o /dev/null -o /dev/null $curl '$url?fra=$fra&til=$til' '$url?fra=$fra&til=$til&antall=9999'`;
my $ct = $ct[-1];
diag sprintf "reconciliation on %s: a page of 9,999 through curl (a connection already logged in): %s",
    $engine, fmt_ms($ct);

# ---- 100 left out ----
$t = time;
my @some = @held[100 .. $#held];
($code, $r) = answer(\@some);
my $t_lost = time - $t;
is $code, 200, 'an answer without 100';
is scalar(@{ $r->{mangler} }), 100, 'the 100 are missing';
is $sql->("SELECT COUNT(*) FROM bkm_melding WHERE tilstand = 'AKSEPTERT' "
          . "AND frist IS NOT NULL AND levert IS NULL"), 100,
    'and wait again with a deadline';
diag sprintf "reconciliation on %s: the answer with 100 missing: %s",
    $engine, fmt_ms($t_lost);

stop_node($name);
undef $base;
if ($pg) {
    system('psql', '-q', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT}, '-U',
           'postgres', '-c', 'DROP DATABASE bkm_bench_avst');
}
elsif (!$ENV{BKM_BENCH_KEEP}) {
    unlink glob("$file*");
}
