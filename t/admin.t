# SPDX-License-Identifier: Apache-2.0
# The municipal administration (issue 6): who may see and do what
# (an authorisation matrix, every cell asserted), the overview's filters
# and CSV, a report's timeline after the delivery paths, and the
# manual-download channel: download, decrypt (openssl cms, as a receiver's
# own tools would), confirm -> LEVERT.
#
# Roles (t/dev/roles.json, made by build/dev-tree): kari administers Oslo
# (all districts); anne administers Oslo district 01 only; ola receives for
# Oslo 03 and Trondheim 00 (manual download); per is the national operator;
# noname has no role.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(login_ua login base_url db_rows openssl_decrypt root json_of
               error_log);
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use BkmCaseSystem;
use HTTP::Request::Common qw(POST);
use JSON::PP;
use Encode ();
use LWP::UserAgent;
use Time::Local qw(timegm);

my $base = base_url();
my $api = "$base/bekymringsmelding/api/v2/mottak/skjema";
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;

# Reports to send, one per district that the matrix needs.
my $reporter = login_ua();
login($reporter, '/meg', 'kari', 'substantial');
sub report_to {
    my ($knr, $bnr) = @_;
    my $res = $reporter->post("$api/privat", 'Content-Type' => 'application/json',
        Accept => 'application/json', Content => $json->encode({
            kommunenummer => $knr, bydelsnummer => $bnr,
            privatMelder => { personnavn => 'x' },
            privatBarn => [ { personnavn => 'Barn', adresse => { adresselinje1 => 'Gate 1' } } ],
            melding => 'Bekymret.' }));
    my $j = json_of($res) or die "report to $knr/$bnr: " . $res->code;
    return $j->{uuid};
}
my %id = (
    o01 => report_to('0301', '01'),     # case system
    o03 => report_to('0301', '03'),     # manual download
    b00 => report_to('4601', '00'),     # another municipality
    t00 => report_to('5001', '00'),     # manual, Trondheim
);
sub leveranse {
    my ($melding) = @_;
    return (db_rows("SELECT id FROM bkm_leveranse WHERE melding_id = '$melding' "
                    . "AND mottaker <> 'print'"))[0][0];
}
my $l03 = leveranse($id{o03});
my $lt00 = leveranse($id{t00});
my $l01 = leveranse($id{o01});

my %ua;
for my $p (qw(kari anne ola per noname)) {
    $ua{$p} = login_ua();
    my $res = login($ua{$p}, '/kommune', $p, 'substantial');
    $ua{$p}->max_redirect(0);
}

# The matrix: each person x each page x own/other municipality/district.
my @pages = (
    [ 'my municipalities',            '/kommune' ],
    [ 'overview, Oslo',               '/kommune/0301' ],
    [ 'overview, Bergen',             '/kommune/4601' ],
    [ 'overview, Oslo, district 03',  '/kommune/0301?bydel=03' ],
    [ 'CSV, Oslo',                    '/kommune/0301/meldinger.csv' ],
    [ 'CSV, Bergen',                  '/kommune/4601/meldinger.csv' ],
    [ 'timeline, Oslo 01',            "/kommune/0301/melding/$id{o01}" ],
    [ 'timeline, Oslo 03',            "/kommune/0301/melding/$id{o03}" ],
    [ 'timeline, Bergen report via Oslo', "/kommune/0301/melding/$id{b00}" ],
    [ 'timeline, Bergen',             "/kommune/4601/melding/$id{b00}" ],
    [ 'receiving, Oslo',              '/kommune/0301/mottak' ],
    [ 'receiving, Trondheim',         '/kommune/5001/mottak' ],
    [ 'receiving, Bergen',            '/kommune/4601/mottak' ],
    [ 'a waiting report, Oslo 03',    "/kommune/0301/mottak/$l03" ],
    [ 'download, Oslo 03',            "/kommune/0301/mottak/$l03/melding" ],
    [ 'download, Trondheim via Oslo', "/kommune/0301/mottak/$lt00/melding" ],
    [ 'a case-system message as manual', "/kommune/0301/mottak/$l01/melding" ],
    [ 'statistics, Oslo',             '/kommune/0301/statistikk' ],
    [ 'statistics, Bergen',           '/kommune/4601/statistikk' ],
    [ 'statistics, the whole country', '/kommune/statistikk' ],
    [ 'reconciliation, Oslo',         '/kommune/0301/avstemming' ],
    [ 'reconciliation, Oslo, district 03', '/kommune/0301/avstemming?bydel=03' ],
    [ 'reconciliation CSV, Oslo',     '/kommune/0301/avstemming.csv' ],
    [ 'reconciliation JSON, Oslo',    '/kommune/0301/avstemming.json' ],
    [ 'reconciliation JSON, Oslo, district 03', '/kommune/0301/avstemming.json?bydel=03' ],
    [ 'reconciliation CSV, Bergen',   '/kommune/4601/avstemming.csv' ],
    [ 'reconciliation JSON, Bergen',  '/kommune/4601/avstemming.json' ],
);
my %expect = (
    #          kari anne ola  per  noname
    'my municipalities'            => [200, 200, 200, 200, 403],
    'overview, Oslo'               => [200, 200, 404, 200, 404],
    'overview, Bergen'             => [404, 404, 404, 200, 404],
    'overview, Oslo, district 03'  => [200, 400, 404, 200, 404],
    'CSV, Oslo'                    => [200, 200, 404, 200, 404],
    'CSV, Bergen'                  => [404, 404, 404, 200, 404],
    'timeline, Oslo 01'            => [200, 200, 404, 200, 404],
    'timeline, Oslo 03'            => [200, 404, 404, 200, 404],
    'timeline, Bergen report via Oslo' => [404, 404, 404, 404, 404],
    'timeline, Bergen'             => [404, 404, 404, 200, 404],
    'receiving, Oslo'              => [404, 404, 200, 404, 404],
    'receiving, Trondheim'         => [404, 404, 200, 404, 404],
    'receiving, Bergen'            => [404, 404, 404, 404, 404],
    'a waiting report, Oslo 03'    => [404, 404, 200, 404, 404],
    'download, Oslo 03'            => [404, 404, 200, 404, 404],
    'download, Trondheim via Oslo' => [404, 404, 404, 404, 404],
    'a case-system message as manual' => [404, 404, 404, 404, 404],
    'statistics, Oslo'             => [200, 200, 404, 200, 404],
    'statistics, Bergen'           => [404, 404, 404, 200, 404],
    'statistics, the whole country' => [404, 404, 404, 200, 404],
    'reconciliation, Oslo'         => [200, 200, 404, 200, 404],
    'reconciliation, Oslo, district 03' => [200, 400, 404, 200, 404],
    'reconciliation CSV, Oslo'     => [200, 200, 404, 200, 404],
    'reconciliation JSON, Oslo'    => [200, 200, 404, 200, 404],
    'reconciliation JSON, Oslo, district 03' => [200, 400, 404, 200, 404],
    'reconciliation CSV, Bergen'   => [404, 404, 404, 200, 404],
    'reconciliation JSON, Bergen'  => [404, 404, 404, 200, 404],
);
my @people = qw(kari anne ola per noname);

