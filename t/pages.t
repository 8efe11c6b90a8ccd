# SPDX-License-Identifier: Apache-2.0
# The reporter's pages without a browser (t/pages_browser.t has the
# browser): languages, the choice of municipality, the forms behind the
# login, and every way a post can be wrong -- each refused clearly with
# nothing stored.  Then what arrives: the report decrypted as the case
# system would, the PDF copy against the PDF that was sealed, escaping of
# markup everywhere, one report for a double submit, and nothing lost when
# the login runs out mid-form.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(login_ua login base_url db_rows openssl_decrypt root spit
               slurp);
use BkmCaseSystem;
use Digest::SHA qw(sha256_hex);
use Encode qw(encode_utf8 decode_utf8);
use HTTP::Request::Common qw(POST);
use URI::Escape qw(uri_escape_utf8);
use JSON::PP;
use LWP::UserAgent;

plan tests => 144;

my $base = base_url();
my $pki = root() . '/t/dev/pki';

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }

# ---- before the login ---------------------------------------------------

my $res = GET '/';
is $res->code, 200, 'landing page';
my $html = decode_utf8($res->content);
like $html, qr/<html lang="nb">/, 'in bokmål by default';
like $html, qr{href="tel:112"}, 'acute danger: call 112';
like $html, qr{href="/privat"}, 'the private choice';
like $html, qr{href="/offentlig"}, 'the public choice';
is $res->header('Cache-Control'), 'no-store', 'no-store';
my $csp = $res->header('Content-Security-Policy');
like $csp, qr/script-src 'self'/, 'CSP: our own scripts only';
unlike $csp, qr/unsafe-inline|unsafe-eval/, 'nothing inline';
like $csp, qr/frame-ancestors 'none'/, 'not framable';
unlike $html, qr/<script>|\son\w+=|style="/, 'no inline script or style';
is $res->header('Referrer-Policy'), 'no-referrer', 'no referrer';

$res = GET '/', 'Accept-Language' => 'nn-NO,nn;q=0.9,en;q=0.5';
like $res->content, qr/<html lang="nn">/, 'Accept-Language nn: nynorsk';
$res = GET '/', 'Accept-Language' => 'de, en-GB;q=0.8';
like $res->content, qr/<html lang="en">/, 'English when it is the best';
$res = GET '/?sprak=en';
like $res->content, qr/<html lang="en">/, 'the switcher: English';
like $res->header('Set-Cookie') // '', qr/bkm_sprak=en/,
    'and the choice is remembered';
$res = GET '/', Cookie => 'bkm_sprak=nn', 'Accept-Language' => 'en';
like $res->content, qr/<html lang="nn">/, 'the choice wins over the browser';
# The cookie is found as ap_cookie_read found it (issue 17 reads it
# without ap_cookie_read's copies): among others and a big one, after
# white space or a comma, in a second Cookie header; sent twice with two
# values it counts as none, twice with one value as that one.
my $big = 'oidc_session=' . ('x' x 8000);
for my $c (["$big; bkm_sprak=nn; other=1", 'among a big cookie'],
           ["a=1,  bkm_sprak=nn", 'after a comma and spaces'],
           ["bkm_sprak=nn; bkm_sprak=nn", 'twice with one value']) {
    like GET('/', Cookie => $c->[0], 'Accept-Language' => 'en')->content,
        qr/<html lang="nn">/, "language cookie $c->[1]";
}
like GET('/', Cookie => 'bkm_sprak=nn; bkm_sprak=en',
         'Accept-Language' => 'nb')->content,
    qr/<html lang="nb">/, 'sent twice with two values: as none';
like GET('/', Cookie => 'xbkm_sprak=nn; bkm_sprakx=nn; bkm_sprak',
         'Accept-Language' => 'en')->content,
    qr/<html lang="en">/, 'only its own name counts';
