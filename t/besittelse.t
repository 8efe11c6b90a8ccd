# SPDX-License-Identifier: Apache-2.0
# Proof of possession (issue 12, items 4 and 6).  A stored-receipt v2
# proves that its sender decrypted this very message (an HMAC keyed by a
# secret sealed inside the container); after delivery, challenges show
# that a case system still holds what it receipted.  Lying case systems:
# one that answers wrongly, one that replays another report's proof, one
# that never answers challenges -- each detected, and each report ends
# delivered after a retry, or printed.  Bad input to the new endpoints is
# refused with a JSON error and changes nothing.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows slurp spit
               dev_token error_log start_node stop_node seal_cms);
use BkmCaseSystem;
use Digest::SHA qw(sha256_hex);
use HTTP::Request::Common ();
use JSON::PP;
use LWP::UserAgent;
use POSIX ();

plan tests => 116;

my $base = base_url();
my $dev = root() . '/t/dev';
my $pki = "$dev/pki";
my $json = JSON::PP->new->utf8->canonical;
my $ops = LWP::UserAgent->new(timeout => 120);
my $HEX = qr/^[0-9a-f]{64}$/;

sub cs {
    my ($name, $k, %a) = @_;
    return BkmCaseSystem->new(base => $base, name => $name,
        key => "$pki/$k.key", cert => "$pki/$k.pem", %a);
}
my $oslo = cs('fagsystem-0301-01', '0301-01-fagsystem',
              receipt_key => "$pki/0301-01-kvittering.key");
my $bergen = cs('fagsystem-4601-00', '4601-00-fagsystem',
                receipt_key => "$pki/4601-00-kvittering.key");
my %by_konto = map { ($_->konto => $_) } $oslo, $bergen,
    cs('fagsystem-0301-02', '0301-02-fagsystem'),
    cs('fagsystem-0301-16', '0301-16-fagsystem');

my $now = time() * 1e6;
sub clock { ('Bkm-Test-Klokke' => sprintf('%.0f', $_[0])) }
sub days { $now + $_[0] * 86400e6 }

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');