# Confirming (a POST) is in the matrix too.  A CSRF token is bound to the
# browser's cookie and the person (bkm_token.h), the same on every page of
# ours: anyone logged in finds theirs in the reporter's form.
sub csrf_of {
    my ($u) = @_;     # (a report's id may follow: every page's token is one)
    my $res = $u->get("$base/privat/skjema?kommune=0301");
    return ($res->decoded_content =~ /name="csrf" value="([0-9a-f]{64})"/)[0];
}

plan tests => @pages * @people + @people + 98 + 18 + 24 + 11 + 4 + 24 + 7 + 4;

for my $page (@pages) {
    my ($name, $path) = @$page;
    for my $i (0 .. $#people) {
        my $res = $ua{$people[$i]}->get("$base$path");
        is $res->code, $expect{$name}[$i], "$people[$i]: $name";
    }
}
# Confirm, before the download: only the receiver gets past 404, and is
# told to download first (ola downloaded it above: so first Trondheim).
my %confirm = (kari => 404, anne => 404, ola => 409, per => 404, noname => 404);
for my $p (@people) {
    my $token = csrf_of($ua{$p});
    my $res = $ua{$p}->request(POST "$base/kommune/5001/mottak/$lt00/bekreft",
                               [csrf => $token]);
    is $res->code, $confirm{$p}, "$p: confirm Trondheim's report before downloading it";
}

# ---- the overview: rows, filters, search, CSV ----
my $kari = $ua{kari};
my $res = $kari->get("$base/kommune/0301");
my $html = $res->decoded_content;
like $html, qr{href="/kommune/0301/melding/$id{o01}"}, 'the overview lists Oslo 01\'s report';
like $html, qr{href="/kommune/0301/melding/$id{o03}"}, 'and Oslo 03\'s';
unlike $html, qr{$id{b00}}, 'but not Bergen\'s';
is $res->header('Cache-Control'), 'no-store', 'no-store';
$res = $ua{anne}->get("$base/kommune/0301");
unlike $res->decoded_content, qr{$id{o03}}, 'a district-limited administrator sees only her district';
like $res->decoded_content, qr{$id{o01}}, 'her district\'s report is there';
$res = $kari->get("$base/kommune/0301?bydel=03");
unlike $res->decoded_content, qr{$id{o01}}, 'the district filter';
like $res->decoded_content, qr{$id{o03}}, 'keeps district 03';
$res = $kari->get("$base/kommune/0301?type=offentlig");
unlike $res->decoded_content, qr{$id{o01}|$id{o03}}, 'the type filter';
$res = $kari->get("$base/kommune/0301?tilstand=LEVERT");
unlike $res->decoded_content, qr{$id{o01}}, 'the state filter';
$res = $kari->get("$base/kommune/0301?fra=2000-01-01&til=2000-01-02");
like $res->decoded_content, qr/Ingen meldinger passer/, 'a period with nothing';
for my $bad ('fra=2026-13-01', 'til=yesterday', 'bydel=99', 'type=x',
             'tilstand=DROP', 'etter=1.x', "etter=1.$id{o01}x") {
    is $kari->get("$base/kommune/0301?$bad")->code, 400, "a bad filter ($bad): 400";
}
my ($ref03) = db_rows("SELECT referanse FROM bkm_melding WHERE id = '$id{o03}'");
$res = $kari->get("$base/kommune/0301?sok=$ref03->[0]");
is $res->code, 303, 'search by reference number';
is $res->header('Location'), "/kommune/0301/melding/$id{o03}", 'to its timeline';
$res = $kari->get("$base/kommune/0301?sok=$id{b00}");
is $res->code, 200, 'another municipality\'s id is not found';
like $res->decoded_content, qr/role="alert"/, 'and said so';
$res = $kari->get("$base/kommune/0301/meldinger.csv?bydel=03");
is $res->header('Content-Type'), 'text/csv; charset=utf-8', 'CSV';
my @lines = split /\r\n/, $res->decoded_content;
is $lines[0], '"bekymringsmeldingId","referanse","mottatt","type","bydelsnummer","kanal","tilstand","levert","varsler"',
    'the CSV header';
my ($line) = grep { /^"\Q$id{o03}\E"/ } @lines;
like $line // '', qr/^"$id{o03}","$ref03->[0]","\d{4}-\d\d-\d\d \d\d:\d\d","privat","03","manuell","SENDT_FAGSYSTEM","","Hentet, ikke kvittert"$/,
    'a CSV row: metadata only';
ok !(grep { /$id{o01}/ } @lines), 'the CSV follows the filter';
unlike $res->decoded_content, qr/Bekymret|Gate 1|Barn/, 'no content in the CSV';

