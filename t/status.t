# SPDX-License-Identifier: Apache-2.0
# The reporter's status page (issue 12, item 8) and assurance failures made
# visible (item 9), without a browser.
#
# /status: the code on the receipt (derived here again, independently, from
# the dev tree's BekymringSecretKey as the README describes it), what the
# page shows and nothing more, the same answer for a wrong code as for an
# unknown one, bad input, the retention period, the rate limit.  Then an
# assurance failure (a refused receipt, a failed print): marked, filtered
# in the overview, counted in the integration health, and an ALERT line.
use strict;
use POSIX ();
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(login_ua login base_url db_rows root json_of slurp);
use BkmCaseSystem;
use Digest::SHA qw(hmac_sha256);
use Encode qw(decode_utf8);
use HTTP::Request::Common qw(POST);
use JSON::PP;
use LWP::UserAgent;
use Math::BigInt;

plan tests => 75;

my $base = base_url();
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;
my $anon = LWP::UserAgent->new(timeout => 30, max_redirect => 0);
sub clock { ('Bkm-Test-Klokke' => sprintf('%.0f', $_[0])) }
sub status { $anon->get("$base/status?kode=$_[0]", @_[1 .. $#_]) }
sub html { decode_utf8($_[0]->content) }
sub one { (db_rows($_[0]))[0][0] }
# A page without what was typed (the field's value, the language links).
sub bare { html($_[0]) =~ s/value="[^"]*"//r =~ s/kode=[^&"]*//gr }

# The status code as the README describes it: HMAC-SHA256 under
# HMAC(secret, "bkm-token:status") over "status" NUL id; its first 8 bytes
# as a big-endian number, 8 digits of base 30, least significant first.
my $secret = slurp(root() . '/t/dev/secret.key');
my $skey = hmac_sha256('bkm-token:status', $secret);
my $alphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
sub code_of {
    my ($ref, $id) = @_;
    my $v = Math::BigInt->from_hex(unpack 'H16', hmac_sha256("status\0$id", $skey));
    my $s = '';
    for (1 .. 8) {
        my ($q, $r) = $v->copy->bdiv(30);
        $s .= substr($alphabet, $r->numify, 1);
        $v = $q;
    }
    return "$ref-" . substr($s, 0, 4) . '-' . substr($s, 4);
}

sub cs {
    my ($name, $k, %a) = @_;
    return BkmCaseSystem->new(base => $base, name => $name,
        key => "$pki/$k.key", cert => "$pki/$k.pem", %a);
}
my $oslo01 = cs('fagsystem-0301-01', '0301-01-fagsystem');
my $print = cs('print', 'print');
sub waiting_for {
    my ($cs, $id) = @_;
    for (1 .. 50) {
        my ($res, $list) = $cs->list;
        my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
        return $m if $m;
        # Others' messages first, as a case system that fell behind.
        $cs->answer($_->{meldingId}, 'mottatt') for @{ $list // [] };
    }
    return undef;
}

# ---- a report through the web form, and its receipt --------------------

my $ua = login_ua();
my $res = login($ua, '/privat/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
my (%hidden, $form);
$form = $res->content;
$hidden{$1} = $2 while $form =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
$ua->max_redirect(0);
$res = $ua->request(POST "$base/privat/send", [%hidden, handling => 'send',
    'privatMelder.telefonnummer' => '99999999',
    'privatBarn.0.personnavn' => 'Åse Ødegård',
    'privatBarn.0.adresse.adresselinje1' => 'Storgata 1',
    'privatBarn.0.adresse.postnummer' => '0155',
    melding => 'Jeg er bekymret for Åse.']);
my ($id) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
ok $id, 'a report sent through the form';
my $ref = one("SELECT referanse FROM bkm_melding WHERE id = '$id'");
$res = $ua->get("$base/sendt/$id");
my ($code) = html($res) =~ m{<dd class="bkm-referanse" id="statuskode">([^<]+)</dd>};
is $code, code_of($ref, $id), 'the receipt shows the status code, derived as documented';
like $code, qr/^\Q$ref\E-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/,
    'the reference number and 8 characters of its alphabet';
like html($res), qr{<a class="ds-link" id="status-lenke" href="/status">},
    'a link to /status, without the code (history)';

# ---- the page -----------------------------------------------------------

$res = $anon->get("$base/status");
is $res->code, 200, '/status without a code: the form';
is $res->header('Cache-Control'), 'no-store', 'no-store';
like $res->header('Content-Security-Policy') // '', qr/default-src 'none'.*frame-ancestors 'none'/,
    'the pages\' CSP';
is $res->header('Referrer-Policy'), 'no-referrer', 'no referrer';
like html($res), qr{<form method="get" action="/status"}, 'a GET form';
like html($res), qr{<label[^>]*for="kode"}, 'the field has a label';
like html($res), qr{<input[^>]*id="kode"[^>]*aria-describedby="kode-hjelp"}, 'and its help';
unlike html($res), qr/<script>|\son\w+=|style="/, 'no inline script or style';
for my $l (qw(nb nn en)) {
    like $anon->get("$base/status?sprak=$l")->content, qr/<html lang="$l">/, "in $l";
}
is $anon->request(POST "$base/status", [kode => $code])->code, 405, 'POST: 405';
is $anon->get("$base/status/x")->code, 404, 'below /status: 404';

$res = status($code);
is $res->code, 200, 'the right code: 200';
like html($res), qr{data-tilstand="mottatt">Meldingen er mottatt}, 'received';
unlike html($res), qr/Gamle Oslo|Oslo kommune|Åse|\Q$id\E/, 'nothing about the report';
is status(lc $code =~ s/-/ /gr)->code, 200, 'lower case and blanks: the same code';

# A wrong code and an unknown one: the same page.
my $wrong = substr($code, 0, 18) . (substr($code, 18) eq '2' ? '3' : '2');
my $unknown = ($ref eq '2222-2222' ? '3333-3333' : '2222-2222') . substr($code, 9);
my $events = one("SELECT COUNT(*) FROM bkm_hendelse");
my $w = status($wrong);
my $u = status($unknown);
is $w->code, 404, 'a wrong code: 404';
is $u->code, 404, 'an unknown reference number: 404';
like html($w), qr{id="status-ukjent"}, 'said so';
is bare($w), bare($u), 'the same page for both (but the code typed)';
is one("SELECT COUNT(*) FROM bkm_hendelse"), $events, 'nothing changed';

# Bad input: answered, tied to the field, nothing looked up.
$res = status('abc');
is $res->code, 400, 'too short: 400';
like html($res), qr{<input[^>]*id="kode"[^>]*value="abc"[^>]*aria-describedby="kode-hjelp kode-feil"[^>]*aria-invalid="true"},
    'the field marked and described by its error';
like html($res), qr{id="kode-feil">Statuskoden skal ha 16 tegn}, 'the error next to it';
like html($res), qr{<div class="ds-error-summary"[^>]*autofocus[\s\S]*href="#kode"}, 'and in the summary, linked';
like status('')->content, qr{Skriv inn statuskoden}, 'empty: asked for';
is status('')->code, 400, 'empty: 400';
is status(substr($code, 0, 18) . 'O')->code, 400, 'a letter not in the alphabet: 400';
is status(substr($code, 0, 18) . '%C3%85')->code, 400, 'not ASCII: 400';
$res = status('2' x 65);
is $res->code, 400, 'too long: 400';
unlike $res->content, qr/value="2{65}"/, 'and not put back in the field';
$res = status("$code$code");
is $res->code, 400, 'two codes: 400';

# ---- delivered; then past the retention period ----------------------------

my $m1 = waiting_for($oslo01, $id);
ok $m1, 'the case system sees it';
$oslo01->fetch($m1->{meldingId});
is $oslo01->answer($m1->{meldingId}, 'mottatt')->code, 200, 'and receipts it';
my $levert = one("SELECT levert FROM bkm_melding WHERE id = '$id'");
my $day = qr/\d\d\.\d\d\.20\d\d/;
$res = status($code);
like html($res), qr{data-tilstand="levert">Meldingen ble levert til barneverntjenesten i kommunen $day\.},
    'delivered, on a date';
like $anon->get("$base/status?kode=$code&sprak=en")->content,
    qr{data-tilstand="levert">The report was delivered to the municipality(?:'|&#39;)s child welfare service on 20\d\d-\d\d-\d\d\.},
    'in English too';
$res = status($code, clock($levert + 29 * 86400e6));
is $res->code, 200, 'still shown within the retention period';
$res = status($code, clock($levert + 30 * 86400e6 + 1e6));
is $res->code, 404, 'past it: 404';
is bare($res), bare($u), 'the same page as an unknown code';

# ---- letter post ------------------------------------------------------------

my $api = "$base/bekymringsmelding/api/v2/mottak/skjema/privat";
my $reporter = login_ua();
login($reporter, '/meg', 'kari', 'substantial');
sub report {
    my $r = $reporter->post($api, 'Content-Type' => 'application/json',
        Accept => 'application/json', Content => $json->encode({
            kommunenummer => '0301', bydelsnummer => '01',
            privatMelder => { personnavn => 'x' },
            privatBarn => [ { personnavn => 'Barn', adresse => { adresselinje1 => 'Gate 1' } } ],
            melding => 'Bekymret.' }));
    my $j = json_of($r) or die 'report: ' . $r->code;
    return ($j->{uuid}, $j->{referanse}
            // one("SELECT referanse FROM bkm_melding WHERE id = '$j->{uuid}'"));
}
my ($id2, $ref2) = report();
my $code2 = code_of($ref2, $id2);
my $m = waiting_for($oslo01, $id2);
is $oslo01->answer($m->{meldingId}, 'feilet', '{}')->code, 200,
    'the case system cannot take it: letter post';
like status($code2)->content, qr{data-tilstand="mottatt"}, 'received, while the print waits';
my $job = waiting_for($print, $id2);
$print->fetch($job->{meldingId});
is $print->answer($job->{meldingId}, 'mottatt')->code, 200, 'the print provider posts it';
like html(status($code2)), qr{data-tilstand="brevpost">Meldingen ble sendt som brevpost til barneverntjenesten i kommunen $day\.},
    'sent by letter post, on a date';

# ---- assurance failures -----------------------------------------------------

my $log_before = length BkmTest::error_log();
is one("SELECT COUNT(*) FROM bkm_melding WHERE id = '$id' AND avvik IS NOT NULL"), 0,
    'a delivered report has no assurance failure';
$res = $oslo01->answer($m1->{meldingId}, 'feilet', '{}');
is $res->code, 409, 'feilet after mottatt: refused';
is one("SELECT COUNT(*) FROM bkm_hendelse WHERE melding_id = '$id' AND hendelse = 'KVITTERING_AVVIST'"), 1,
    'on the timeline';
is one("SELECT COUNT(*) FROM bkm_melding WHERE id = '$id' AND avvik IS NOT NULL"), 1,
    'the report is marked';
my $log = substr(BkmTest::error_log(), $log_before);
like $log, qr/\[bekymring:alert\].*BKM03301: ALERT avvik KVITTERING_AVVIST: report \Q$id\E/,
    'an ALERT line with its own tag';
unlike $log, qr/Åse|Storgata|01017012345/, 'naming no content';

# A failed print, on another report.
my ($id3) = report();
$m = waiting_for($oslo01, $id3);
$oslo01->answer($m->{meldingId}, 'feilet', '{}');
$job = waiting_for($print, $id3);
is $print->answer($job->{meldingId}, 'feilet', '{"melding": "papirstopp"}')->code, 200,
    'the print provider cannot print';
is one("SELECT COUNT(*) FROM bkm_melding WHERE id = '$id3' AND avvik IS NOT NULL"), 1,
    'marked too';

# The overview's filter, and the integration health.
my $admin = login_ua();
login($admin, '/kommune', 'kari', 'substantial');
$res = $admin->get("$base/kommune/0301?avvik=1");
is $res->code, 200, 'the overview, assurance failures only';
my $list = html($res);
like $list, qr{>\Q$ref\E</a>}, 'the refused receipt\'s report';
my $ref3 = one("SELECT referanse FROM bkm_melding WHERE id = '$id3'");
like $list, qr{>\Q$ref3\E</a>}, 'the failed print\'s';
unlike $list, qr{>\Q$ref2\E</a>}, 'not a report without a failure';
like $list, qr{<option value="1" selected>Bare meldinger med avvik</option>}, 'the filter shown as chosen';
like $admin->get("$base/kommune/0301?avvik=1&bydel=02")->content, qr/Ingen meldinger passer med utvalget/,
    'with another district: none';
like html($admin->get("$base/kommune/0301?avvik=1&tilstand=AVVIST_PRINT")), qr{>\Q$ref3\E</a>},
    'with a state: that one';
unlike html($admin->get("$base/kommune/0301?avvik=1&tilstand=AVVIST_PRINT")), qr{>\Q$ref\E</a>},
    'and not the other';
is $admin->get("$base/kommune/0301?avvik=2")->code, 400, 'avvik=2: 400';
like html($admin->get("$base/kommune/0301")), qr{>\Q$ref\E</a>[\s\S]*?</tr>}, 'unfiltered, listed';
like html($admin->get("$base/kommune/0301/meldinger.csv?avvik=1")), qr/\Q$ref\E.*Avvik/,
    'the CSV follows the filter, with the warning';
# An explicit period, and the same bounds in SQL (Oslo's midnights): other
# tests leave failures at test-clock times outside the default period.
my ($fra, $til, $from_us, $to_us);
{
    local $ENV{TZ} = 'Europe/Oslo';
    POSIX::tzset();
    my @f = localtime(time - 50 * 86400);
    my @t = localtime(time);
    $fra = POSIX::strftime('%Y-%m-%d', @f);
    $til = POSIX::strftime('%Y-%m-%d', @t);
    $from_us = sprintf '%.0f', POSIX::mktime(0, 0, 0, @f[3 .. 5]) * 1e6;
    $to_us = sprintf '%.0f', POSIX::mktime(0, 0, 0, $t[3] + 1, @t[4, 5]) * 1e6;
}
POSIX::tzset();
$res = $admin->get("$base/kommune/0301/statistikk?fra=$fra&til=$til");
my ($row) = html($res) =~ m{<th scope="row">Oslo, Gamle Oslo</th>([\s\S]*?)</tr>};
like $row // '', qr{<td class="bkm-avvik"[^>]*>(\d+)<span class="ds-tag" data-color="danger"}, 'the health counts them';
my ($n) = ($row // '') =~ m{<td class="bkm-avvik"[^>]*>(\d+)};
is $n, one("SELECT COUNT(*) FROM bkm_melding WHERE avvik IS NOT NULL "
    . "AND kommunenummer = '0301' AND bydelsnummer = '01' "
    . "AND avvik >= $from_us AND avvik < $to_us"), 'as many as there are';

# ---- the rate limit ------------------------------------------------------

# A window of our own, in the test clock's future.
my $t0 = (time + 86400 * 400) * 1e6;
my $ok = 0;
$ok += status('abc', clock($t0))->code == 400 for 1 .. 30;
is $ok, 30, '30 lookups in a window';
$res = status($code, clock($t0 + 1e6));
is $res->code, 429, 'the 31st: 429';
like $res->header('Retry-After') // '', qr/^(29\d|300)$/, 'with Retry-After';
like html($res), qr{id="status-for-mange"}, 'said in the page';
unlike html($res), qr{data-tilstand}, 'and no status';
is status('abc', clock($t0 + 301e6))->code, 400, 'after the window: answered again';
