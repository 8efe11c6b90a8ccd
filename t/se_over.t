# SPDX-License-Identifier: Apache-2.0
# Issue 14, item 2, the HTTP contract (t/pages_browser.t has the browser):
# the check page ("Se over før du sender") between the form and sending,
# its change buttons, "change municipality" that keeps the text, "add a
# child" that lands on the new child, errors that survive a change of
# language, and the language of every page after the form.
#  - the form's main button goes to the check page; "send" is only there;
#  - the check page: CSRF refused, Cache-Control no-store, every answer
#    shown, everything carried as hidden fields, nothing stored (no report,
#    no draft);
#  - send from the check page stores exactly one report, also when the
#    check page's post is sent twice, or twice at the same moment;
#  - "bytt kommune" seals the text (no plaintext in the database) and the
#    new municipality's form shows it all again;
#  - a session in nynorsk (the login's locale) gets its receipt in nynorsk.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(login_ua login base_url db_rows);
use Encode qw(encode_utf8 decode_utf8);
use HTML::Entities qw(decode_entities);
use HTTP::Request::Common qw(POST);
use LWP::UserAgent;

plan tests => 80;

my $base = base_url();
sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }
sub drafts { (db_rows('SELECT COUNT(*) FROM bkm_utkast'))[0][0] }

# Every hidden input of a page, in order (the check page carries the
# whole form this way).
sub hidden_of {
    my ($html) = @_;
    my @f;
    while ($html =~ /<input type="hidden" name="([^"]+)" value="([^"]*)"/g) {
        push @f, $1, decode_entities($2);
    }
    return @f;
}

sub post_form {
    my ($ua, $type, @f) = @_;
    return $ua->request(POST "$base/$type/send", [map { encode_utf8($_) } @f]);
}

