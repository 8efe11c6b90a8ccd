# SPDX-License-Identifier: Apache-2.0
# Delivery assurance (issue 12): automatic reconciliation (item 5) and
# control messages (item 7).
#   - a case system lists what the portal counts as delivered to its
#     account in a period, page by page, and answers which it holds;
#   - a lying case system receipts and then "loses" reports: its
#     reconciliation leaves them out, they go back to its queue with a new
#     deadline, flagged on the timeline, and end delivered (after a retry)
#     or printed;
#   - every bad input of the new endpoints gets a JSON error and changes
#     nothing;
#   - an account late to reconcile raises an alert;
#   - control messages: made per district by the escalation pass of a node
#     with BekymringControlInterval (claimed: two passes at once make one),
#     sealed like a report, answered by the honest case system with a
#     verified stored-receipt; one left unanswered raises an alert at its
#     deadline and is never printed nor counted.
# Time is driven with the test build's Bkm-Test-Klokke header.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows slurp
               start_node stop_node privat_rapport skjema_api);
use BkmCaseSystem;
use JSON::PP;
use LWP::UserAgent;
use Time::Local qw(timegm);
use POSIX ();

plan tests => 93;

my $base = base_url();
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;
my $ops = LWP::UserAgent->new(timeout => 120);

sub cs {
    my ($name, $k, %a) = @_;
    return BkmCaseSystem->new(base => $base, name => $name,
        key => "$pki/$k.key", cert => "$pki/$k.pem", %a);
}
my $oslo01 = cs('fagsystem-0301-01', '0301-01-fagsystem',
                receipt_key => "$pki/0301-01-kvittering.key");
my $bergen = cs('fagsystem-4601-00', '4601-00-fagsystem',
                receipt_key => "$pki/4601-00-kvittering.key");
my $print = cs('print', 'print');