# ---- manual download -> decrypt -> confirm -> LEVERT ----
my $ola = $ua{ola};
$res = $ola->get("$base/kommune/0301/mottak");
like $res->decoded_content, qr{href="/kommune/0301/mottak/$l03"}, 'the receiver sees the waiting report';
$res = $ola->get("$base/kommune/0301/mottak/$l03");
like $res->decoded_content, qr{<section id="dekrypter" hidden}, 'a decryption section for the browser';
like $res->decoded_content, qr{data-url="/kommune/0301/mottak/$l03/melding"}, 'with where to fetch';
$res = $ola->get("$base/kommune/0301/mottak/$l03/melding");
is $res->header('Content-Type'), 'application/pkcs7-mime', 'the sealed PDF';
my $pdf = openssl_decrypt($res->content, "$pki/0301-03-manuell.key", "$pki/0301-03-manuell.pem");
like $pdf // '', qr/^%PDF-/, 'opens with the district\'s manual-download key';
my $token = csrf_of($ola);
$res = $ola->request(POST "$base/kommune/0301/mottak/$l03/bekreft", [csrf => 'ab' x 32]);
is $res->code, 403, 'confirm with a wrong CSRF token: 403';
my ($st) = db_rows("SELECT tilstand, levert FROM bkm_melding WHERE id = '$id{o03}'");
is $st->[0], 'SENDT_FAGSYSTEM', 'downloaded, not yet delivered';
$res = $ola->request(POST "$base/kommune/0301/mottak/$l03/bekreft", [csrf => $token]);
is $res->code, 303, 'confirmed';
($st) = db_rows("SELECT tilstand, levert, frist FROM bkm_melding WHERE id = '$id{o03}'");
is $st->[0], 'LEVERT', 'the report is delivered';
ok $st->[1], 'with a delivery time';
is $st->[2], '', 'and no escalation deadline left';
$res = $ola->request(POST "$base/kommune/0301/mottak/$l03/bekreft", [csrf => $token]);
is $res->code, 303, 'confirming again changes nothing';
$res = $ola->get("$base/kommune/0301/mottak");
unlike $res->decoded_content, qr{/mottak/$l03"}, 'no longer waiting';

# ---- a download counts only when every byte went out ----
# HEAD sends none; a client that hangs up is not sent them all; only a
# whole GET is a download, and only after one may the receiver confirm.
my $rh = report_to('0301', '03');
my $lh = leveranse($rh);
sub fetched {
    my ($l) = @_;
    return (db_rows("SELECT COALESCE(l.hentet, 0), COALESCE(l.svar, ''), m.tilstand, "
                    . "COALESCE(m.levert, 0) FROM bkm_leveranse l JOIN bkm_melding m "
                    . "ON m.id = l.melding_id WHERE l.id = '$l'"))[0];
}
my $untouched = ['0', '', 'AKSEPTERT', '0'];
$res = $ola->head("$base/kommune/0301/mottak/$lh/melding");
is $res->code, 200, 'HEAD of the sealed file: 200';
cmp_ok $res->header('Content-Length') // 0, '>', 1000, 'with its length';
is length($res->content), 0, 'and no bytes';
is_deeply fetched($lh), $untouched, 'HEAD is not recorded as a download'
    or diag explain fetched($lh);
$res = $ola->request(POST "$base/kommune/0301/mottak/$lh/bekreft", [csrf => csrf_of($ola, $lh)]);
is $res->code, 409, 'confirming after a HEAD only: refused (409)';
like $res->decoded_content, qr/Meldinga er ikkje lasta ned enno/, 'said in the page\'s language (Ola\'s is nynorsk)';
is_deeply fetched($lh), $untouched, 'and nothing changed';
# A client that hangs up (a reset) right after asking: the handler runs,
# but its bytes cannot go out.  (One that reads a few bytes first is not
# cut off here: over loopback the socket buffers take the whole file
# before the client closes.)  The reset races the server's answer on a
# busy machine: when the server wins, every byte went out and the
# download rightly counts, so each try is a new report, until the server
# saw one cut off.
sub hang_up {
    my ($u, $path) = @_;
    my @c;
    $u->cookie_jar->scan(sub { push @c, "$_[1]=$_[2]" if $_[4] =~ /127\.0\.0\.1/ });
    my ($port) = $base =~ /:(\d+)$/;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die "connect: $!";
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nAccept: text/html\r\n"
        . 'Cookie: ' . join('; ', @c) . "\r\nConnection: close\r\n\r\n";
    syswrite($s, $req) == length($req) or die "send: $!";
    CORE::close($s);
}
sub answered {
    my ($path) = @_;
    my $log = Apache::Test::config()->{vars}{t_logs} . '/access_log';
    for (1 .. 100) {
        open my $fh, '<', $log or die "$log: $!";
        return 1 if grep { index($_, "\"GET $path\"") >= 0 } <$fh>;
        select undef, undef, undef, 0.1;
    }
    return 0;
}
my ($seen, $tries);
for my $try (1 .. 20) {
    if ($try > 1) {
        $lh = leveranse(report_to('0301', '03'));
    }
    $tries = $try;
    select undef, undef, undef, 0.05;   # a fresh time slice for the client
    hang_up($ola, "/kommune/0301/mottak/$lh/melding");
    answered("/kommune/0301/mottak/$lh/melding");
    $seen = error_log() =~ /BKM02801: manual download of message \Q$lh\E not completed/;
    last if $seen;
}
ok $seen, 'a client that hung up: the server saw the download cut off'
    or diag "in none of $tries tries";
is_deeply fetched($lh), $untouched, 'and did not record it' or diag explain fetched($lh);
$res = $ola->request(POST "$base/kommune/0301/mottak/$lh/bekreft", [csrf => csrf_of($ola, $lh)]);
is $res->code, 409, 'confirming after a download cut off: refused (409)';
is_deeply fetched($lh), $untouched, 'nothing changed';
# A Range is not answered in part (that would be no download either).
$res = $ola->get("$base/kommune/0301/mottak/$lh/melding", Range => 'bytes=0-9');
is $res->code, 200, 'a Range is ignored: 200, the whole file';
is length($res->content), $res->header('Content-Length'), 'every byte';
is $res->header('Accept-Ranges'), 'none', 'and ranges are not offered';
like openssl_decrypt($res->content, "$pki/0301-03-manuell.key", "$pki/0301-03-manuell.pem") // '',
    qr/^%PDF-/, 'the whole sealed PDF';
my $f = fetched($lh);
ok $f->[0] > 0 && $f->[2] eq 'SENDT_FAGSYSTEM', 'the whole GET is recorded as the download'
    or diag explain $f;
$res = $ola->request(POST "$base/kommune/0301/mottak/$lh/bekreft", [csrf => csrf_of($ola, $lh)]);
is $res->code, 303, 'then confirming works';
is fetched($lh)->[2], 'LEVERT', 'and the report is delivered';

# ---- the timeline after delivery paths ----
$res = $kari->get("$base/kommune/0301/melding/$id{o03}");
$html = $res->decoded_content;
my @events = $html =~ m{<li>\s*<span class="bkm-tid">[^<]+</span>\s*<strong>([^<]+)</strong>}g;
is_deeply \@events, ['Mottatt og lagret kryptert', 'Hentet', 'Kvittert mottatt'],
    'manual: received, fetched, confirmed' or diag explain \@events;
like $html, qr/Ola Nordmann \(mottaker\)/, 'the receiver named as the actor, with the role';
unlike $html, qr/02028054321/, 'by name, never by national id';
like $html, qr{<dd id="tilstand">Levert</dd>}, 'state: delivered';
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem");
my (undef, $list) = $cs->list();
my ($m) = grep { $_->{bekymringsmeldingId} eq $id{o01} } @{ $list // [] };
$cs->fetch($m->{meldingId});
$cs->answer($m->{meldingId}, 'mottatt');
$res = $kari->get("$base/kommune/0301/melding/$id{o01}");
@events = $res->decoded_content =~ m{<strong>([^<]+)</strong>}g;
is_deeply \@events, ['Mottatt og lagret kryptert', 'Hentet', 'Kvittert mottatt'],
    'case system: received, fetched, receipted' or diag explain \@events;
like $res->decoded_content, qr/ – fagsystemet fagsystem-0301-01</, 'the integration named (not its id)';
# ---- actions, audited with a reason ----
sub token_of { csrf_of($_[0]) // '' }
sub action {
    my ($u, $knr, $id, %f) = @_;
    return $u->request(POST "$base/kommune/$knr/melding/$id/handling",
                       [csrf => token_of($u), %f]);
}
sub state_of {
    my ($id) = @_;
    return (db_rows("SELECT tilstand, COALESCE(levert, -1), COALESCE(frist, -1), "
                    . "oppfolging FROM bkm_melding WHERE id = '$id'"))[0];
}
# Re-queue: fetched by the case system, never receipted.
my $r1 = report_to('0301', '01');
(undef, $list) = $cs->list();
($m) = grep { $_->{bekymringsmeldingId} eq $r1 } @{ $list // [] };
$cs->fetch($m->{meldingId});
is state_of($r1)->[0], 'SENDT_FAGSYSTEM', 'a fetched report';
$res = action($kari, '0301', $r1, handling => 'tilbake', begrunnelse => '');
is $res->code, 422, 'an action without a reason: shown again (422)';
like $res->decoded_content, qr/id="begrunnelse-feil">Skriv en begrunnelse/, 'asking for one';
$res = $kari->request(POST "$base/kommune/0301/melding/$r1/handling",
                      [csrf => 'cd' x 32, handling => 'tilbake', begrunnelse => 'x']);
is $res->code, 403, 'a wrong CSRF token: 403';
$res = action($ua{anne}, '0301', report_to('0301', '02'), handling => 'handtert', begrunnelse => 'x');
is $res->code, 404, 'another district\'s report: 404 for a district-limited administrator';
$res = action($ua{ola}, '0301', $r1, handling => 'handtert', begrunnelse => 'x');
is $res->code, 404, 'a receiver takes no actions';
$res = action($kari, '0301', $r1, handling => 'slett', begrunnelse => 'x');
is $res->code, 400, 'an unknown action: 400';
is state_of($r1)->[0], 'SENDT_FAGSYSTEM', 'none of these changed anything';
$res = action($kari, '0301', $r1, handling => 'tilbake',
              begrunnelse => 'Fagsystemet mistet meldingen ved en feil');
is $res->code, 303, 're-queued';
is state_of($r1)->[0], 'AKSEPTERT', 'waiting again';
(undef, $list) = $cs->list();
($m) = grep { $_->{bekymringsmeldingId} eq $r1 } @{ $list // [] };
ok $m && !$m->{hentet}, 'in the case system\'s list as new' or diag explain $m;
my ($audit) = db_rows("SELECT aktor, handling, begrunnelse FROM bkm_revisjon WHERE melding_id = '$r1'");
is_deeply $audit, ['administrator: Kari Nordmann', 'tilbake', 'Fagsystemet mistet meldingen ved en feil'],
    'audited: who, what, why';
$res = $kari->get("$base/kommune/0301/melding/$r1");
like $res->decoded_content, qr{<strong>Lagt tilbake til fagsystemet</strong>\s*<span class="bkm-aktor"> – Kari Nordmann \(administrator\)}, 'on the timeline';
# Handled manually: delivered, escalation stops; not twice.
$res = action($ua{per}, '0301', $r1, handling => 'handtert', begrunnelse => 'Levert for hånd');
is $res->code, 200, 'handled manually: first a confirmation page';
like $res->decoded_content, qr{<form method="post" id="bekreft-handling".*name="bekreftet" value="1".*Levert for hånd</textarea>}s,
    'which posts again with bekreftet=1 and the reason kept';
like $res->decoded_content, qr{stops letter post}i, 'and says that letter post stops (per reads English)';
is state_of($r1)->[0], 'AKSEPTERT', 'nothing done before the confirmation';
$res = action($ua{per}, '0301', $r1, handling => 'handtert', begrunnelse => 'Levert for hånd', bekreftet => 1);
is $res->code, 303, 'the operator marks it handled manually';
my $s1 = state_of($r1);
ok $s1->[0] eq 'LEVERT' && $s1->[1] > 0 && $s1->[2] == -1, 'delivered, no deadline left'
    or diag explain $s1;
$res = action($kari, '0301', $r1, handling => 'handtert', begrunnelse => 'igjen', bekreftet => 1);
is $res->code, 409, 'not twice (409)';
# Retry a rejected print: the case system says feilet, print fails.
my $r3 = report_to('0301', '01');
(undef, $list) = $cs->list();
($m) = grep { $_->{bekymringsmeldingId} eq $r3 } @{ $list // [] };
$cs->fetch($m->{meldingId});
$cs->answer($m->{meldingId}, 'feilet', '{"melding":"kan ikke lagre"}');
my $printer = BkmCaseSystem->new(base => $base, name => 'print',
    key => "$pki/print.key", cert => "$pki/print.pem");
(undef, $list) = $printer->list();
my ($pj) = grep { $_->{bekymringsmeldingId} eq $r3 } @{ $list // [] };
$printer->fetch($pj->{meldingId});
$printer->answer($pj->{meldingId}, 'feilet', '{"melding":"adressen mangler"}');
is state_of($r3)->[0], 'AVVIST_PRINT', 'print rejected';
$res = $kari->get("$base/kommune/0301/melding/$r3");
like $res->decoded_content, qr{<dl class="bkm-person" id="brevpost">}, 'a failed print: where the letter was to go';
unlike $res->decoded_content, qr{id="brevpost-fram"}, 'but no arrival date';
$res = action($kari, '0301', $r3, handling => 'print', begrunnelse => 'Adressen er rettet');
is $res->code, 303, 'print ordered again';
my $s3 = state_of($r3);
ok $s3->[0] eq 'SENDT_PRINT' && $s3->[3] == 0, 'sent to print, no longer flagged' or diag explain $s3;
(undef, $list) = $printer->list();
ok((grep { $_->{bekymringsmeldingId} eq $r3 } @{ $list // [] }), 'the print provider has it again');

# ---- statistics, health and reconciliation ----
$res = $kari->get("$base/kommune/0301/statistikk");
$html = $res->decoded_content;
my ($n0301) = db_rows("SELECT COUNT(*) FROM bkm_melding WHERE kommunenummer = '0301'");
like $html, qr{<strong id="totalt">$n0301->[0]</strong>}, 'statistics: every Oslo report of the period';
like $html, qr{<svg viewBox="0 0 640 272" role="img"}, 'a chart, made by the server';
like $html, qr{<rect class="bkm-stolpe-fagsystem" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+">}, 'with bars';
like $html, qr{<table class="ds-table" id="helse">.*Gamle Oslo}s, 'health per account';
like $html, qr{id="printandel">\d+,\d\x{a0}%</strong>}, 'the share sent to print, written the Norwegian way';
is $kari->get("$base/kommune/0301/statistikk?fra=2026-99-01")->code, 400, 'a bad period: 400';
$res = $ua{per}->get("$base/kommune/statistikk");
my ($nall) = db_rows("SELECT COUNT(*) FROM bkm_melding");
like $res->decoded_content, qr{<strong id="totalt">$nall->[0]</strong>}, 'nationally: every report';
$res = $kari->get("$base/kommune/0301/avstemming.json");
my $rec = JSON::PP->new->decode($res->content);
my $sum = 0;
$sum += $_->{antall} for @{ $rec->{etterTilstandOgKanal} };
is $sum, $n0301->[0], 'reconciliation: the counts add up to every report';
my ($nlev) = db_rows("SELECT COUNT(*) FROM bkm_melding WHERE kommunenummer = '0301' AND levert IS NOT NULL");
is scalar(@{ $rec->{levert} }), $nlev->[0], 'and every delivered id is listed';
ok((grep { $_->{bekymringsmeldingId} eq $id{o03} } @{ $rec->{levert} }), 'the confirmed manual report among them');
$res = $kari->get("$base/kommune/0301/avstemming.csv?bydel=03");
like $res->decoded_content, qr/^"bekymringsmeldingId","referanse","bydelsnummer","levert"\r\n"$id{o03}","$ref03->[0]","03","/,
    'as CSV, by district';
is $ua{anne}->get("$base/kommune/0301/avstemming?bydel=03")->code, 400, 'not another district\'s';

# ---- a district-limited administrator's figures are her districts' ----
# Issue 11: anne (Oslo, district 01 only) was shown Oslo's weekly counts
# and print share.  Each figure of hers must be what her own CSV of the
# overview shows, and differ from Oslo's, which has reports in 02 and 03
# too (one of 02's goes to letter post here, so the print share differs).
my $cs02 = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-02',
    key => "$pki/0301-02-fagsystem.key", cert => "$pki/0301-02-fagsystem.pem");
my $r02 = report_to('0301', '02');
(undef, $list) = $cs02->list();
($m) = grep { $_->{bekymringsmeldingId} eq $r02 } @{ $list // [] };
$cs02->fetch($m->{meldingId});
$cs02->answer($m->{meldingId}, 'feilet', '{"melding":"kan ikke lagre"}');
# Days since 1970 of a date "YYYY-MM-DD[ HH:MM]" (a day in Oslo).
sub day_of {
    my ($y, $mo, $d) = $_[0] =~ /^(\d+)-(\d+)-(\d+)/;
    return int(timegm(0, 0, 12, $d, $mo - 1, $y) / 86400);
}
# The rows of a CSV (every field quoted; none holds '","').
sub csv_rows {
    my ($u, $path) = @_;
    my $res = $u->get("$base$path");
    die "$path: " . $res->code . "\n" unless $res->code == 200;
    my @l = split /\r\n/, $res->decoded_content;
    shift @l;
    return map { [ map { s/^"|"$//gr } split /","/, $_, -1 ] } @l;
}
# The statistics page's figures: total, weeks (as the table has them:
# count, private, public, case system, manual), the chart's bars, the
# print count and the accounts of the health table.
sub stats_of {
    my ($u, $path) = @_;
    my $html = $u->get("$base$path")->decoded_content;
    my %f;
    ($f{totalt}) = $html =~ m{<strong id="totalt">(\d+)</strong>};
    ($f{print}) = $html =~ m{<strong id="printandel">[^<]*</strong> \((\d+)\)};
    ($f{fra}) = $html =~ m{id="fra" name="fra" value="([^"]*)"};
    ($f{til}) = $html =~ m{id="til" name="til" value="([^"]*)"};
    my ($uker) = $html =~ m{<table class="ds-table" id="uker">(.*?)</table>}s;
    $f{uker} = [];
    while (($uker // '') =~ m{<th scope="row">.*?</th>\s*<td[^>]*>(\d+)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>}g) {
        push @{ $f{uker} }, [$1, $2, $3, $4, $5];
    }
    $f{stolper} = [ map { /: (\d+)$/ } $html =~ m{<rect class="bkm-stolpe-fagsystem"[^>]*><title>([^<]+)</title>}g ];
    my ($helse) = $html =~ m{<table class="ds-table" id="helse">(.*?)</table>}s;
    $f{kontoer} = [ ($helse // '') =~ m{<th scope="row">([^<]+)</th>}g ];
    # Each account's waiting, print jobs waiting and reports to follow up.
    while (($helse // '') =~ m{<th scope="row">([^<]+)</th>\s*<td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)}g) {
        $f{helse}{$1} = [$2, $3, $4];
    }
    return \%f;
}
# The same weeks counted from CSV rows: ISO weeks, Monday to Sunday, the
# first one from the period's first day (each day from its midnight in
# Oslo).
sub weeks_of {
    my ($f, @rows) = @_;
    my @w = map { [0, 0, 0, 0, 0] } @{ $f->{uker} };
    my $f0 = day_of($f->{fra});
    my $monday = $f0 - ((($f0 + 4) % 7) + 6) % 7;
    for my $r (@rows) {
        my $i = int((day_of($r->[2]) - $monday) / 7);
        next if $i < 0 || $i > $#w;
        $w[$i][0]++;
        $w[$i][$r->[3] eq 'offentlig' ? 2 : 1]++;
        $w[$i][$r->[5] eq 'fagsystem' ? 3 : 4]++;
    }
    return \@w;
}
sub prints_of {
    my (@bydeler) = @_;
    return (db_rows("SELECT COUNT(*) FROM bkm_leveranse l JOIN bkm_melding m "
        . "ON m.id = l.melding_id WHERE l.mottaker = 'print' AND m.kommunenummer = '0301'"
        . (@bydeler ? ' AND m.bydelsnummer IN (' . join(', ', map { "'$_'" } @bydeler) . ')' : '')))[0][0];
}
# counts by "state/channel" from CSV rows, and the delivered ones' ids.
sub counts_of {
    my %c;
    $c{"$_->[6]/$_->[5]"}++ for @_;
    return \%c;
}
sub delivered_of { return [ sort map { $_->[0] } grep { $_->[7] ne '' } @_ ] }
sub reconciliation_of {
    my ($j) = @_;
    my %c;
    $c{"$_->{tilstand}/$_->{kanal}"} += $_->{antall} for @{ $j->{etterTilstandOgKanal} };
    return (\%c, [ sort map { $_->{bekymringsmeldingId} } @{ $j->{levert} } ]);
}

my $sa = stats_of($ua{anne}, '/kommune/0301/statistikk');
my $sk = stats_of($kari, '/kommune/0301/statistikk');
my @anne_rows = csv_rows($ua{anne}, "/kommune/0301/meldinger.csv?fra=$sa->{fra}&til=$sa->{til}");
my @oslo_rows = csv_rows($kari, "/kommune/0301/meldinger.csv?fra=$sk->{fra}&til=$sk->{til}");
ok @anne_rows && !(grep { $_->[4] ne '01' } @anne_rows), 'anne\'s CSV: her district\'s reports';
is $sa->{totalt}, scalar(@anne_rows), 'statistics, district-limited: the total is her CSV\'s';
is_deeply $sa->{uker}, weeks_of($sa, @anne_rows),
    'each week of the table (count, type, channel) is her CSV\'s' or diag explain $sa->{uker};
is_deeply $sa->{stolper}, [ map { $_->[0] } @{ $sa->{uker} } ], 'and each bar of the chart';
is $sa->{print}, prints_of('01'), 'the share sent to print: her district\'s letter post';
is_deeply $sa->{kontoer}, ['Oslo, Gamle Oslo'], 'integration health: her district\'s account only';
my ($waiting) = db_rows("SELECT (SELECT COUNT(*) FROM bkm_leveranse l JOIN bkm_melding m "
    . "ON m.id = l.melding_id WHERE m.kommunenummer = '0301' AND m.bydelsnummer = '01' "
    . "AND l.mottaker <> 'print' AND l.svar IS NULL), (SELECT COUNT(*) FROM bkm_leveranse l "
    . "JOIN bkm_melding m ON m.id = l.melding_id WHERE m.kommunenummer = '0301' "
    . "AND m.bydelsnummer = '01' AND l.mottaker = 'print' AND l.svar IS NULL), "
    . "(SELECT COUNT(*) FROM bkm_melding WHERE kommunenummer = '0301' AND bydelsnummer = '01' "
    . "AND oppfolging = 1)");
is_deeply $sa->{helse}{'Oslo, Gamle Oslo'}, $waiting,
    'its account\'s waiting messages, print jobs waiting, reports to follow up'
    or diag explain $sa->{helse};
is $sk->{totalt}, scalar(@oslo_rows), 'Oslo\'s administrator: Oslo\'s total';
is_deeply $sk->{uker}, weeks_of($sk, @oslo_rows), 'and weeks';
cmp_ok $sa->{totalt}, '<', $sk->{totalt}, 'the district\'s total is not Oslo\'s';
isnt join(',', map { $_->[0] } @{ $sa->{uker} }), join(',', map { $_->[0] } @{ $sk->{uker} }),
    'nor are its weeks';
is $sk->{print}, prints_of(), 'Oslo\'s print count is Oslo\'s';
cmp_ok $sa->{print}, '<', $sk->{print}, 'and not the district\'s';
is_deeply $sk->{kontoer}, ['Oslo, Gamle Oslo', 'Oslo, Grünerløkka', 'Oslo, Sagene', 'Oslo, Sentrum'],
    'Oslo\'s health table: every district\'s account';
# Reconciliation, as JSON, CSV and page.
my $ja = json_of($ua{anne}->get("$base/kommune/0301/avstemming.json"));
my $jk = json_of($kari->get("$base/kommune/0301/avstemming.json"));
my @anne_rec = csv_rows($ua{anne}, "/kommune/0301/meldinger.csv?fra=$ja->{fra}&til=$ja->{til}");
my @oslo_rec = csv_rows($kari, "/kommune/0301/meldinger.csv?fra=$jk->{fra}&til=$jk->{til}");
my ($ca, $la) = reconciliation_of($ja);
my ($ck, $lk) = reconciliation_of($jk);
is $ja->{bydelsnummer}, '01', 'reconciliation, district-limited: her district';
is_deeply $ca, counts_of(@anne_rec), 'its counts by state and channel are her CSV\'s'
    or diag explain $ca;
is $ja->{antall}, scalar(@anne_rec), 'its total too';
is_deeply $la, delivered_of(@anne_rec), 'its delivered ids are her CSV\'s';
is_deeply $ck, counts_of(@oslo_rec), 'Oslo\'s counts are Oslo\'s CSV\'s';
is_deeply $lk, delivered_of(@oslo_rec), 'and its delivered ids';
cmp_ok $ja->{antall}, '<', $jk->{antall}, 'the district\'s total is not Oslo\'s';
cmp_ok scalar(@$la), '<', scalar(@$lk), 'nor its delivered ids';
@lines = split /\r\n/, $ua{anne}->get("$base/kommune/0301/avstemming.csv")->decoded_content;
shift @lines;
is_deeply [ sort map { /^"([^"]+)"/ } @lines ], $la, 'the reconciliation CSV lists the same ids';
like $ua{anne}->get("$base/kommune/0301/avstemming")->decoded_content,
    qr{<strong id="totalt">$ja->{antall}</strong>}, 'the page the same total';

# ---- roles granted by the operator in the pages ----
my $per = $ua{per};
is $kari->get("$base/kommune/roller")->code, 404, 'only the operator manages roles';
is $ua{noname}->get("$base/kommune/4601")->code, 404, 'noname has no role yet';
my %grant = (fodselsnummer => '04041155555', navn => 'Nora Noname', rolle => 'administrator',
             kommune => '4601', bydeler => '', begrunnelse => 'Ny systemeier i Bergen');
$res = $per->request(POST "$base/kommune/roller", [csrf => 'cd' x 32, %grant]);
is $res->code, 403, 'granting without the CSRF token: 403';
$res = $per->request(POST "$base/kommune/roller", [csrf => token_of($per), %{{ %grant, begrunnelse => '' }}]);
is $res->code, 422, 'granting without a reason: 422';
like $res->decoded_content, qr{<div class="ds-error-summary" id="feiloppsummering"[^>]*autofocus="".*<a class="ds-link" href="#begrunnelse">}s,
    'with an error summary linking to the reason';
like $res->decoded_content, qr{id="navn" name="navn" autocomplete="off" value="[^"]+"}, 'what was typed kept';
$res = $per->request(POST "$base/kommune/roller", [csrf => token_of($per), %{{ %grant, fodselsnummer => '0404115555X' }}]);
is $res->code, 422, 'a national id that is not eleven digits: 422';
unlike $res->decoded_content, qr/0404115555X/, 'never shown back';
$res = $per->request(POST "$base/kommune/roller", [csrf => token_of($per), %{{ %grant, kommune => '9999' }}]);
is $res->code, 422, 'an unknown municipality: 422';
$res = $per->request(POST "$base/kommune/roller", [csrf => token_of($per), %grant]);
is $res->code, 303, 'the operator grants a role';
is $ua{noname}->get("$base/kommune/4601")->code, 200, 'which takes effect at once';
is $ua{noname}->get("$base/kommune/0301")->code, 404, 'for that municipality only';
my ($grant) = db_rows("SELECT person, navn, rolle, kommunenummer FROM bkm_rolle WHERE navn = 'Nora Noname'");
like $grant->[0], qr/^[0-9a-f]{64}$/, 'the person held as a keyed hash';
ok !(grep { /04041155555/ } @$grant), 'not as the national id';
($audit) = db_rows("SELECT aktor, handling, kommunenummer, begrunnelse FROM bkm_revisjon WHERE handling = 'rolle-gitt'");
$audit = [ map { Encode::decode_utf8($_) } @$audit ];
is_deeply $audit, ["operator: Per-\x{d8}yvind O'Hara \x{c5}s", 'rolle-gitt', '4601',
                   'Nora Noname: administrator 4601. Ny systemeier i Bergen'], 'the grant audited'
    or diag explain $audit;
$res = $per->get("$base/kommune/roller");
my ($slett) = $res->decoded_content =~ m{action="(/kommune/roller/[0-9a-f-]{36}/slett)"};
like $res->decoded_content, qr/Nora Noname/, 'listed';
unlike $res->decoded_content, qr/04041155555/, 'without the national id';
$res = $per->request(POST "$base$slett", [csrf => token_of($per), begrunnelse => '']);
is $res->code, 422, 'removing without a reason: 422';
my ($slett_id) = $slett =~ m{/roller/([0-9a-f-]{36})/};
like $res->decoded_content, qr{<a class="ds-link" href="#begrunnelse-$slett_id">}, 'the error summary links to that row\'s reason';
$res = $per->request(POST "$base$slett", [csrf => token_of($per), begrunnelse => 'Sluttet']);
is $res->code, 303, 'the operator removes it';
is $ua{noname}->get("$base/kommune/4601")->code, 404, 'and it is gone';
my ($n_audit) = db_rows("SELECT COUNT(*) FROM bkm_revisjon WHERE handling LIKE 'rolle-%'");
is $n_audit->[0], 2, 'both audited';

# An administrator of two of Oslo's districts (granted in the pages): her
# figures are the sum of theirs.
$res = $per->request(POST "$base/kommune/roller", [csrf => token_of($per),
    %{{ %grant, kommune => '0301', bydeler => '01,02', begrunnelse => 'To bydeler' }}]);
is $res->code, 303, 'a role for districts 01 and 02';
my $s2 = stats_of($ua{noname}, '/kommune/0301/statistikk');
my @two = csv_rows($kari, "/kommune/0301/meldinger.csv?fra=$s2->{fra}&til=$s2->{til}");
@two = grep { $_->[4] eq '01' || $_->[4] eq '02' } @two;
is $s2->{totalt}, scalar(@two), 'statistics of two districts: the sum of theirs';
is_deeply $s2->{uker}, weeks_of($s2, @two), 'week by week';
is $s2->{print}, prints_of('01', '02'), 'the print count too';
is_deeply $s2->{kontoer}, ['Oslo, Gamle Oslo', 'Oslo, Grünerløkka'], 'and their two accounts';
my $j2 = json_of($ua{noname}->get("$base/kommune/0301/avstemming.json"));
@two = grep { $_->[4] eq '01' || $_->[4] eq '02' }
       csv_rows($kari, "/kommune/0301/meldinger.csv?fra=$j2->{fra}&til=$j2->{til}");
my ($c2) = reconciliation_of($j2);
is_deeply $c2, counts_of(@two), 'reconciliation of two districts: the sum of their counts';
is_deeply [ map { $_->{bekymringsmeldingId} } @{ $j2->{levert} } ],
    [ map { $_->[0] } db_rows("SELECT id FROM bkm_melding WHERE kommunenummer = '0301' "
        . "AND bydelsnummer IN ('01', '02') AND levert IS NOT NULL ORDER BY mottatt, id") ],
    'and their delivered ids, in the order received';
is_deeply $j2->{bydeler}, ['01', '02'], 'naming the districts';
is json_of($ua{noname}->get("$base/kommune/0301/avstemming.json?bydel=02"))->{antall},
    scalar(grep { $_->[4] eq '02' } @two), 'one of them when asked';
is $ua{noname}->get("$base/kommune/0301/avstemming.json?bydel=03")->code, 400, 'not a third';
$res = $per->get("$base/kommune/roller");
($slett) = $res->decoded_content =~ m{action="(/kommune/roller/[0-9a-f-]{36}/slett)"};
$res = $per->request(POST "$base$slett", [csrf => token_of($per), begrunnelse => 'Ferdig']);
is $res->code, 303, 'and removed again';

my $later = sprintf('%.0f', (time() + 5 * 86400) * 1e6);
LWP::UserAgent->new->post("$base/bekymring-drift/eskalering", 'Bkm-Test-Klokke' => $later);
$res = $kari->get("$base/kommune/5001/melding/$id{t00}");
is $res->code, 404, 'Kari administers Oslo, not Trondheim';
$res = $ua{per}->get("$base/kommune/5001/melding/$id{t00}");
@events = $res->decoded_content =~ m{<strong>([^<]+)</strong>}g;
is $events[-1], 'Sent to letter post',
    'an unconfirmed manual report went to letter post (per reads English)'
    or diag explain \@events;

# ---- issue 14, item 4: an administration that guides ----
$res = $kari->get("$base/kommune/0301");
$html = $res->decoded_content;
like $html, qr{<strong id="admin-navn">Kari Nordmann</strong>, <span id="admin-rolle">Administrator, Oslo</span>},
    'the administration\'s own header: name and role';
like $html, qr{<a class="ds-link" id="loggut" href="/oidc/redirect\?logout=http%3a%2f%2f127\.0\.0\.1%3a\d+%2f"}i, 'and logout through mod_auth_openidc, back to the front page';
like $html, qr{<nav class="bkm-admin-meny".*href="/kommune/0301" aria-current="page"}s, 'its own navigation, the page marked';
like $html, qr{data-etikett="Status">}, 'the overview\'s cells carry their column for the cards at 375 px';
# A report nobody opened: "handled" is neither offered nor accepted.
my $r9 = report_to('0301', '01');
$res = $kari->get("$base/kommune/0301/melding/$r9");
unlike $res->decoded_content, qr{id="h-handtert"}, 'handled is not offered before anyone opened the report';
like $res->decoded_content, qr{id="ikke-apnet"}, 'and the page says why';
$res = action($kari, '0301', $r9, handling => 'handtert', begrunnelse => 'x', bekreftet => 1);
is $res->code, 409, 'and refused by the server (409)';
is state_of($r9)->[0], 'AKSEPTERT', 'nothing changed';
# Nor "back to the queue": it waits there already, and the only effect was
# a new letter-post deadline -- again and again, the report never went by
# post (issue 14, outside attack).
unlike $kari->get("$base/kommune/0301/melding/$r9")->decoded_content, qr{id="h-tilbake"},
    'back to the queue is not offered before anyone fetched the report';
my $frist9 = state_of($r9)->[2];
$res = action($kari, '0301', $r9, handling => 'tilbake', begrunnelse => 'Utsett brevposten');
is $res->code, 409, 'and refused by the server (409)';
like $res->decoded_content, qr{Ingen har hentet meldingen, og den ligger allerede i køen}, 'saying why';
is state_of($r9)->[2], $frist9, 'the letter-post deadline unchanged';
# An action without a reason: the error summary at the top, focused, the choice kept.
$res = action($kari, '0301', $r9, handling => 'tilbake', begrunnelse => ' ');
like $res->decoded_content, qr{<main[^>]*>\s*<div class="ds-error-summary" id="feiloppsummering" tabindex="-1" autofocus=""}, 'an error summary first in main, focused';
like $res->decoded_content, qr{<a class="ds-link" href="#begrunnelse">Skriv en begrunnelse}, 'linking to the reason';
# The district by name; the state with its next step.
like $res->decoded_content, qr{<dd id="bydel">Gamle Oslo</dd>}, 'the district by name, not 01';
like $res->decoded_content, qr{id="neste-steg">}, 'the next step in plain words';
# Letter post: the address, when ordered, when it should arrive.
$res = $ua{per}->get("$base/kommune/5001/melding/$id{t00}");
like $res->decoded_content, qr{<dl class="bkm-person" id="brevpost">}, 'letter post: where, when ordered, when it arrives';
like $res->decoded_content, qr{id="brevpost-fram">\d+ \w+ 20\d\d</dd>}, 'the arrival date, English for per';
# The roles page shows the file's roles.
$res = $ua{per}->get("$base/kommune/roller");
like $res->decoded_content, qr{<table class="ds-table" id="filroller">.*Kari Nordmann}s, 'the operator sees the file roles';
# (UUIDs and the static files' content hashes may hold a run of 11
# digits: taken out first, as in t/paminnelse.t.)
(my $roller = $res->decoded_content)
    =~ s/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\.[0-9a-f]{12}\.//gi;
unlike $roller, qr{(?<!\d)\d{11}(?!\d)}, 'and no national id with them';
# Statistics: ISO weeks.
$res = $kari->get("$base/kommune/0301/statistikk?fra=2026-11-25&til=2026-12-08");
like $res->decoded_content, qr{<th scope="row">Uke 48, 2026<span class="bkm-dager">25\. november 2026 – 29\. november 2026</span></th>.*<th scope="row">Uke 49, 2026<span class="bkm-dager">30\. november 2026 – 6\. desember 2026</span>}s,
    'ISO weeks (Monday to Sunday), dates written the Norwegian way';
# Receivers: each report's deadline in the list; no "stored with us" before it was opened.
my $r10 = report_to('0301', '03');
my $l10 = leveranse($r10);
$res = $ua{ola}->get("$base/kommune/0301/mottak");
like $res->decoded_content, qr{href="/kommune/0301/mottak/$l10".*?<span class="bkm-frist">Frist før brevpost: <strong>\d+\. \w+ 20\d\d kl\. \d\d:\d\d</strong>}s,
    'the receiver sees each report\'s deadline';
$res = $ua{ola}->get("$base/kommune/0301/mottak/$l10");
like $res->decoded_content, qr{<form method="post" id="bekreft-skjema" action="[^"]+" hidden>}, '"stored with us" not offered before the download';
# Every form's error comes back as an error summary, the text kept: the
# periods of the overview, the statistics and the reconciliation.
for my $path ('/kommune/0301', '/kommune/0301/statistikk', '/kommune/0301/avstemming') {
    $res = $kari->get("$base$path?fra=2026-13-01&til=2026-12-01");
    is $res->code, 400, "$path, a date typed wrong: 400";
    like $res->decoded_content,
        qr{<div class="ds-error-summary" id="feiloppsummering" tabindex="-1" autofocus="".*href="#fra".*id="fra" name="fra" value="2026-13-01" aria-invalid="true"}s,
        "with the error summary, the field marked, what was typed kept";
}