my $ua = login_ua();
my $res = login($ua, '/privat/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
is $res->code, 200, 'logged in, at the form';
my $html = decode_utf8($res->content);
like $html, qr{<button type="submit" name="handling" value="se-over"}, 'the form\'s main button goes to the check page';
unlike $html, qr{name="handling" value="send"}, 'and the form has no "send" of its own';
like $html, qr{<button type="submit" name="handling" class="ds-button bkm-lenkeknapp"[^>]*value="bytt-kommune"},
    '"Bytt kommune" is a button of the form (it carries the text)';
my %hidden = hidden_of($html);

my @typed = (
    'privatMelder.telefonnummer' => '+47 912 34 567',
    'privatBarn.0.personnavn' => 'Åse Ødegård',
    'privatBarn.0.antattAlder' => 'ca. 7 år',
    'privatBarn.0.relasjon' => 'nabo <b>x</b>',
    'privatBarn.0.adresse.adresselinje1' => 'Storgata 1',
    'privatBarn.0.adresse.postnummer' => '0155',
    'melding' => "Jeg er bekymret.\nAndre linje «æøå».",
);
my %typed = @typed;
my @base = (csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301', bydel => '01');
$ua->max_redirect(0);

# ---- the check page ------------------------------------------------------

my ($before, $drafts) = (count(), drafts());
my %wrong = (@base, csrf => 'ab' x 32);
$res = post_form($ua, 'privat', %wrong, @typed, handling => 'se-over');
is $res->code, 403, 'the check page without this browser\'s CSRF token: 403';
unlike decode_utf8($res->content), qr/Åse/, 'and nothing posted is shown';
$res = post_form($ua, 'privat', grep({ $_ ne 'csrf' && $_ ne $hidden{csrf} } @base), @typed, handling => 'se-over');
is $res->code, 403, 'the check page without any CSRF token: 403';

$res = post_form($ua, 'privat', @base, handling => 'se-over');
is $res->code, 422, 'the check page asked for with nothing typed: the form again';
$html = decode_utf8($res->content);
like $html, qr{id="feiloppsummering"}, 'with the error summary';
unlike $html, qr{name="handling" value="send"}, 'and no way to send';

$res = post_form($ua, 'privat', @base, @typed, handling => 'se-over');
is $res->code, 200, 'the check page';
$html = decode_utf8($res->content);
my $check = $html;
like $html, qr{<h1 class="ds-heading" data-size="lg">Se over før du sender</h1>}, 'titled "Se over før du sender"';
is $res->header('Cache-Control'), 'no-store', 'Cache-Control: no-store';
like $html, qr{<button type="submit" name="handling" value="send"}, '"send" is on the check page';
my %shown = map { decode_entities($_) } $html =~ m{<div class="bkm-oppsummering-rad" data-felt="([^"]+)">\s*<dt[^>]*>[^<]*</dt>\s*<dd class="bkm-oppsummering-verdi"[^>]*>([^<]*)</dd>}g;
my @missing = grep { my $n = $_; my $row = $n =~ s/\.adresse\..*/.adresse/r;
                     index($shown{$row} // '', $typed{$n}) < 0 } keys %typed;
ok !@missing, "every answer is listed" or diag explain [map { encode_utf8($_) } @missing];
is $shown{'privatBarn.0.adresse'}, "Storgata 1\n0155 OSLO",
    'an address as one answer, with the place the server fills in for the postal code';
like $html, qr{<dd class="bkm-oppsummering-verdi bkm-tom">Ikke fylt ut</dd>}, 'an empty answer says so';
unlike $html, qr{<b>x</b>}, 'markup typed is shown as text';
like $html, qr{<dd id="innlogget-navn">Kari Nordmann</dd>}, 'the name from the login';
my %carried = hidden_of($html);
my @lost = grep { ($carried{$_} // "\0") ne $typed{$_} } keys %typed;
ok !@lost, 'every value rides along as a hidden field' or diag explain [map { encode_utf8($_) } @lost];
like $html, qr{value="endre:melding" formaction="/privat/send#f-melding"><span>Endre</span> <span class="bkm-skjult">[^<]+</span></button>},
    'each answer has an "Endre" button to its own field, with a name of its own';
is count(), $before, 'the check page stored no report';
is drafts(), $drafts, 'and no draft: nothing of the form is kept on the server';

# The check page in another language: still the check page, still the values.
my ($en_button) = $html =~ m{name="handling"[^>]*value="(sprak:en[^"]*)"};
ok $en_button, 'the check page has its own language buttons';
$res = post_form($ua, 'privat', hidden_of($check), handling => $en_button // 'sprak:en');
$html = decode_utf8($res->content);
like $html, qr{<html lang="en">.*<h1 class="ds-heading" data-size="lg">Check your answers before sending</h1>}s,
    'the check page switches to English and stays the check page';
is_deeply { hidden_of($html) }->{melding}, $typed{melding}, 'with the text kept';

# ---- "Endre": back to the field, everything kept -------------------------

$res = post_form($ua, 'privat', hidden_of($check), handling => 'endre:privatBarn.0.antattAlder');
is $res->code, 200, '"Endre" shows the form';
$html = decode_utf8($res->content);
like $html, qr{<input[^>]*id="f-privatBarn-0-antattAlder"[^>]*autofocus}, 'with the field to change focused';
like $html, qr{<textarea[^>]*name="melding"[^>]*>\Q$typed{melding}\E</textarea>}, 'and every other value kept';
is post_form($ua, 'privat', hidden_of($check), handling => 'endre:privatBarn.0.fnr')->code, 200,
    'a change button naming no field of the form shows the form';

# ---- sending from the check page ------------------------------------------

my @send = (hidden_of($check), handling => 'send');
$before = count();
$res = post_form($ua, 'privat', @send);
is $res->code, 303, 'send from the check page';
my ($id) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
ok $id, 'to the receipt';
$id //= '';
is count(), $before + 1, 'exactly one report stored';
$res = post_form($ua, 'privat', @send);
is $res->header('Location'), "/sendt/$id", 'the check page\'s post again: the same receipt';
is count(), $before + 1, 'and still one report';
# Back from the receipt to the check page and a reload (its post again):
# the receipt, not a check page saying nothing is sent yet (issue 14).
$res = post_form($ua, 'privat', @base, @typed, handling => 'se-over');
is $res->header('Location'), "/sendt/$id", 'the form\'s post to the check page again after sending: the receipt';
is count(), $before + 1, 'still one report';

# Twice at the same moment (a double click without script, a retry).
$res = $ua->get("$base/privat/skjema?kommune=0301&bydel=01");
%hidden = hidden_of(decode_utf8($res->content));
@base = (csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301', bydel => '01');
$ua->max_redirect(0);
my %samtidig = (@typed, melding => 'Samtidig');
$res = post_form($ua, 'privat', @base, %samtidig, handling => 'se-over');
@send = (hidden_of(decode_utf8($res->content)), handling => 'send');
$before = count();
my @pids;
for my $i (1 .. 2) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $r = post_form($ua, 'privat', @send);
        exit($r->code == 303 ? 0 : 1);
    }
    push @pids, $pid;
}
my $ok = 0;
for (@pids) { waitpid $_, 0; $ok++ if $? == 0 }
is $ok, 2, 'the check page posted twice at once: both answered with a receipt';
is count(), $before + 1, 'and one report stored';

# ---- "add a child": focus on the new child --------------------------------

$res = post_form($ua, 'privat', @base, @typed, handling => 'legg-til:privatBarn');
$html = decode_utf8($res->content);
like $html, qr{<input[^>]*id="f-privatBarn-1-personnavn"[^>]*autofocus}, '"add a child": the new child\'s name is focused';
like $html, qr{value="legg-til:privatBarn" formaction="/privat/send#f-privatBarn-2-personnavn"},
    'and the button lands on the next new child (the address has its id as fragment)';
like $html, qr{name="privatBarn.0.personnavn" value="Åse Ødegård"}, 'and everything typed is kept';

# ---- errors survive a change of language ----------------------------------

# ("send" from an old form page, which the server still takes: errors
# shown the way they were before the check page existed.)
$res = post_form($ua, 'privat', @base, 'privatBarn.0.antattAlder' => '7', handling => 'send');
$html = decode_utf8($res->content);
like $html, qr{id="feiloppsummering"}, 'errors shown';
my ($nn) = $html =~ m{name="handling"[^>]*value="(sprak:nn[^"]*)"};
$nn //= 'sprak:nn';
$res = post_form($ua, 'privat', hidden_of($html), 'privatBarn.0.antattAlder' => '7', handling => $nn);
$html = decode_utf8($res->content);
like $html, qr{<html lang="nn">}, 'the form\'s language button switches to nynorsk';
like $html, qr{id="feiloppsummering".*<h2[^>]*>[^<]+</h2>.*href="#f-privatBarn-0-personnavn"}s,
    'and the error summary is still there';
like $html, qr{<h2 class="ds-heading" id="feiloppsummering-tittel" data-size="xs">Rett dette før du sender:</h2>}
    , 'in nynorsk';
like $html, qr{name="privatBarn.0.antattAlder" value="7"}, 'with what was typed';

# ---- "change municipality" keeps the text ---------------------------------

$drafts = drafts();
$res = post_form($ua, 'privat', @base, @typed, handling => 'bytt-kommune');
is $res->code, 303, '"Bytt kommune" answers with a redirect';
my ($draft) = ($res->header('Location') // '') =~ m{^/privat\?utkast=([0-9a-f-]{36})$};
ok $draft, 'to the choice of municipality, carrying a draft';
$draft //= '';
is drafts(), $drafts + 1, 'the text is kept as a draft';
my ($box) = map { defined $_->[0] ? pack('H*', lc $_->[0]) : undef } db_rows($ENV{TEST_PGSQL}
    ? "SELECT encode(innhold, 'hex') FROM bkm_utkast WHERE id = '$draft'"
    : "SELECT hex(innhold) FROM bkm_utkast WHERE id = '$draft'");
ok defined $box && length($box) > 100 && $box !~ /Storgata|bekymret|%C3%85se|\xC3\x85se|Ødeg/,
    'sealed: no typed text in the database';
$res = $ua->get("$base/privat?utkast=$draft&sok=berg");
$html = decode_utf8($res->content);
like $html, qr{href="/privat\?kommune=4601&amp;utkast=$draft"}, 'the choice page carries the draft along';
like $html, qr{<input type="hidden" name="utkast" value="$draft"}, 'also through the search without script';
$res = $ua->get("$base/privat?kommune=0301&utkast=$draft");
like decode_utf8($res->content), qr{<input type="hidden" name="utkast" value="$draft"}, 'and through the choice of district';
$ua->max_redirect(15);
$res = $ua->get("$base/privat/skjema?kommune=4601&utkast=$draft");
$html = decode_utf8($res->content);
like $html, qr{<strong id="mottaker">Bergen</strong>}, 'the new municipality\'s form';
like $html, qr{<textarea[^>]*name="melding"[^>]*>\Q$typed{melding}\E</textarea>}, 'with the text typed';
like $html, qr{name="privatBarn.0.adresse.adresselinje1" value="Storgata 1"}, 'and every other value';
like $html, qr{Du har bytt kommune}, 'and a notice that it was kept (in the language chosen)';
is drafts(), $drafts + 1, 'the draft stays, sealed, after it is shown';
# Back from the new form to the choice and another municipality, or a
# reload of the new form on a phone: the text is there again (issue 14;
# the draft was deleted once shown, and both gave an empty form).
$res = $ua->get("$base/privat/skjema?kommune=5001&utkast=$draft");
$html = decode_utf8($res->content);
like $html, qr{<textarea[^>]*name="melding"[^>]*>\Q$typed{melding}\E</textarea>},
    'back to the choice and another municipality: the text is there again';
$res = $ua->get("$base/privat/skjema?kommune=4601&utkast=$draft");
$html = decode_utf8($res->content);
like $html, qr{<textarea[^>]*name="melding"[^>]*>\Q$typed{melding}\E</textarea>},
    'a reload of the new form: the text is there again';
# Sent: the kept draft goes (a page from history cannot bring it back).
$ua->max_redirect(0);
$res = post_form($ua, 'privat', csrf => {@base}->{csrf}, skjema => {@base}->{skjema},
                 kommune => '4601', bydel => '00', @typed, handling => 'send');
is $res->code, 303, 'sent from the new municipality\'s form';
is drafts(), $drafts, 'and the kept draft is gone';
$ua->max_redirect(15);
$res = $ua->get("$base/privat/skjema?kommune=4601&utkast=$draft");
unlike decode_utf8($res->content), qr{\Q$typed{melding}\E}, 'so the text does not come back as a form to send again';

# Another district on another protocol version: what its form lacks is
# shown apart, not dropped (a public report from a version-2 district with
# "andre synspunkter", carried to a version-1 district).
$ua->max_redirect(15);
$res = $ua->get("$base/offentlig/skjema?kommune=0301&bydel=01");
%hidden = hidden_of(decode_utf8($res->content));
$ua->max_redirect(0);
my @off = (csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301', bydel => '01');
$res = post_form($ua, 'offentlig', @off, 'melding.melding' => 'Hovedteksten',
                 'melding.andreSynspunkter' => "Barnet sier selv\nat det vil flytte", handling => 'bytt-kommune');
my ($d2) = ($res->header('Location') // '') =~ m{utkast=([0-9a-f-]{36})};
$d2 //= '';
$ua->max_redirect(15);
$res = $ua->get("$base/offentlig/skjema?kommune=0301&bydel=02&utkast=$d2");
$html = decode_utf8($res->content);
like $html, qr{<strong id="mottaker">Oslo, Grünerløkka</strong>}, 'a version-1 district\'s form';
unlike $html, qr{name="melding.andreSynspunkter"}, 'without the version-2 field';
like $html, qr{<dl class="bkm-utenfor">\s*<dt>[^<]+</dt><dd class="bkm-flerlinjet">Barnet sier selv\nat det vil flytte</dd>},
    'what was typed in it is shown apart, to be copied';
like $html, qr{<textarea[^>]*name="melding.melding"[^>]*>Hovedteksten</textarea>}, 'and the rest is in the form';

# A browser holds one draft: a second "Bytt kommune" replaces the first.
$res = $ua->get("$base/privat/skjema?kommune=0301&bydel=01");
%hidden = hidden_of(decode_utf8($res->content));
@base = (csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301', bydel => '01');
$ua->max_redirect(0);
$drafts = drafts();
my @loc = map { post_form($ua, 'privat', @base, @typed, handling => 'bytt-kommune')->header('Location') // '' } 1 .. 2;
my ($d1) = $loc[0] =~ /utkast=([0-9a-f-]{36})/;
my ($d3) = $loc[1] =~ /utkast=([0-9a-f-]{36})/;
is_deeply [map { (db_rows("SELECT COUNT(*) FROM bkm_utkast WHERE id = '$_'"))[0][0] } $d1 // '', $d3 // ''], [0, 1],
    'two changes of municipality in a row keep one draft (the first one could never be opened)';
$ua->max_redirect(15);
$ua->get("$base/privat/skjema?kommune=0301&bydel=01&utkast=" . ($d3 // ''));
$ua->max_redirect(0);
# This browser's own draft is replaced by its next change; the drafts of
# three other browsers are what fill the person's limit.
db_rows("DELETE FROM bkm_utkast WHERE id = '" . ($d3 // '') . "'");

# The person's drafts are full (three other browsers): the form comes
# back with everything and says so; nothing is lost.
for (1 .. 3) {
    my $other = login_ua();
    my $r = login($other, '/privat/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
    my %h = hidden_of(decode_utf8($r->content));
    $other->max_redirect(0);
    post_form($other, 'privat', csrf => $h{csrf}, skjema => $h{skjema}, kommune => '0301', bydel => '01',
              melding => 'x', handling => 'bytt-kommune');
}
$res = post_form($ua, 'privat', @base, @typed, handling => 'bytt-kommune');
is $res->code, 429, 'too many drafts: 429';
$html = decode_utf8($res->content);
like $html, qr{<div class="ds-alert" data-color="warning" role="alert"><p class="ds-paragraph">Vi kan ikkje byte kommune},
    'the form says the municipality could not be changed (in the language chosen)';
like $html, qr{<textarea[^>]*name="melding"[^>]*>\Q$typed{melding}\E</textarea>}, 'with everything typed';

# ---- the language of the pages after the form ----------------------------

# Ola's login says nynorsk (locale nn); the browser says nothing.
my $ola = login_ua();
$res = login($ola, '/privat/skjema?kommune=0301&bydel=01', 'ola', 'substantial');
$html = decode_utf8($res->content);
like $html, qr{<html lang="nn">}, 'a login in nynorsk: the form in nynorsk';
%hidden = hidden_of($html);
$ola->max_redirect(0);
$res = post_form($ola, 'privat', csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301',
                 bydel => '01', @typed, handling => 'se-over');
like decode_utf8($res->content), qr{<html lang="nn">.*Sjå over før du sender}s, 'the check page in nynorsk';
# (Sent the way a form sent before the check page existed: the defect was
# the receipt's language, whichever page sent.)
$res = post_form($ola, 'privat', csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301',
                 bydel => '01', @typed, handling => 'send');
$ola->max_redirect(15);
$res = $ola->get($base . ($res->header('Location') // '/'));
like decode_utf8($res->content), qr{<html lang="nn">}, 'the receipt in nynorsk';
$res = $ola->get("$base/status");
like decode_utf8($res->content), qr{<html lang="nn">}, 'and the status page';

# The login runs out on the check page: "send" keeps everything as a
# sealed draft and goes through a new login back to the form.
my $late = login_ua();
$res = login($late, '/privat/skjema?kommune=0301&bydel=01', 'anne', 'substantial');
%hidden = hidden_of(decode_utf8($res->content));
$late->max_redirect(0);
$res = post_form($late, 'privat', csrf => $hidden{csrf}, skjema => $hidden{skjema}, kommune => '0301',
                 bydel => '01', @typed, handling => 'se-over');
my @late_send = (hidden_of(decode_utf8($res->content)), handling => 'send');
my @gone;
$late->cookie_jar->scan(sub { push @gone, [@_[4, 3, 1]] if $_[1] !~ /^bkm_/ });
$late->cookie_jar->clear(@$_) for @gone;
$before = count();
$res = post_form($late, 'privat', @late_send);
like $res->header('Location') // '', qr{^/privat/skjema\?kommune=0301&bydel=01&utkast=[0-9a-f-]{36}$},
    'the login ran out on the check page: "send" goes through a new login back to the form';
is count(), $before, 'and sends nothing yet';
$late->max_redirect(15);
$res = login($late, $res->header('Location'), 'anne', 'substantial');
like decode_utf8($res->content), qr{<textarea[^>]*name="melding"[^>]*>\Q$typed{melding}\E</textarea>},
    'where everything is again';

my $log = substr(BkmTest::error_log(), -40000);
unlike $log, qr/Åse|Storgata|bekymret|Samtidig/, 'no typed value in the log';

# The drafts this file made stay out of later files' way: a person may
# keep three, and the suite's files log in as the same test persons.
db_rows('DELETE FROM bkm_utkast');