sub usec { timegm($_[5] // 0, $_[4], $_[3], $_[2], $_[1] - 1, $_[0]) * 1e6 }
sub clock { ('Bkm-Test-Klokke' => sprintf('%.0f', $_[0])) }
sub utc {
    my @t = gmtime($_[0] / 1e6);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1,
        @t[3, 2, 1, 0];
}

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');

sub report {
    my ($bydel, $kommune, @h) = @_;
    my $res = skjema_api($ua, privat_rapport(kommunenummer => $kommune, bydelsnummer => $bydel), @h);
    die 'report not accepted: ' . $res->decoded_content if $res->code != 201;
    return json_of($res)->{uuid};
}
sub state_of {
    my ($id) = @_;
    return (db_rows("SELECT tilstand, COALESCE(frist, -1), "
        . "COALESCE(levert, -1), oppfolging FROM bkm_melding "
        . "WHERE id = '$id'"))[0];
}
sub events {
    my ($id) = @_;
    return map { $_->[0] } db_rows("SELECT hendelse FROM bkm_hendelse "
        . "WHERE melding_id = '$id' ORDER BY nr");
}
sub run_pass {
    my ($at, $on) = @_;
    my $res = $ops->post(($on // $base) . '/bekymring-drift/eskalering',
                         clock($at));
    return json_of($res) // { error => $res->code };
}
sub runs { (db_rows('SELECT COUNT(*) FROM bkm_avstemming'))[0][0] }
# The message of report $id waiting on $cs's account.
sub waiting_for {
    my ($cs, $id, @h) = @_;
    my ($res, $list) = $cs->list('', @h);
    my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
    return $m;
}
# Fetch, open and answer with a stored-receipt (the honest path).
sub deliver {
    my ($cs, $id, $at) = @_;
    my $m = waiting_for($cs, $id, clock($at)) or return undef;
    my $der = $cs->fetch($m->{meldingId}, clock($at))->content;
    my $arkiv = 'SAK-' . substr($m->{meldingId}, 0, 8);
    $cs->{arkiv}{ $m->{meldingId} } = $arkiv;
    my $res = $cs->answer($m->{meldingId}, 'mottatt',
        $cs->stored_receipt($m, $der, $arkiv), clock($at));
    return ($m, $res);
}

# ---- three reports delivered on Monday 3 March 2025, 10:00 in Oslo -----
my $t1 = usec(2025, 3, 3, 9, 0);
my @ids = map { report('01', '0301', clock($t1)) } 1 .. 3;
my @m;
for my $i (0 .. 2) {
    my ($m, $res) = deliver($oslo01, $ids[$i], $t1 + ($i + 1) * 1e6);
    push @m, $m;
    is json_of($res)->{hendelse}, 'LAGRING_VERIFISERT',
        "report $i: stored-receipt verified";
}
is state_of($ids[$_])->[0], 'LEVERT', "report $_ delivered" for 0 .. 2;
my ($fra, $til) = (utc($t1), utc($t1 + 3600e6));
my @later = clock($t1 + 7200e6);

# An honest catch-up first: every delivery of this account before them,
# reconciled (reconciliation confirms a period only when it joins what
# was confirmed before).
is $oslo01->reconcile_held('2000-01-01T00:00:00Z', utc($t1), @later)->code,
    200, 'what was delivered before, reconciled';

# ---- the list ------------------------------------------------------------
my ($res, $list) = $oslo01->delivered($fra, $til, @later);
is $res->code, 200, 'the list of deliveries' or diag $res->decoded_content;
is_deeply [map { $_->{bekymringsmeldingId} } @$list], \@ids,
    'exactly the three, in the order of their receipts';
my ($e) = @$list;
is_deeply [sort keys %$e], [sort qw(meldingId bekymringsmeldingId referanse
    meldingType sha256 opprettet hentet kvittert kvittering arkivreferanse)],
    'each with ids, reference, sha256 and times';
is $e->{arkivreferanse}, $oslo01->{arkiv}{ $m[0]{meldingId} },
    'and the record id its stored-receipt named';
$res = $oslo01->request('GET', $oslo01->avstemming_url(
    "fra=$fra&til=$til&antall=2"), [@later]);
my $page = json_of($res);
is scalar @{ $page->{meldinger} }, 2, 'antall=2: a page of two';
ok $page->{neste}, 'with the cursor of the next';
$res = $oslo01->request('GET', $oslo01->avstemming_url(
    "fra=$fra&til=$til&antall=2&etter=$page->{neste}"), [@later]);
is_deeply [map { $_->{bekymringsmeldingId} } @{ json_of($res)->{meldinger} }],
    [$ids[2]], 'the next page: the third';
is json_of($res)->{neste}, undef, 'and no cursor after the last';

# ---- every bad input: a JSON error, nothing changed ----------------------
my $runs = runs();
my @held = map { { meldingId => $_->{meldingId} } } @m;
my $other = report('00', '4601', clock($t1));
my ($bm) = deliver($bergen, $other, $t1 + 5e6);
ok $bm, "another account's delivery in the same period";
my $uuid = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
my $url = $oslo01->avstemming_url;
sub post_raw {
    my ($body, $ct) = @_;
    return $oslo01->request('POST', $url,
        [($ct ? ('Content-Type' => $ct) : ()), @later], $body);
}
my @bad = (
    [ 'GET without a period', sub { $oslo01->request('GET', $url, [@later]) },
      400, 'ugyldig-periode' ],
    [ 'GET with an unknown parameter', sub { $oslo01->request('GET',
        $oslo01->avstemming_url("fra=$fra&til=$til&x=1"), [@later]) },
      400, 'ugyldig-foresporsel' ],
    [ 'GET a period not over', sub { $oslo01->request('GET',
        $oslo01->avstemming_url("fra=$fra&til=" . utc($t1 + 9e9)),
        [@later]) }, 400, 'ugyldig-periode' ],
    [ 'GET fra after til', sub { $oslo01->request('GET',
        $oslo01->avstemming_url("fra=$til&til=$fra"), [@later]) },
      400, 'ugyldig-periode' ],
    [ 'GET a malformed cursor', sub { $oslo01->request('GET',
        $oslo01->avstemming_url("fra=$fra&til=$til&etter=x"), [@later]) },
      400, 'ugyldig-foresporsel' ],
    [ 'GET antall=0', sub { $oslo01->request('GET',
        $oslo01->avstemming_url("fra=$fra&til=$til&antall=0"), [@later]) },
      400, 'ugyldig-foresporsel' ],
    [ 'POST text/plain', sub { post_raw($json->encode({ fra => $fra,
        til => $til, meldinger => \@held }), 'text/plain') },
      415, 'feil-innholdstype' ],
    [ 'POST without a content type', sub { post_raw('{}') },
      415, 'feil-innholdstype' ],
    [ 'POST malformed JSON', sub { post_raw('{"fra": ', 'application/json') },
      400, 'ugyldig-json' ],
    [ 'POST duplicate keys', sub { post_raw(qq({"fra": "$fra", "fra": "$fra", )
        . qq("til": "$til", "meldinger": []}), 'application/json') },
      400, 'ugyldig-json' ],
    [ 'POST without meldinger', sub { post_raw($json->encode({ fra => $fra,
        til => $til }), 'application/json') }, 422, 'ugyldig-liste' ],
    [ 'POST meldinger not a list', sub { $oslo01->reconcile($fra, $til,
        { a => 1 }, @later) }, 422, 'ugyldig-liste' ],
    [ 'POST an entry with another field', sub { $oslo01->reconcile($fra,
        $til, [{ meldingId => $m[0]{meldingId}, x => 1 }], @later) },
      422, 'ugyldig-liste' ],
    [ 'POST a malformed id', sub { $oslo01->reconcile($fra, $til,
        [{ meldingId => 'x' }], @later) }, 422, 'ugyldig-liste' ],
    [ 'POST an arkivreferanse too long', sub { $oslo01->reconcile($fra, $til,
        [{ meldingId => $m[0]{meldingId}, arkivreferanse => 'x' x 201 }],
        @later) }, 422, 'ugyldig-liste' ],
    [ 'POST an id named twice', sub { $oslo01->reconcile($fra, $til,
        [@held, $held[0]], @later) }, 422, 'ugyldig-liste' ],
    [ 'POST an unknown id', sub { $oslo01->reconcile($fra, $til,
        [@held, { meldingId => $uuid }], @later) }, 422, 'ukjent-melding' ],
    [ "POST another account's id", sub { $oslo01->reconcile($fra, $til,
        [@held, { meldingId => $bm->{meldingId} }], @later) },
      422, 'ukjent-melding' ],
    [ 'POST a period not over', sub { $oslo01->reconcile($fra,
        utc($t1 + 9e9), \@held, @later) }, 422, 'ugyldig-periode' ],
    [ 'POST a body too large', sub { post_raw('{"fra": "' . ('x' x (33 << 20))
        . '"}', 'application/json') }, 413, 'for-stor' ],
    [ 'PUT', sub { $oslo01->request('PUT', $url, [@later], '') },
      405, 'metode-ikke-tillatt' ],
);
for my $b (@bad) {
    my ($what, $call, $code, $kode) = @$b;
    my $r = $call->();
    my $j = json_of($r) // {};
    ok $r->code == $code && ($j->{errorId} // '') eq $kode,
        "$what: $code $kode"
        or diag $r->code . ' ' . $r->decoded_content;
}
$res = $oslo01->reconcile($fra, $til, [@held, { meldingId => $bm->{meldingId} }],
    @later);
is_deeply json_of($res)->{meldinger}, [$bm->{meldingId}],
    'the error names the id that is not this account\'s';
is runs(), $runs, 'no reconciliation stored by any of them';
is_deeply [map { state_of($_)->[0] } @ids, $other], [('LEVERT') x 4],
    'and no report changed';

# ---- a lying case system: receipts, then "loses" one ---------------------
$oslo01->lose($m[1]{meldingId});
$res = $oslo01->reconcile_held($fra, $til, @later);
is $res->code, 200, 'the reconciliation is taken';
my $r = json_of($res);
is $r->{levert}, 3, 'three delivered in the period';
is $r->{bekreftet}, 2, 'two confirmed';
is_deeply [map { $_->{bekymringsmeldingId} } @{ $r->{mangler} }], [$ids[1]],
    'the one it does not hold is found';
is $r->{mangler}[0]{utfall}, 'tilbake', 'and goes back to its queue';
my $st = state_of($ids[1]);
is $st->[0], 'AKSEPTERT', 'waiting again';
is $st->[2], -1, 'no longer delivered';
ok $st->[1] > $t1 + 7200e6, 'with a new deadline from now';
is((events($ids[1]))[-1], 'AVSTEMMING_MANGLER', 'flagged on its timeline');
is scalar(db_rows("SELECT 1 FROM bkm_avstemming_avvik WHERE melding_id = "
    . "'$ids[1]' AND type = 'mangler'")), 1,
    'and recorded as a difference of the reconciliation';
is state_of($ids[0])->[0], 'LEVERT', 'the others stay delivered';
my $again = waiting_for($oslo01, $ids[1], @later);
ok $again && !$again->{hentet}, 'it is in the list again, not fetched';
is $r->{avstemtTil}, $til, 'the account is reconciled up to the period\'s end';
is((db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE melding_id = "
    . "'$ids[1]' AND svar IS NULL"))[0][0], 1,
    'the missing one is no longer counted as delivered');

# A period after a gap confirms nothing: the gap's delivery stays
# unconfirmed.
$res = $oslo01->reconcile(utc($t1 + 86400e6 * 400), utc($t1 + 86400e6 * 401),
    [], @later);
is $res->code, 422, 'a period not over yet is refused';

# The retry: fetched and receipted again, delivered.
my (undef, $retry) = deliver($oslo01, $ids[1], $t1 + 3 * 3600e6);
is json_of($retry)->{hendelse}, 'LAGRING_VERIFISERT', 'the retry is receipted';
is state_of($ids[1])->[0], 'LEVERT', 'and ends delivered';

# A lost one that is never answered again ends printed.
my $lost = report('01', '0301', clock($t1));
my ($ml) = deliver($oslo01, $lost, $t1 + 10e6);
$oslo01->lose($ml->{meldingId});
$res = $oslo01->reconcile_held($fra, $til, @later);
is_deeply [map { $_->{bekymringsmeldingId} } @{ json_of($res)->{mangler} }],
    [$lost], 'lost again: found again';
my $deadline = state_of($lost)->[1];
run_pass($deadline - 1e6);
is state_of($lost)->[0], 'AKSEPTERT', 'not printed before its new deadline';
run_pass($deadline);
is state_of($lost)->[0], 'SENDT_PRINT', 'at it: letter post';
my $pj = waiting_for($print, $lost);
ok $pj, 'the print provider has it';
# Posted (the print provider's receipt): nothing left waiting for later
# tests.
$print->answer($pj->{meldingId}, 'mottatt', undef, clock($deadline + 60e6));
is state_of($lost)->[0], 'LEVERT', 'and it ends delivered by letter post';

# The administration's reconciliation page: each account's last automatic
# reconciliation and its differences.
my $kari = login_ua();
login($kari, '/kommune', 'kari', 'substantial');
my $lref = (db_rows("SELECT referanse FROM bkm_melding WHERE id = '$lost'"))
    [0][0];
$res = $kari->get("$base/kommune/0301/avstemming.json");
my ($a01) = grep { $_->{bydelsnummer} eq '01' }
    @{ (json_of($res) // {})->{automatisk} // [] };
ok $a01 && $a01->{sisteAvstemming}, 'the JSON: 0301/01\'s last reconciliation'
    or diag $res->decoded_content;
is $a01->{sisteAvstemming}{mangler}, 1, 'with one missing';
is_deeply [map { "$_->{referanse} $_->{type} $_->{utfall}" }
           @{ $a01->{avvik} }], ["$lref mangler tilbake"],
    'naming the report and what became of it';
my $html = $kari->get("$base/kommune/0301/avstemming")->decoded_content;
like $html, qr{class="bkm-mangler">1<}, 'the page shows the missing count';
like $html, qr{\Q$lref\E \S+ mangler}, 'and the difference';

# ---- an account late to reconcile: an alert ------------------------------
my $t2 = usec(2025, 3, 17, 9, 0);
my $late = report('01', '0301', clock($t2));
deliver($oslo01, $late, $t2 + 1e6);
# A period after a gap (the retry above was delivered between) is checked
# but confirms nothing: the account stays reconciled up to the first.
$res = $oslo01->reconcile_held(utc($t2), utc($t2 + 3600e6),
                               clock($t2 + 7200e6));
is $res->code, 200, 'a period after a gap is taken';
is json_of($res)->{avstemtTil}, $til, 'but confirms nothing';
my $p = run_pass($t2 + 3 * 86400e6);
my $n0 = $p->{varsler}{uavstemt};
$p = run_pass($t2 + 8 * 86400e6);
ok $p->{varsler}{uavstemt} >= 1, 'five business days later: an alert';
ok $p->{varsler}{uavstemt} > $n0 || $n0 >= 1, 'counted by the pass';
my $log = slurp(root() . '/t/logs/error_log');
like $log, qr/BKM03210: ALERT avstemming: account \S+ \(0301\/01\)/,
    'an ALERT line with its own tag';

# ---- control messages ----------------------------------------------------
my $port = $ENV{BKM_NODE2_PORT};
my $node = start_node('kontroll', $port, 'BekymringControlInterval 1d',
    'BekymringEscalationInterval off');
END { stop_node('kontroll') if $node; }
my $tc = usec(2027, 4, 5, 8, 0);            # Monday 10:00 in Oslo
sub kontroller {
    return db_rows("SELECT k.melding_id, k.kommunenummer, k.bydelsnummer, "
        . "k.utfall FROM bkm_kontrollmelding k ORDER BY k.opprettet, "
        . "k.kommunenummer");
}
my $before = scalar(kontroller());
# Two passes at once (two nodes): each district gets one, not two.
my @kids;
for (1 .. 2) {
    my $pid = fork // die;
    if (!$pid) {
        my $j = run_pass($tc, $node);
        open my $fh, '>', root() . "/t/dev/kontroll/pass$_" or die;
        print $fh $j->{kontrollmeldingLaget} // -1;
        close $fh;
        POSIX::_exit(0);    # not the parent's END blocks (they stop the node)
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
my $made = 0;
$made += slurp(root() . "/t/dev/kontroll/pass$_") for 1 .. 2;
my @k = (kontroller())[$before .. scalar(kontroller()) - 1];
is $made, scalar(@k), 'the passes made as many as are stored';
is_deeply [sort map { "$_->[1]/$_->[2]" } @k], ['0301/01', '4601/00'],
    'one per district that can verify stored-receipts, two passes at once';
is run_pass($tc + 3600e6, $node)->{kontrollmeldingLaget}, 0,
    'not again within the interval';
my ($ko) = grep { $_->[1] eq '0301' } @k;
my ($kb) = grep { $_->[1] eq '4601' } @k;
my $row = (db_rows("SELECT kilde, meldingstype, frist, tilstand FROM "
    . "bkm_melding WHERE id = '$ko->[0]'"))[0];
is $row->[0], 'kontroll', 'stored as a control message';
is $row->[1], 'no.ks.fiks.bekymringsmelding.kontroll.v1', 'of its own type';
is scalar(db_rows("SELECT 1 FROM bkm_chiffer WHERE melding_id = '$ko->[0]' "
    . "AND mottaker = 'print'")), 0, 'with no ciphertext for print';

# The honest case system handles it as any message.
my $wm = waiting_for($oslo01, $ko->[0], clock($tc + 60e6));
is $wm->{meldingType}, 'no.ks.fiks.bekymringsmelding.kontroll.v1',
    'the case system sees its type in the list';
my $der = $oslo01->fetch($wm->{meldingId}, clock($tc + 60e6))->content;
my $zip = $oslo01->open_message($der);
my $body = $oslo01->report_of($zip);
like $body->{kontrollmelding} // '', qr/ikke en bekymringsmelding/,
    'sealed to its certificate like a report, and says what it is';
$res = $oslo01->answer($wm->{meldingId}, 'mottatt',
    $oslo01->stored_receipt($wm, $der, 'KONTROLL-1'), clock($tc + 120e6));
is json_of($res)->{hendelse}, 'LAGRING_VERIFISERT',
    'answered with a verified stored-receipt';

# Bergen's is left unanswered: at the deadline, an alert; never printed.
my $kfrist = (db_rows("SELECT frist FROM bkm_kontrollmelding WHERE "
    . "melding_id = '$kb->[0]'"))[0][0];
$p = run_pass($kfrist - 1e6, $node);
is $p->{varsler}{kontrollmeldingFeilet}, 0, 'no verdict before the deadline';
$p = run_pass($kfrist, $node);
is $p->{varsler}{kontrollmeldingFeilet}, 1, 'at it: the unanswered one failed';
my %utfall = map { $_->[0] => $_->[3] } kontroller();
is $utfall{ $ko->[0] }, 'verifisert', 'the answered one verified';
is $utfall{ $kb->[0] }, 'feilet', 'the silent one failed';
is((events($kb->[0]))[-1], 'KONTROLL_FEILET', 'on its timeline');
like slurp(root() . '/t/dev/kontroll/error_log'),
    qr/BKM03220: ALERT kontrollmelding: district 4601\/00/,
    'an ALERT line with its own tag';
run_pass($kfrist + 30 * 86400e6, $node);
isnt state_of($kb->[0])->[0], 'SENDT_PRINT', 'never printed';
is scalar(db_rows("SELECT 1 FROM bkm_leveranse WHERE melding_id = "
    . "'$kb->[0]' AND mottaker = 'print'")), 0, 'no print job';
is scalar(db_rows("SELECT 1 FROM bkm_melding WHERE kilde = 'kontroll' "
    . "AND kommunenummer = '4601' AND mottatt = $tc")), 1,
    'one control message for Bergen in the database';

# ... but none in the statistics (their SQL leaves kilde 'kontroll' out).
my $adm = login_ua();
login($adm, '/kommune', 'per', 'substantial');
for my $k ('0301', '4601') {
    my $html = $adm->get("$base/kommune/$k/statistikk?fra=2027-04-01&"
        . 'til=2027-04-30')->decoded_content;
    my ($totalt) = $html =~ m{<strong id="totalt">(\d+)</strong>};
    is $totalt, 0, "$k: not counted in the statistics";
}
# Late, the silent system answers: the queue is clean for later tests.
my $wb = waiting_for($bergen, $kb->[0], clock($kfrist + 31 * 86400e6));
my $dbb = $bergen->fetch($wb->{meldingId}, clock($kfrist + 31 * 86400e6))
    ->content;
$res = $bergen->answer($wb->{meldingId}, 'mottatt',
    $bergen->stored_receipt($wb, $dbb, 'K'), clock($kfrist + 31 * 86400e6));
is $res->code, 200, 'a late answer is taken';
for my $kk (grep { !$_->[3] } kontroller()) {
    my $cs = $kk->[1] eq '0301' ? $oslo01 : $bergen;
    my $w = waiting_for($cs, $kk->[0]) or next;
    my $d = $cs->fetch($w->{meldingId})->content;
    $cs->answer($w->{meldingId}, 'mottatt', $cs->stored_receipt($w, $d, 'K'));
}