sub report {
    my ($kommune, $bydel) = @_;
    my $res = $ua->post("$base/bekymringsmelding/api/v2/mottak/skjema/privat",
        'Content-Type' => 'application/json', Accept => 'application/json',
        Content => $json->encode({
            kommunenummer => $kommune, bydelsnummer => $bydel,
            privatMelder => { personnavn => 'x' },
            privatBarn => [ { personnavn => 'Ola Barn',
                adresse => { adresselinje1 => 'Storgata 3' } } ],
            melding => 'Jeg er bekymret for Ola.' }));
    die 'report not accepted: ' . $res->decoded_content if $res->code != 201;
    return json_of($res)->{uuid};
}
sub waiting_for {
    my ($c, $id) = @_;
    for (1 .. 3) {
        my ($res, $list) = $c->list;
        my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
        return $m if $m;
    }
    return undef;
}
sub state_of {
    my ($id) = @_;
    return (db_rows("SELECT tilstand, COALESCE(frist, -1), "
        . "COALESCE(levert, -1) FROM bkm_melding WHERE id = '$id'"))[0];
}
sub events {
    my ($id) = @_;
    return map { $_->[0] } db_rows("SELECT hendelse FROM bkm_hendelse "
        . "WHERE melding_id = '$id' ORDER BY nr");
}
sub count_events {
    my ($id, $what) = @_;
    return scalar grep { $_ eq $what } events($id);
}
sub pass_on {
    my ($url, $t) = @_;
    my $res = $ops->post("$url/bekymring-drift/eskalering", clock($t));
    return json_of($res) // { error => $res->code };
}
sub code_of { my $j = json_of($_[0]); $j ? $j->{errorId} // '' : '' }
sub drift_challenge {
    my ($konto, @h) = @_;
    return $ops->post("$base/bekymring-drift/kontroll?konto=$konto", @h);
}
sub kontroll_row {
    my ($id) = @_;
    return (db_rows("SELECT COALESCE(utfall, '-'), melding_id FROM "
        . "bkm_kontroll WHERE id = '$id'"))[0] // ['?', ''];
}
# Fetch, open, and the secret: (message, ciphertext, secret).
sub take {
    my ($c, $id) = @_;
    # Not waiting: an empty message, so that the tests after fail, not die.
    my $m = waiting_for($c, $id) or return ({}, '', undef);
    my ($secret, $der) = $c->secret_for($m->{meldingId});
    return ($m, $der, $secret);
}

# ---- item 4: the secret in the container -------------------------------
my $ra = report('0301', '01');
my ($ma, $dera, $seca) = take($oslo, $ra);
ok $ma->{meldingId}, 'report A waits for the case system';
like $seca // '', $HEX, 'its container holds a 64-hex-digit secret';
my $zip = $oslo->open_message($dera);
is_deeply [$oslo->zip_names($zip)],
    ['mimetype', 'bekymringsmelding.json', 'bekymringsmelding.pdf',
     'META-INF/asicmanifest.xml', 'META-INF/signature.p7s',
     'META-INF/bekymring-besittelse.json'],
    'the secret is the last file; the first five are as before';
my $doc = $json->decode($oslo->zip_member($zip,
    'META-INF/bekymring-besittelse.json'));
is $doc->{bekymringsmeldingId}, $ra, 'the secret names its report';
unlike $oslo->zip_member($zip, 'META-INF/asicmanifest.xml'),
    qr/besittelse/, 'and is not a data object of the manifest';
is((db_rows("SELECT COUNT(*) FROM bkm_besittelse WHERE melding_id = '$ra'"))
    [0][0], 1, 'the portal keeps it to verify');
unlike error_log(), qr/\Q$seca\E/, 'never in the log';

my $res = $oslo->answer($ma->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($ma, $dera, 'SAK-A', $seca));
is $res->code, 200, 'an honest stored-receipt v2: 200' or diag $res->content;
is json_of($res)->{hendelse}, 'LAGRING_VERIFISERT', 'verified';
is state_of($ra)->[0], 'LEVERT', 'report A delivered';

# ---- a case system that answers wrongly ---------------------------------
my $rb = report('0301', '01');
my ($mb, $derb, $secb) = take($oslo, $rb);
$res = $oslo->answer($mb->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($mb, $derb, 'SAK-B', $secb,
                             besittelsesbevis => 'ab' x 32));
is $res->code, 422, 'a wrong besittelsesbevis: 422';
is code_of($res), 'feil-besittelsesbevis', 'feil-besittelsesbevis';
is state_of($rb)->[0], 'SENDT_FAGSYSTEM', 'not delivered';
ok state_of($rb)->[1] > 0, 'the deadline keeps running';
is count_events($rb, 'KVITTERING_AVVIST'), 1, 'the refusal is on the timeline';
$res = $oslo->answer($mb->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($mb, $derb, 'SAK-B', $secb,
        besittelsesbevis => BkmCaseSystem::proof($secb, $mb->{meldingId},
                                                 sha256_hex($derb), 'SAK-X')));
is code_of($res), 'feil-besittelsesbevis',
    'a proof over another arkivreferanse: refused';
$res = $oslo->answer($mb->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($mb, $derb, 'SAK-B', $secb));
is $res->code, 200, 'the retry with the right proof: 200';
is state_of($rb)->[0], 'LEVERT', 'report B delivered after the retry';

# ---- a case system that replays another report's proof ------------------
my $c = report('0301', '01');
my ($mc, $derc, $secc) = take($oslo, $c);
my $proof_a = BkmCaseSystem::proof($seca, $ma->{meldingId}, sha256_hex($dera),
                                   'SAK-A');
$res = $oslo->answer($mc->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($mc, $derc, 'SAK-A', $secc,
                             besittelsesbevis => $proof_a));
is $res->code, 422, "report A's proof replayed for report C: 422";
is code_of($res), 'feil-besittelsesbevis', 'feil-besittelsesbevis';
$res = $oslo->answer($mc->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($mc, $derc, 'SAK-C', $seca));
is $res->code, 422, "a proof made with report A's secret: 422";
is state_of($c)->[0], 'SENDT_FAGSYSTEM', 'report C not delivered';

# The format's rules.
for my $t (
    [ 'versjon 2 without besittelsesbevis', { versjon => 2 } ],
    [ 'besittelsesbevis in versjon 1', { versjon => 1,
        besittelsesbevis => 'ab' x 32 } ],
    [ 'besittelsesbevis without versjon', { besittelsesbevis => 'ab' x 32 } ],
    [ 'versjon "2" (a string)', { versjon => '2',
        besittelsesbevis => 'ab' x 32 } ],
    [ 'versjon 3', { versjon => 3, besittelsesbevis => 'ab' x 32 } ],
    [ 'besittelsesbevis not hex', { versjon => 2,
        besittelsesbevis => 'AB' x 32 } ],
) {
    $res = $oslo->answer($mc->{meldingId}, 'mottatt',
        $oslo->stored_receipt($mc, $derc, 'SAK-C', %{ $t->[1] }));
    is $res->code, 422, "$t->[0]: 422";
}
is state_of($c)->[0], 'SENDT_FAGSYSTEM', 'still not delivered';
is count_events($c, 'KVITTERING_AVVIST'), 8, 'every refusal recorded';

# v1 still delivers by default (avvisLagringskvitteringV1 unset).
my $d = report('0301', '01');
my ($md, $derd) = take($oslo, $d);
$res = $oslo->answer($md->{meldingId}, 'mottatt',
    $oslo->stored_receipt($md, $derd, 'SAK-D'));
is $res->code, 200, 'a v1 stored-receipt where the district allows it: 200';

# ---- a producer's container: the secret beside the message --------------
my %prod = dev_token('produsent');
my $keys = json_of($ops->get("$base/bekymringsmelding/api/v2/mottak/"
    . "fagsystem/0301/01/krypteringsnokler", %prod));
my $pbody = HTTP::Request::Common::POST(
    "$base/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/01/"
    . "offentlig", %prod, Content_Type => 'form-data',
    Content => [
        bekymringsmelding => [undef, 'p.cms', 'Content-Type' =>
            'application/pkcs7-mime', Content => seal_cms("%PDF-1.4 x\n",
                $keys->{printOffentligNokkel}{nokkel})],
        asice => [undef, 'a.cms', 'Content-Type' => 'application/pkcs7-mime',
            Content => seal_cms("PK\x03\x04 container",
                $keys->{fiksIOOffentligNokkel}{nokkel})] ]);
$res = $ops->request($pbody);
is $res->code, 201, "a producer's report: 201" or diag $res->content;
my $p = json_of($res)->{uuid} // '';
my $mp = waiting_for($oslo, $p) // {};
$res = $oslo->request('GET', $oslo->url("/$mp->{meldingId}/besittelse"));
is $res->code, 200, 'its secret: 200';
is $res->content_type, 'application/pkcs7-mime', 'as CMS';
my $pdoc = $json->decode($oslo->open_message($res->content) // '{}');
like $pdoc->{hemmelighet} // '', $HEX,
    "encrypted to the case system's certificate";
my ($secp, $derp) = $oslo->secret_for($mp->{meldingId});
is $secp, $pdoc->{hemmelighet}, 'the vendor finds it there';
$res = $oslo->answer($mp->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($mp, $derp, 'SAK-P', $secp));
is $res->code, 200, "a v2 receipt for the producer's report: 200";
$res = $oslo->request('GET', $oslo->url("/$ma->{meldingId}/besittelse"));
is $res->code, 404, 'a portal-sealed message has none beside it';
is code_of($res), 'besittelse-i-beholderen', 'it is in the container';
is $oslo->request('GET', $oslo->url('/00000000-0000-4000-8000-000000000000'
    . '/besittelse'))->code, 404, 'an unknown message: 404';
is $bergen->request('GET', $bergen->url("/$mp->{meldingId}/besittelse"))
    ->code, 404, "another account's message: 404";
is $oslo->request('POST', $oslo->url("/$mp->{meldingId}/besittelse"))->code,
    405, 'POST: 405';

# ---- a district that refuses v1 (a node with its registry) --------------
my $reg = JSON::PP->new->decode(slurp("$dev/registry.json"));
for my $k (@{ $reg->{kommuner} }) {
    next unless $k->{kommunenummer} eq '4601';
    $_->{avvisLagringskvitteringV1} = JSON::PP::true for @{ $k->{bydeler} };
}
spit("$dev/registry-besittelse.json", JSON::PP->new->encode($reg));
my $node = start_node('besittelse', $ENV{BKM_NODE2_PORT},
    "BekymringRegistry $dev/registry-besittelse.json",
    'BekymringPostCheckRate 1');
END { stop_node('besittelse') if $node; }
my $bergen2 = cs('fagsystem-4601-00', '4601-00-fagsystem',
                 receipt_key => "$pki/4601-00-kvittering.key");
$bergen2->{base} = $node;
my $e = report('4601', '00');
my ($me, $dere, $sece) = take($bergen2, $e);
$res = $bergen2->answer($me->{meldingId}, 'mottatt',
    $bergen2->stored_receipt($me, $dere, 'B-1'));
is $res->code, 422, 'v1 where the district refuses it: 422';
is code_of($res), 'lagringskvittering-v1-avvist', 'lagringskvittering-v1-avvist';
is state_of($e)->[0], 'SENDT_FAGSYSTEM', 'not delivered';
is count_events($e, 'KVITTERING_AVVIST'), 1, 'recorded';
$res = $bergen2->answer($me->{meldingId}, 'mottatt',
    $bergen2->stored_receipt_v2($me, $dere, 'B-1', $sece));
is $res->code, 200, 'v2 there: 200';
is state_of($e)->[0], 'LEVERT', 'delivered';

# ---- item 6: challenges --------------------------------------------------
my $konto = $oslo->konto;
is drift_challenge('')->code, 400, 'drift: no account: 400';
is $ops->post("$base/bekymring-drift/kontroll?konto=x")->code, 400,
    'drift: not an id: 400';
is drift_challenge('00000000-0000-4000-8000-000000000000')->code, 404,
    'drift: an unknown account: 404';
is $ops->get("$base/bekymring-drift/kontroll?konto=$konto")->code, 405,
    'drift: GET: 405';

# An honest case system.
$res = drift_challenge($konto);
is $res->code, 201, 'a challenge now: 201' or diag $res->content;
my $k1 = json_of($res)->{kontrollId} // '';
my ($lres, $list) = $oslo->challenges;
is $lres->code, 200, 'the account lists its open challenges';
my ($ch) = grep { $_->{kontrollId} eq $k1 } @{ $list // [] };
ok $ch, 'with the new one';
like $ch->{nonce} // '', $HEX, 'a fresh nonce';
like $ch->{frist} // '', qr/^\d{4}-\d\d-\d\dT/, 'and its deadline';
my $k1_report = kontroll_row($k1)->[1];
is $ch->{bekymringsmeldingId}, $k1_report, 'naming the report';

# Bad input changes nothing.
my $good = $oslo->challenge_answer($ch);
like $good // '', $HEX, 'the honest answer is computed from the message';
my $url = $oslo->kontroll_url("/$k1");
$res = $oslo->request('POST', $url, ['Content-Type' => 'text/plain'],
                      $json->encode({ svar => $good }));
is $res->code, 415, 'text/plain: 415';
is code_of($res), 'feil-innholdstype', 'feil-innholdstype';
$res = $oslo->request('POST', $url, ['Content-Type' => 'application/json'],
                      '{"svar":"' . ('a' x 2000) . '"}');
is $res->code, 413, 'an oversized body: 413';
ok json_of($res), 'as JSON';
$res = $oslo->request('POST', $url, ['Content-Type' => 'application/json'],
                      '{"svar":');
is $res->code, 400, 'malformed JSON: 400';
is code_of($res), 'ugyldig-json', 'ugyldig-json';
$res = $oslo->answer_challenge($k1, 'xyz');
is $res->code, 400, 'svar not 64 hex digits: 400';
$res = $oslo->request('POST', $url, ['Content-Type' => 'application/json'],
                      $json->encode({ svar => $good, x => 1 }));
is $res->code, 400, 'another member: 400';
$res = $oslo->request('POST', $url, ['Content-Type' => 'application/json'],
                      '{"svar":"' . $good . '","svar":"' . $good . '"}');
is $res->code, 400, 'a duplicate member: 400';
$res = $oslo->answer_challenge('not-a-uuid', $good);
is $res->code, 404, 'not an id: 404';
is code_of($res), 'ukjent-kontroll', 'ukjent-kontroll';
is $oslo->answer_challenge('00000000-0000-4000-8000-000000000000', $good)
    ->code, 404, 'an unknown challenge: 404';
$res = $bergen->answer_challenge($k1, $good);
is $res->code, 404, "another account's challenge: 404";
is $oslo->request('GET', $url)->code, 405, 'GET on a challenge: 405';
is $oslo->request('DELETE', $oslo->kontroll_url)->code, 405,
    'DELETE on the list: 405';
is $oslo->request('GET', $oslo->kontroll_url('?x=1'))->code, 400,
    'the list with a parameter: 400';
is kontroll_row($k1)->[0], '-', 'the challenge is still open after all that';
is state_of($k1_report)->[0], 'LEVERT', 'and its report still delivered';

$res = $oslo->answer_challenge($k1, $good);
is $res->code, 200, 'the honest answer: 200' or diag $res->content;
is json_of($res)->{utfall}, 'BESTATT', 'BESTATT';
is kontroll_row($k1)->[0], 'BESTATT', 'recorded';
ok count_events($k1_report, 'KONTROLL_BESTATT') >= 1, 'on the timeline';
$res = $oslo->answer_challenge($k1, $good);
is $res->code, 409, 'answered again: 409';
is code_of($res), 'kontroll-avsluttet', 'kontroll-avsluttet';
is state_of($k1_report)->[0], 'LEVERT', 'still delivered';

# A case system that answers wrongly: back in the queue, an alert, and
# delivered again after fetching and receipting once more.
$res = drift_challenge($konto);
my $k2 = json_of($res)->{kontrollId} // '';
my $k2_report = kontroll_row($k2)->[1];
$res = $oslo->answer_challenge($k2, 'cd' x 32);
is $res->code, 422, 'a wrong answer: 422';
is code_of($res), 'feil-kontrollsvar', 'feil-kontrollsvar';
is kontroll_row($k2)->[0], 'FEIL', 'recorded as FEIL';
my $st = state_of($k2_report);
is $st->[0], 'AKSEPTERT', 'the report is back in its queue';
ok $st->[1] > 0 && $st->[2] == -1, 'with a deadline, not delivered';
is count_events($k2_report, 'KONTROLL_FEILET'), 1, 'on the timeline';
like error_log(), qr/BKM03110: ALERT kontroll-feilet: challenge \Q$k2\E/,
    'an ALERT line with its own tag';
my ($m2, $der2, $sec2) = take($oslo, $k2_report);
ok $m2->{meldingId}, 'the case system sees it waiting again';
$res = $oslo->answer($m2->{meldingId}, 'mottatt',
    $oslo->stored_receipt_v2($m2, $der2, 'SAK-2', $sec2));
is $res->code, 200, 'fetched and receipted again: 200' or diag $res->content;
is state_of($k2_report)->[0], 'LEVERT', 'delivered after the retry';
is $oslo->answer_challenge($k2, $oslo->challenge_answer(
    { kontrollId => $k2, meldingId => $m2->{meldingId}, nonce => 'x' }))
    ->code, 409, 'the failed challenge cannot be answered later';

# The right answer, but after the deadline: too late, back in the queue.
$res = drift_challenge($konto);
my $k4 = json_of($res)->{kontrollId} // '';
my $k4_report = kontroll_row($k4)->[1];
my ($ch4) = grep { $_->{kontrollId} eq $k4 } @{ ($oslo->challenges)[1] // [] };
$res = $oslo->answer_challenge($k4, $oslo->challenge_answer($ch4 // {})
                                    // '00' x 32, clock(days(4)));
is $res->code, 409, 'the right answer days late: 409';
is code_of($res), 'kontroll-utlopt', 'kontroll-utlopt';
is kontroll_row($k4)->[0], 'UTLOPT', 'recorded as UTLOPT';
is state_of($k4_report)->[0], 'AKSEPTERT', 'back in the queue';

# A case system that never answers: the pass finds it a business day on.
$res = drift_challenge($konto);
my $k3 = json_of($res)->{kontrollId} // '';
my $k3_report = kontroll_row($k3)->[1];
my $pass = pass_on($base, days(5));
ok(($pass->{kontrollFeilet} // 0) >= 1, 'the pass fails the silent one')
    or diag explain $pass;
is kontroll_row($k3)->[0], 'UTLOPT', 'UTLOPT';
is state_of($k3_report)->[0], 'AKSEPTERT', 'back in the queue';
like error_log(), qr/BKM03110: ALERT kontroll-feilet: challenge \Q$k3\E/,
    'with an ALERT line';
is pass_on($base, days(5))->{kontrollFeilet}, 0,
    'a second pass finds nothing more';
is $oslo->answer_challenge($k3, 'ab' x 32)->code, 409,
    'an answer after that: 409';
$pass = pass_on($base, days(12));
is state_of($k3_report)->[0], 'SENDT_PRINT',
    'nobody fetched it again: letter post';
is state_of($c)->[0], 'SENDT_PRINT', 'report C (the replayed proof) too';
is state_of($k4_report)->[0], 'SENDT_PRINT', 'and the one answered too late';

# ---- sampling in the pass (the node samples: BekymringPostCheckRate 1) ---
pass_on($node, days(13));       # seeds each account's next time
my $open_before = (db_rows('SELECT COUNT(*) FROM bkm_kontroll '
    . 'WHERE utfall IS NULL'))[0][0];
is $open_before, 0, 'no challenge open before the sample';
# Six passes at once, as nodes of a farm would run them.
my @kids;
for (1 .. 6) {
    pipe my $r, my $w or die;
    my $pid = fork // die;
    if (!$pid) {
        close $r;
        print $w $json->encode(pass_on($node, days(15)));
        close $w;
        POSIX::_exit(0);        # not Test::More's END in the child
    }
    close $w;
    push @kids, [$pid, $r];
}
my $issued = 0;
for (@kids) {
    waitpid $_->[0], 0;
    my $j = $json->decode(do { local $/; readline $_->[1] } || '{}');
    $issued += $j->{kontroller} // 0;
}
ok $issued >= 1, "the passes challenged accounts' delivered reports"
    or diag $issued;
my @per = db_rows('SELECT konto_id, COUNT(*) FROM bkm_kontroll '
    . 'WHERE utfall IS NULL GROUP BY konto_id');
is scalar(grep { $_->[1] > 1 } @per), 0,
    'no account challenged twice by the six passes';
is((db_rows('SELECT COUNT(*) FROM bkm_kontroll WHERE utfall IS NULL'))[0][0],
   $issued, 'each issued once');
is pass_on($node, days(15))->{kontroller}, 0,
    'the next pass at the same time samples nobody';

# Everything open is answered honestly, so later tests find nothing open.
my $answered = 0;
for my $row (db_rows('SELECT konto_id FROM bkm_kontroll WHERE utfall IS NULL '
                     . 'GROUP BY konto_id')) {
    my $cs = $by_konto{$row->[0]} or next;
    my (undef, $l) = $cs->challenges;
    for my $ch (@{ $l // [] }) {
        my $r = $cs->answer_challenge($ch->{kontrollId},
            $cs->challenge_answer($ch) // '00' x 32);
        $answered++ if $r->code == 200;
    }
}
is $answered, $issued, 'the honest case systems answer every sample';
is((db_rows('SELECT COUNT(*) FROM bkm_kontroll WHERE utfall IS NULL'))[0][0],
   0, 'nothing left open');
stop_node('besittelse');
undef $node;

unlike error_log(), qr/\Q$seca\E|\Q$secb\E|\Q$secp\E/,
    'no secret in the log';
