# SPDX-License-Identifier: Apache-2.0
# Delivery assurance (issue 12, items 1-3): the attacks a new case-system
# vendor found, and the lying and broken case systems of
# t/lib/BkmCaseSystem.pm.  A message counts as fetched only when every
# byte went out; a receipt for a message not fetched completely is 409
# ikke-hentet, recorded, and the deadline keeps running; an Idempotency-Key
# answers only the request it came with.  Each report still ends delivered
# (after a proper fetch) or printed.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows dev_token
               seal_cms error_log slurp privat_rapport skjema_api);
use BkmCaseSystem;
use Digest::SHA qw(sha256_hex);
use HTTP::Request::Common ();
use JSON::PP;
use LWP::UserAgent;

plan tests => 70;

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

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');

sub report {
    my ($bydel, $kommune) = @_;
    my $res = skjema_api($ua, privat_rapport(kommunenummer => $kommune // '0301', bydelsnummer => $bydel));
    die 'report not accepted: ' . $res->decoded_content if $res->code != 201;
    return json_of($res)->{uuid};
}
sub state_of {
    my ($id) = @_;
    return (db_rows("SELECT tilstand, COALESCE(frist, -1) FROM bkm_melding "
        . "WHERE id = '$id'"))[0];
}
sub events {
    my ($id) = @_;
    return map { $_->[0] } db_rows("SELECT hendelse FROM bkm_hendelse "
        . "WHERE melding_id = '$id' ORDER BY nr");
}
sub hentet {
    my ($mid) = @_;
    return (db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE id = '$mid' "
        . "AND hentet IS NOT NULL"))[0][0];
}
sub waiting_for {
    my ($cs, $id) = @_;
    my ($res, $list) = $cs->list;
    my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
    return $m;
}
sub run_pass {
    my (@h) = @_;
    my $res = $ops->post("$base/bekymring-drift/eskalering", @h);
    return json_of($res) // { error => $res->code };
}

# ---- attack 1: "received" for a message never fetched --------------------
my $id1 = report('01');
my $m1 = waiting_for($oslo01, $id1);
my $before = state_of($id1);
my $res = $oslo01->receipt_without_fetch($m1);
is $res->code, 409, 'mottatt without a fetch: 409';
is json_of($res)->{errorId}, 'ikke-hentet', 'ikke-hentet (JSON error)';
is_deeply state_of($id1), $before, 'not delivered; the deadline runs on';
is_deeply [events($id1)], [qw(AKSEPTERT KVITTERING_AVVIST)],
    'the refusal is on the timeline';
ok waiting_for($oslo01, $id1), 'still waiting for the case system';
$res = $oslo01->deliver($m1);
is $res->code, 200, 'fetched completely, then its stored-receipt: 200';
is state_of($id1)->[0], 'LEVERT', 'delivered';

# ---- attack 2: one byte, and the hash copied from the listing -----------
my $id2 = report('01');
my $m2 = waiting_for($oslo01, $id2);
my ($got, $rec) = $oslo01->fetch_one_byte($m2);
is $got->code, 206, 'Range: bytes=0-0 is answered 206';
is length($got->content), 1, 'with one byte';
is $got->header('Content-Range'), "bytes 0-0/$m2->{storrelse}",
    'and its Content-Range';
my $w2 = waiting_for($oslo01, $id2);
ok $w2 && !$w2->{hentet}, 'the listing: waiting, not fetched';
is state_of($id2)->[0], 'AKSEPTERT', 'the state: not fetched';
is $rec->code, 409, 'a stored-receipt with the listed hash: 409';
is json_of($rec)->{errorId}, 'ikke-hentet', 'ikke-hentet';
is state_of($id2)->[0], 'AKSEPTERT', 'not delivered';
$res = $oslo01->request('HEAD', $oslo01->url("/$m2->{meldingId}"));
is $res->code, 200, 'HEAD: 200';
ok !hentet($m2->{meldingId}), 'but HEAD fetches nothing';
$res = $oslo01->fetch($m2->{meldingId},
                      Range => 'bytes=' . ($m2->{storrelse} + 5) . '-');
is $res->code, 416, 'a range beyond the message: 416';
is json_of($res)->{errorId}, 'ugyldig-range', 'as a JSON error';
is $res->header('Content-Range'), "bytes */$m2->{storrelse}",
    'naming the size';
$res = $oslo01->fetch($m2->{meldingId}, Range => 'bytes=0-0,5-9');
is $res->code, 200, 'several ranges: the whole message (200)';
my $der2 = $res->content;
is sha256_hex($der2), $m2->{sha256}, 'all of it';
ok hentet($m2->{meldingId}), 'which counts';

# Ranges that together cover the message count, in any order.
my $id3 = report('01');
my $m3 = waiting_for($oslo01, $id3);
my $n = $m3->{storrelse};
my $half = int($n / 2);
$res = $oslo01->fetch($m3->{meldingId}, Range => "bytes=$half-");
is $res->code, 206, 'the second half';
ok !hentet($m3->{meldingId}), 'half is not the message';
$res = $oslo01->fetch($m3->{meldingId}, Range => 'bytes=0-' . ($half - 2));
ok !hentet($m3->{meldingId}), 'nor is all but one byte';
my $head = $res->content;
$res = $oslo01->fetch($m3->{meldingId},
                      Range => 'bytes=' . ($half - 1) . '-' . ($half - 1));
for (1 .. 40) {
    last if hentet($m3->{meldingId});
    select undef, undef, undef, 0.05;
}
ok hentet($m3->{meldingId}), 'the missing byte completes it';
is state_of($id3)->[0], 'SENDT_FAGSYSTEM', 'SENDT_FAGSYSTEM';
ok((waiting_for($oslo01, $id3) // {})->{hentet},
   'and the listing says hentet');
is scalar(grep { $_ eq 'HENTET' } events($id3)), 1, 'one HENTET event';
$res = $oslo01->answer($m3->{meldingId}, 'mottatt');
is $res->code, 200, 'now its mottatt counts';
is state_of($id3)->[0], 'LEVERT', 'LEVERT';

# ---- a case system that hangs up mid-download ----------------------------
my ($id4, $m4, $seen);
for my $try (1 .. 8) {
    $id4 = report('01');
    $m4 = waiting_for($oslo01, $id4);
    $oslo01->hang_up($m4);
    for (1 .. 40) {
        $seen = error_log()
            =~ /BKM03001: message \Q$m4->{meldingId}\E: bytes .* not sent/;
        last if $seen || hentet($m4->{meldingId});
        select undef, undef, undef, 0.05;
    }
    last if $seen;
    # The whole answer fitted in the socket buffers before the reset came:
    # that download rightly counts.  Try again with a new report.
}
ok $seen, 'a download cut off: the server saw it';
ok !hentet($m4->{meldingId}), 'and did not record it';
is state_of($id4)->[0], 'AKSEPTERT', 'not fetched';
$res = $oslo01->answer($m4->{meldingId}, 'mottatt');
is $res->code, 409, 'its mottatt: 409 ikke-hentet';

# ---- attack 4: a second feilet with another text -------------------------
my $id5 = report('00', '4601');
my $m5 = waiting_for($bergen, $id5);
$res = $bergen->answer($m5->{meldingId}, 'feilet', '{"melding": "A"}');
is $res->code, 200, 'feilet needs no fetch (a system that cannot download '
    . 'must be able to say so)';
$res = $bergen->answer($m5->{meldingId}, 'feilet', '{"melding": "B"}');
is $res->code, 409, 'a second feilet with another text: 409';
is json_of($res)->{errorId}, 'motstridende-kvittering', 'a contradiction';
is state_of($id5)->[0], 'SENDT_PRINT', 'the report goes by letter post';

# ---- attack 3: an Idempotency-Key reused for another report --------------
my %prod = dev_token('produsent');
my $org = '910000001';
my $mottak = "$base/bekymringsmelding/api/v2/mottak/fagsystem/$org";
sub post_report {
    my ($path, $pdf, $zip, %h) = @_;
    my $req = HTTP::Request::Common::POST("$mottak/$path",
        Content_Type => 'form-data',
        Content => [
            bekymringsmelding => [undef, 'p.cms', 'Content-Type' =>
                'application/pkcs7-mime', Content => $pdf],
            asice => [undef, 'a.cms', 'Content-Type' =>
                'application/pkcs7-mime', Content => $zip]]);
    $req->header(%prod, %h);
    return LWP::UserAgent->new->request($req);
}
sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }
my $print_pem = slurp("$pki/print.pem");
my ($pdf_a, $zip_a) = (seal_cms("%PDF-1.4 A\n", $print_pem),
    seal_cms("PK\x03\x04 A", slurp("$pki/0301-01-fagsystem.pem")));
my ($pdf_b, $zip_b) = (seal_cms("%PDF-1.4 B\n", $print_pem),
    seal_cms("PK\x03\x04 B", slurp("$pki/4601-00-fagsystem.pem")));
my $key = 'k1-' . time . "-$$";
my $n0 = count();
$res = post_report('0301/01/offentlig', $pdf_a, $zip_a,
                   'Idempotency-Key' => $key);
is $res->code, 201, 'report A under k1: 201' or diag $res->decoded_content;
my $a = json_of($res)->{uuid} // '';
$res = post_report('0301/01/offentlig', $pdf_a, $zip_a,
                   'Idempotency-Key' => $key);
is $res->code, 201, 'the same request again (a new multipart boundary): 201';
is json_of($res)->{uuid}, $a, 'with the first answer';
is count(), $n0 + 1, 'one report';
$res = post_report('4601/00/privat', $pdf_b, $zip_b,
                   'Idempotency-Key' => $key);
is $res->code, 422, 'another report under the same key: 422';
is json_of($res)->{errorId}, 'idempotency-key-reused',
    'idempotency-key-reused';
ok !grep({ $_ eq $a } values %{ json_of($res) // {} }),
    "not the first report's uuid";
$res = post_report('0301/01/offentlig', $pdf_a,
                   seal_cms("PK\x03\x04 C",
                            slurp("$pki/0301-01-fagsystem.pem")),
                   'Idempotency-Key' => $key);
is $res->code, 422, 'the same path with another body: 422';
$res = post_report('0301/01/privat', $pdf_a, $zip_a,
                   'Idempotency-Key' => $key);
is $res->code, 422, 'the same body to another path: 422';
is count(), $n0 + 1, 'nothing stored';
$res = post_report('0301/01/offentlig', $pdf_a, $zip_a,
                   'Idempotency-Key' => 'x' x 129);
is $res->code, 400, 'a key of 129 characters: 400';
is count(), $n0 + 1, 'nothing stored';
is((db_rows("SELECT COUNT(*) FROM bkm_melding WHERE id = '$a' AND "
    . "idempotens_fingeravtrykk IS NOT NULL AND idempotens_utloper > "
    . "mottatt"))[0][0], 1, 'the key is kept with its fingerprint and expiry');

# Two requests under one new key at the same moment: one report, and the
# other request is told whether it was the same (201, same uuid) or not
# (422): the key's UNIQUE index decides, then the fingerprint.
sub posts_at_once {
    my (@reqs) = @_;
    pipe my $go_r, my $go_w or die "pipe: $!";
    my @kids;
    for my $r (@reqs) {
        pipe my $out_r, my $out_w or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $go_w;
            close $out_r;
            my $ignored = <$go_r>;
            my $res = post_report(@$r);
            print $out_w $json->encode([$res->code, json_of($res) // {}]);
            close $out_w;
            require POSIX;
            POSIX::_exit(0);
        }
        close $out_w;
        push @kids, [$pid, $out_r];
    }
    close $go_r;
    select undef, undef, undef, 0.3;
    close $go_w;
    my @got;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $text = do { local $/; <$fh> };
        waitpid $k->[0], 0;
        push @got, eval { $json->decode($text) } // [0, {}];
    }
    return @got;
}
{
    my $k2 = "k2-$key";
    my $n1 = count();
    my @got = posts_at_once(
        ['0301/01/offentlig', $pdf_a, $zip_a, 'Idempotency-Key' => $k2],
        ['4601/00/privat', $pdf_b, $zip_b, 'Idempotency-Key' => $k2]);
    is_deeply [sort map { $_->[0] } @got], [201, 422],
        'two requests under one key at once: one 201, one 422'
        or diag explain \@got;
    is count(), $n1 + 1, 'one report stored';
    my $k3 = "k3-$key";
    @got = posts_at_once(map { ['0301/01/offentlig', $pdf_a, $zip_a,
                                'Idempotency-Key' => $k3] } 1 .. 3);
    is_deeply [map { $_->[0] } @got], [201, 201, 201],
        'the same request three times at once: 201 each';
    is scalar(keys %{ { map { ($_->[1]{uuid} // '') => 1 } @got } }), 1,
        'with one uuid';
    is count(), $n1 + 2, 'one report more';
}

# ---- a day later: keys forgotten; every report delivered or printed -----
my $later = (time + 40 * 86400) * 1e6;
my $pass = run_pass('Bkm-Test-Klokke' => sprintf('%.0f', $later));
is $pass->{error}, undef, 'an escalation pass 40 days on';
is((db_rows("SELECT COUNT(*) FROM bkm_melding WHERE id = '$a' AND "
    . "idempotensnokkel IS NULL"))[0][0], 1, 'forgot the expired key');
$res = post_report('4601/00/privat', $pdf_b, $zip_b,
                   'Idempotency-Key' => $key);
is $res->code, 201, 'the key then names a new report: 201';
isnt json_of($res)->{uuid}, $a, 'another one';
is state_of($id4)->[0], 'SENDT_PRINT',
    'the report whose download was cut off went by letter post';
is_deeply [map { state_of($_)->[0] } $id1, $id2, $id3],
    [qw(LEVERT SENDT_PRINT LEVERT)],
    'each report delivered after a proper fetch, or printed';

# ---- a report printed once, delivered late, then back in the queue ------
# (a reconciliation or a check after delivery found its case system
# without it): at its new deadline it is printed again.  Its print job
# waits anew; a second job, which the table refuses, once made every pass
# fail for every report (an outside attack).
my $id9 = report('00', '4601');
my $t9 = (time + 50 * 86400) * 1e6;
run_pass('Bkm-Test-Klokke' => sprintf('%.0f', $t9));
is state_of($id9)->[0], 'SENDT_PRINT', 'not fetched by its deadline: printed';
my $m9 = waiting_for($bergen, $id9);
is +($m9 ? $bergen->deliver($m9)->code : 0), 200,
    'then fetched and receipted late';
# What the print provider had answered, and the requeue, as the
# reconciliation and the checks write them.
db_rows("UPDATE bkm_leveranse SET svar = 'mottatt', svar_tid = 1 "
    . "WHERE melding_id = '$id9' AND mottaker = 'print'");
db_rows("UPDATE bkm_melding SET tilstand = 'AKSEPTERT', levert = NULL, "
    . sprintf("frist = %.0f WHERE id = '$id9'", $t9 + 1e6));
db_rows("UPDATE bkm_leveranse SET svar = NULL, svar_tid = NULL, "
    . "hentet = NULL, hentet_av = NULL, arkivreferanse = NULL, dekket = NULL "
    . "WHERE melding_id = '$id9' AND mottaker = 'fagsystem'");
$pass = run_pass('Bkm-Test-Klokke' => sprintf('%.0f', $t9 + 3 * 86400e6));
ok !exists $pass->{error} && !exists $pass->{errorId}, 'the next pass runs'
    or diag explain $pass;
is state_of($id9)->[0], 'SENDT_PRINT', 'and prints it again';
is_deeply((db_rows("SELECT COUNT(*), COUNT(svar) FROM bkm_leveranse "
    . "WHERE melding_id = '$id9' AND mottaker = 'print'"))[0], [1, 0],
    'its one print job waits for the print provider again');
is scalar(grep { $_ eq 'SENDT_PRINT' } events($id9)), 2,
    'both orders on the timeline';