like GET('/', Cookie => 'bkm_sprak=', 'Accept-Language' => 'en')->content,
    qr/<html lang="en">/, 'an empty value: none';
{
    my $ua = Apache::TestRequest::user_agent(reset => 1);
    my $req = HTTP::Request->new(GET => Apache::TestRequest::resolve_url('/'));
    $req->push_header(Cookie => 'a=1');
    $req->push_header(Cookie => 'bkm_sprak=nn');
    $req->header('Accept-Language' => 'en');
    like $ua->request($req)->content, qr/<html lang="nn">/,
        'in a second Cookie header';
}

$res = GET '/privat';
$html = decode_utf8($res->content);
is $res->code, 200, 'choice of municipality';
my @all = $html =~ /<li data-sok="([^"]+)"/g;
is scalar(@all), 4, 'all municipalities listed without script';
$res = GET '/privat?sok=BERG';
$html = decode_utf8($res->content);
my @found = $html =~ /<li data-sok="([^"]+)"/g;
is_deeply \@found, ['4601 bergen'], 'the search filters, case-insensitively';
$res = GET '/privat?sok=%FF%FE';
is $res->code, 200, 'a search that is not UTF-8 is no error';
unlike $res->content, qr/<li data-sok/, 'and matches nothing';
$res = GET '/privat?kommune=0301';
$html = decode_utf8($res->content);
like $html, qr{<input[^>]*name="bydel"[^>]*value="01"[^>]*checked}, 'Oslo: the default district preselected';
like $html, qr{action="/privat/skjema"}, 'goes on to the form';
$res = GET '/offentlig?kommune=1103';
$html = decode_utf8($res->content);
like $html, qr{<address class="bkm-postadresse">}, 'a municipality not in the portal: its postal address';
unlike $html, qr{/offentlig/skjema}, 'and no way to the form';
$res = GET '/privat?kommune=9999';
like $res->content, qr/role="alert"/, 'an unknown municipality is said so';

# ---- the form, behind the login -----------------------------------------

my $ua = login_ua();
$ua->max_redirect(0);
$res = $ua->get("$base/privat/skjema?kommune=0301&bydel=01");
is $res->code, 302, 'the form needs a login';
$ua = login_ua();
$res = login($ua, '/privat/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
is $res->code, 200, 'logged in, back at the form';
is $res->request->uri->path_query, '/privat/skjema?kommune=0301&bydel=01',
    'with the municipality and district chosen before the login';
$html = decode_utf8($res->content);
like $html, qr{<dd id="innlogget-navn">Kari Nordmann</dd>}, 'the name from the login, shown';
unlike $html, qr/name="privatMelder.personnavn"/, 'and not editable';
unlike $html, qr/01017012345/, 'no national id in the page';
is $res->header('Cache-Control'), 'no-store', 'the form: no-store';
my $noname = login_ua();
$res = login($noname, '/privat/skjema?kommune=4601', 'noname', 'substantial');
like $res->content, qr/name="privatMelder.personnavn"/, 'no name from the login: the reporter types it';
$res = login(login_ua(), '/privat/skjema?kommune=4601', 'kari', 'low');
is $res->code, 403, 'level low: refused';

sub fields_of {
    my ($page) = @_;
    my %f;
    $f{$1} = $2 while $page =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
    return %f;
}
my %hidden = fields_of($html);
like $hidden{csrf}, qr/^[0-9a-f]{64}$/, 'a CSRF token';
like $hidden{skjema}, qr/^[0-9a-f]{64}$/, 'a one-time form token';

sub post_form {
    my ($u, $type, %f) = @_;
    my $req = POST "$base/$type/send", [%f];
    return $u->request($req);
}

my %privat = (
    %hidden, handling => 'send',
    'privatMelder.telefonnummer' => '+47 912 34 567',
    'privatBarn.0.personnavn' => 'Åse Ødegård',
    'privatBarn.0.antattAlder' => 'ca. 7 år',
    'privatBarn.0.relasjon' => 'nabo',
    'privatBarn.0.adresse.adresselinje1' => 'Storgata 1',
    'privatBarn.0.adresse.postnummer' => '0155',
    'melding' => "Jeg er bekymret.\nAndre linje.",
);

# Every way a post can be wrong: refused, nothing stored.
my $before = count();
my %nocsrf = %privat;
delete $nocsrf{csrf};
$res = post_form($ua, 'privat', %nocsrf);
is $res->code, 403, 'no CSRF token: 403';
unlike decode_utf8($res->content), qr/Åse Ødegård|name="skjema"/, 'and nothing posted is shown again';
$res = post_form($ua, 'privat', %privat, csrf => 'ab' x 32);
is $res->code, 403, 'a wrong CSRF token: 403';
my $other = login_ua();
$other->max_redirect(0);
$other->cookie_jar->set_cookie(0, 'bkm_csrf', 'cd' x 32, '/', '127.0.0.1');
$res = post_form($other, 'privat', %privat, csrf => 'cd' x 32);
is $res->code, 403, 'a planted cookie and the same value as token, no login: 403';
$res = $ua->request(POST "$base/privat/send", Content_Type => 'form-data',
                    Content => [%privat]);
is $res->code, 415, 'multipart instead of a form: 415';
$res = $ua->request(HTTP::Request->new(POST => "$base/privat/send",
    ['Content-Type' => 'application/json'], '{"melding":"x"}'));
is $res->code, 415, 'JSON to the page: 415';
$res = post_form($ua, 'privat', %privat, melding => 'x' x (1024 * 1024 + 1));
is $res->code, 413, 'a post over 1 MB: 413';
like decode_utf8($res->content), qr/<html lang="nb">/, 'answered as a page';

sub raw_post {
    my ($body) = @_;
    my $req = HTTP::Request->new(POST => "$base/privat/send",
        ['Content-Type' => 'application/x-www-form-urlencoded'], $body);
    return $ua->request($req);
}
my $ok_body = join '&', map { uri_escape_utf8($_) . '=' . uri_escape_utf8($privat{$_}) }
                       sort keys %privat;
$res = raw_post($ok_body . '&privatBarn.0.relasjon=x');
is $res->code, 400, 'a field twice: 400';
$res = raw_post($ok_body =~ s/melding=[^&]*/melding=%FF%FEabc/r);
is $res->code, 400, 'not UTF-8: 400';
$res = raw_post($ok_body =~ s/melding=[^&]*/melding=a%C0%AFb/r);
is $res->code, 400, 'an overlong UTF-8 form: 400';
# Text pasted from a word processor or a PDF brings control characters
# (Word's line break is VT): the check page comes with the text without
# them, never a 400 that loses everything typed (issue 14).
$res = raw_post($ok_body =~ s/melding=[^&]*/melding=a%01b%0Bc/r =~ s/handling=send/handling=se-over/r);
is $res->code, 200, 'a pasted control character: the check page, not a dead end';
like decode_utf8($res->content), qr/name="melding" value="ab&#10;c"|name="melding" value="ab\nc"/,
    'with the text kept, the control character left out and VT as a line break';
$res = raw_post($ok_body =~ s/melding=/mel%01ding=/r);
is $res->code, 400, 'a control character in a field\'s name: 400';
$res = raw_post($ok_body =~ s/melding=[^&]*/melding=a%2/r);
is $res->code, 400, 'a broken percent-escape: 400';
$res = raw_post($ok_body . '&privatBarn.0.fnr=01017012345');
is $res->code, 400, 'a field the private form does not have: 400';
$res = raw_post($ok_body . '&privatBarn.10.personnavn=x');
is $res->code, 400, 'more children than the form takes: 400';
$res = raw_post($ok_body =~ s/kommune=0301/kommune=9999/r);
is $res->code, 400, 'an unknown municipality: 400';
$res = raw_post($ok_body =~ s/kommune=0301/kommune=1103/r);
is $res->code, 400, 'a municipality not in the portal: 400';
$res = raw_post($ok_body =~ s/skjema=[0-9a-f]+/skjema=x/r);
is $res->code, 400, 'no one-time token: 400';
unlike error_log_tail(), qr/Åse|Storgata|bekymret/, 'no typed value in the log';
is count(), $before, 'none of these stored anything';

sub error_log_tail {
    my $log = BkmTest::error_log();
    return substr($log, -20000);
}

# Validation: the form again with errors in the page's language.
$res = post_form($ua, 'privat', %privat, melding => '', 'privatBarn.0.adresse.adresselinje1' => '');
is $res->code, 422, 'invalid: shown again (422)';
$html = decode_utf8($res->content);
like $html, qr{<div class="ds-error-summary"[^>]*autofocus}, 'an error summary, focused';
like $html, qr{<a class="ds-link" href="#f-melding">Skriv hva du er bekymret for\.</a>}, 'linked to the field, in bokmål, saying what to do';
like $html, qr{<a class="ds-link" href="#f-privatBarn-0-adresse-adresselinje1">}, 'the child\'s address too';
like $html, qr{<textarea[^>]*id="f-melding"[^>]*aria-invalid="true"[^>]*aria-describedby|<textarea[^>]*id="f-melding"[^>]*aria-describedby="[^"]*f-melding-feil"}, 'the field is marked and described by its error';
like $html, qr{id="f-melding-feil">Skriv hva du er bekymret for\.}, 'the same error next to the field';
like $html, qr{value="\+47 912 34 567"}, 'every value typed is kept';
is count(), $before, 'nothing stored';
$res = post_form($ua, 'privat', %privat, melding => '', handling => 'sprak:en');
like $res->content, qr/<html lang="en">/, 'a language button: the same form in English';
like decode_utf8($res->content), qr/value="Åse Ødegård"/, 'with what was typed';
like $res->header('Set-Cookie') // '', qr/bkm_sprak=en/, 'and the language remembered';
$res = post_form($ua, 'privat', %privat, melding => '', handling => 'sprak:nb');

# Add and remove children without script.
$res = post_form($ua, 'privat', %privat, handling => 'legg-til:privatBarn');
$html = decode_utf8($res->content);
is $res->code, 200, 'add a child';
like $html, qr/name="privatBarn.1.personnavn"/, 'a second child block';
$res = post_form($ua, 'privat', %privat, 'privatBarn.1.personnavn' => 'Per',
                 'privatBarn.1.adresse.adresselinje1' => 'Vei 2',
                 handling => 'fjern:privatBarn:0');
$html = decode_utf8($res->content);
like $html, qr/name="privatBarn.0.personnavn" value="Per"/, 'removing the first moves the second up';
unlike $html, qr/privatBarn\.1\.personnavn|Åse Ødegård/, 'and the first is gone';
# Focus lands on the child that took its place, not on the page's start
# with nothing said (issue 14, a screen reader's user).
like $html, qr{<input[^>]*id="f-privatBarn-0-personnavn"[^>]*autofocus}, 'the child that moved up is focused';
$res = post_form($ua, 'privat', %privat, 'privatBarn.1.personnavn' => 'Per',
                 'privatBarn.2.personnavn' => 'Pål', handling => 'fjern:privatBarn:2');
like decode_utf8($res->content), qr{<input[^>]*id="f-privatBarn-1-personnavn"[^>]*autofocus},
    'removing the last child: the one before it is focused';
is count(), $before, 'none of this stored anything';

# Send, twice with the same token (a double click): one report.
$ua->max_redirect(0);
$res = post_form($ua, 'privat', %privat);
is $res->code, 303, 'sent: 303';
my ($loc) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
ok $loc, 'to the receipt';
$res = post_form($ua, 'privat', %privat);
is $res->code, 303, 'the same form again: 303';
is $res->header('Location'), "/sendt/$loc", 'to the same receipt';
is count(), $before + 1, 'one report stored';
my ($ref) = db_rows("SELECT referanse, kilde, meldingstype FROM bkm_melding WHERE id = '$loc'");
is $ref->[1], 'skjema', 'from the form';
is $ref->[2], 'no.ks.fiks.bekymringsmelding.privat.v2', 'private, V2 (0301/01)';

$res = $ua->get("$base/sendt/$loc");
is $res->code, 200, 'the receipt';
$html = decode_utf8($res->content);
like $html, qr{<dd class="bkm-referanse" id="referanse">\Q$ref->[0]\E</dd>}, 'with the reference number';
like $html, qr{<dd id="mottaker">Oslo, Gamle Oslo</dd>}, 'and where it went';
# issue 14: a private reporter gets the PDF copy too, sealed as a public
# reporter's is (it was public reporters only).
like $html, qr{href="/sendt/$loc/kopi\.pdf"}, 'a private reporter gets a PDF copy too';
{
    my $k = $ua->get("$base/sendt/$loc/kopi.pdf");
    is $k->header('Content-Type'), 'application/pdf', 'the private copy is a PDF';
    my $print_sql = $ENV{TEST_PGSQL}
        ? "SELECT encode(innhold, 'hex') FROM bkm_chiffer WHERE melding_id = '$loc' AND mottaker = 'print'"
        : "SELECT hex(innhold) FROM bkm_chiffer WHERE melding_id = '$loc' AND mottaker = 'print'";
    my $sent = openssl_decrypt(pack('H*', lc((db_rows($print_sql))[0][0])),
                               "$pki/print.key", "$pki/print.pem");
    is sha256_hex($k->content), sha256_hex($sent // ''), 'exactly the PDF that was sealed';
    my ($hex) = db_rows($ENV{TEST_PGSQL}
        ? "SELECT encode(innhold, 'hex') FROM bkm_kopi WHERE melding_id = '$loc'"
        : "SELECT hex(innhold) FROM bkm_kopi WHERE melding_id = '$loc'");
    unlike pack('H*', lc($hex->[0] // '')), qr/%PDF|Ødegård|bekymret/, 'and stored sealed, not readable';
}
is login_ua()->get("$base/sendt/$loc")->code, 404, 'another browser: 404';
my $thief = login_ua();
$thief->cookie_jar->set_cookie(0, 'bkm_sendt', "$loc." . ('00' x 32), '/sendt', '127.0.0.1');
is $thief->get("$base/sendt/$loc")->code, 404, 'the id with another key: 404';

# What the case system gets.
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
                            key => "$pki/0301-01-fagsystem.key",
                            cert => "$pki/0301-01-fagsystem.pem");
sub report_for {
    my ($system, $id) = @_;
    my (undef, $list) = $system->list();
    my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
    return undef unless $m;
    my $r = $system->fetch($m->{meldingId});
    my $zip = $system->open_message($r->content);
    return $zip ? $system->report_of($zip) : undef;
}
my $report = report_for($cs, $loc);
ok $report, 'the case system fetches and decrypts it';
is $report->{privatMelder}{personnavn}, 'Kari Nordmann', 'the reporter named by the login';
is $report->{privatMelder}{telefonnummer}, '+47 912 34 567', 'the phone number as typed';
is $report->{privatBarn}[0]{personnavn}, 'Åse Ødegård', 'the child, æøå intact';
is $report->{privatBarn}[0]{adresse}{poststed}, 'OSLO', 'the town from the postcode (no script)';
is $report->{melding}, "Jeg er bekymret.\nAndre linje.", 'the concern, line breaks kept';
is $report->{bydelsnavn}, 'Gamle Oslo', 'routed to the district chosen';
ok !grep({ /01017012345/ } values %{ $report->{privatMelder} }), 'no national id of the reporter';

# The public form: V2 asks for other views, V1 does not.
$res = $ua->get("$base/offentlig/skjema?kommune=0301&bydel=01");
like $res->content, qr/name="melding.andreSynspunkter"/, 'V2 district: other views asked';
$res = $ua->get("$base/offentlig/skjema?kommune=0301&bydel=02");
unlike $res->content, qr/andreSynspunkter/, 'V1 district: not asked';
%hidden = fields_of(decode_utf8($res->content));
$res = post_form($ua, 'offentlig', %hidden, handling => 'send',
                 'melding.andreSynspunkter' => 'x');
is $res->code, 400, 'and refused if posted';

# Markup in every text field: escaped in the page, literal in the report
# and its PDF.
my $xss = q{<script>alert("x")</script><img src=x onerror=alert(1)>'&};
$res = $ua->get("$base/offentlig/skjema?kommune=0301&bydel=01");
$html = decode_utf8($res->content);
%hidden = fields_of($html);
my @text_fields = $html =~ /<(?:input class="ds-input" type="(?:text|tel|email)"|textarea class="ds-input")[^>]*name="([^"]+)"/g;
my %offentlig = (%hidden, map { $_ => $xss } @text_fields);
$res = post_form($ua, 'offentlig', %offentlig, handling => 'oppdater');
$html = decode_utf8($res->content);
cmp_ok scalar(@text_fields), '>=', 20, 'every text field of the public form: ' . scalar(@text_fields);
unlike $html, qr/<script>alert|<img src=x/, 'markup never reaches the page raw';
my $escaped = () = $html =~ /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;&#39;&amp;/g;
is $escaped, scalar(@text_fields), 'each field shows it escaped';
%offentlig = (%offentlig, handling => 'send',
    'offentligMelder.telefonnummer' => '22 33 44 55',
    'offentligMelder.epost' => 'kari@skole.kommune.no',
    'offentligBarn.0.fnr' => '', 'offentligBarn.0.orientert' => 'nei',
    'foresatte.0.orientert' => 'ja',
    # the fields with a format of their own (t/validering.t) left empty
    'offentligMelder.virksomhet.orgnr' => '',
    'offentligMelder.virksomhet.adresse.postnummer' => '',
    'offentligBarn.0.adresse.postnummer' => '',
    'offentligBarn.0.telefonnummer' => '', 'foresatte.0.telefonnummer' => '');
$res = post_form($ua, 'offentlig', %offentlig);
is $res->code, 303, 'the public report with markup everywhere is sent';
my ($pub) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
$report = report_for($cs, $pub);
is $report->{melding}{melding}, $xss, 'the markup arrives literally';
is $report->{offentligBarn}[0]{orientert}, JSON::PP::false, 'yes/no answers as booleans';
is $report->{foresatte}[0]{orientert}, JSON::PP::true, 'for the guardian too';

# The PDF copy is exactly the PDF that was sealed (for print), and the
# server cannot read it without the browser's key.
$res = $ua->get("$base/sendt/$pub");
like $res->content, qr{href="/sendt/$pub/kopi\.pdf"}, 'a public reporter gets a PDF copy';
$res = $ua->get("$base/sendt/$pub/kopi.pdf");
is $res->header('Content-Type'), 'application/pdf', 'a PDF';
is $res->header('Cache-Control'), 'no-store', 'not cached';
like $res->header('Content-Disposition') // '', qr/attachment/, 'to download';
my $hex_sql = $ENV{TEST_PGSQL}
    ? "SELECT encode(innhold, 'hex') FROM bkm_chiffer WHERE melding_id = '$pub' AND mottaker = 'print'"
    : "SELECT hex(innhold) FROM bkm_chiffer WHERE melding_id = '$pub' AND mottaker = 'print'";
my $sealed = pack 'H*', lc((db_rows($hex_sql))[0][0]);
my $sent_pdf = openssl_decrypt($sealed, "$pki/print.key", "$pki/print.pem");
is sha256_hex($res->content), sha256_hex($sent_pdf // ''), 'the copy is exactly the PDF that was sealed';
my $pdf = root() . '/t/dev/work/kopi.pdf';
spit($pdf, $res->content);
my $text = decode_utf8(`pdftotext -q $pdf - 2>/dev/null`);
like $text, qr/<script>alert\("x"\)<\/script>/, 'markup in the PDF is text, not markup';
my ($kopi_hex) = db_rows($ENV{TEST_PGSQL}
    ? "SELECT encode(innhold, 'hex') FROM bkm_kopi WHERE melding_id = '$pub'"
    : "SELECT hex(innhold) FROM bkm_kopi WHERE melding_id = '$pub'");
my $stored = pack 'H*', lc($kopi_hex->[0]);
unlike $stored, qr/%PDF|script/, 'the stored copy is no readable PDF';
is $thief->get("$base/sendt/$pub/kopi.pdf")->code, 404, 'nor can anyone else fetch it';

# The login runs out while someone writes: nothing is lost.
$res = $ua->get("$base/privat/skjema?kommune=4601");
%hidden = fields_of(decode_utf8($res->content));
# Both logins end: the portal's session and ID-porten's own.  Only our
# cookies (the CSRF token, the language) stay in the browser.
my @gone;
$ua->cookie_jar->scan(sub { push @gone, [@_[4, 3, 1]] if $_[1] !~ /^bkm_/ });
$ua->cookie_jar->clear(@$_) for @gone;
$ua->max_redirect(0);
my %long = (%hidden, handling => 'send',
    'privatBarn.0.personnavn' => 'Lise', 'privatBarn.0.adresse.adresselinje1' => 'Bryggen 3',
    'melding' => "Skrevet i 45 minutter.\n" . ('Detaljer. ' x 500));
$before = count();
$res = post_form($ua, 'privat', %long);
is $res->code, 303, 'a post after the login ran out';
like $res->header('Location') // '', qr{^/privat/skjema\?kommune=4601&bydel=00&utkast=[0-9a-f-]{36}$},
    'goes back to the form through a new login';
my ($draft) = $res->header('Location') =~ /utkast=([0-9a-f-]+)/;
my ($row) = db_rows("SELECT COUNT(*) FROM bkm_utkast WHERE id = '$draft'");
is $row->[0], 1, 'the draft is kept';
($kopi_hex) = db_rows($ENV{TEST_PGSQL}
    ? "SELECT encode(innhold, 'hex') FROM bkm_utkast WHERE id = '$draft'"
    : "SELECT hex(innhold) FROM bkm_utkast WHERE id = '$draft'");
unlike pack('H*', lc $kopi_hex->[0]), qr/Lise|Bryggen|Detaljer/, 'sealed, not readable';
$ua->max_redirect(15);
$res = login($ua, $res->header('Location'), 'kari', 'substantial');
is $res->code, 200, 'after the new login';
$html = decode_utf8($res->content);
like $html, qr/alt du skrev er tatt vare på/, 'the person is told their text was kept';
like $html, qr/value="Lise"/, 'the child is there';
like $html, qr/Skrevet i 45 minutter\.\n(Detaljer\. ){500}</, 'and all of the long text';
is count(), $before, 'nothing was sent without the person';
($row) = db_rows("SELECT COUNT(*) FROM bkm_utkast WHERE id = '$draft'");
is $row->[0], 0, 'the draft is gone once shown';
%hidden = fields_of($html);
is $hidden{skjema}, $long{skjema}, 'the same one-time token';
$ua->max_redirect(0);
$res = post_form($ua, 'privat', %long, %hidden);
is $res->code, 303, 'sent after the new login';
is count(), $before + 1, 'once';

# An hour on, the escalation pass deletes the receipt copies and drafts
# (sealed under keys only the browsers had), and the receipt is gone.
my $later = sprintf('%.0f', (time() + 2 * 3600) * 1e6);
$res = LWP::UserAgent->new->post("$base/bekymring-drift/eskalering",
                                 'Bkm-Test-Klokke' => $later);
is $res->code, 200, 'an escalation pass two hours later';
cmp_ok((JSON::PP->new->decode($res->content))->{utlopt}, '>=', 2,
       'deletes expired receipt copies and drafts');
($row) = db_rows("SELECT COUNT(*) FROM bkm_kopi WHERE melding_id IN ('$loc', '$pub')");
is $row->[0], 0, 'the copies are gone';
is $ua->get("$base/sendt/$pub")->code, 404, 'and so is the receipt';
($row) = db_rows("SELECT COUNT(*) FROM bkm_melding WHERE id IN ('$loc', '$pub')");
is $row->[0], 2, 'the reports themselves stay';
