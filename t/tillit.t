# SPDX-License-Identifier: Apache-2.0
# Trust on every citizen page (issue 14, item 3), without a browser
# (t/pages_browser.t walks the same in Chromium with axe): who runs the
# service, the privacy and accessibility statements and contact, in three
# languages; what a private reporter is told about the family and what
# happens next; the favicon; the phone number of a municipality not in the
# portal; "no municipality matches" only after a search that found none;
# and logout through mod_auth_openidc and the ID-porten stand-in's
# end-session, after which the form asks for a login again.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(login_ua login base_url);
use Encode qw(decode_utf8 encode_utf8);
use URI;
use URI::Escape qw(uri_unescape);
use HTTP::Request::Common ();

plan tests => 99;

my $base = base_url();
my $port = URI->new($base)->port;
my $drift = 'Utviklingsmiljøet for bekymringsmelding';
sub page { my ($res) = @_; return decode_utf8($res->content // '') }
sub t { encode_utf8($_[0]) }

# ---- every citizen page names who runs the service and links the three
my %title = (
    nb => [ 'Personvernerklæring', 'Tilgjengelighetserklæring', 'Kontakt' ],
    nn => [ 'Personvernerklæring', 'Tilgjengeerklæring', 'Kontakt' ],
    en => [ 'Privacy statement', 'Accessibility statement', 'Contact' ],
);
for my $path ('/', '/privat', '/offentlig', '/status', '/privat?kommune=1103',
              '/sendt/00000000-0000-4000-8000-000000000000') {
    my $html = page(GET $path);
    ok $html =~ m{<footer.*<span>\Q$drift\E</span>.*href="/personvern".*href="/tilgjengelighet".*href="/kontakt".*</footer>}s,
        "$path: the footer names the operator and links privacy, accessibility, contact";
}

for my $lang (qw(nb nn en)) {
    my @t = @{ $title{$lang} };
    my %pages = (personvern => $t[0], tilgjengelighet => $t[1], kontakt => $t[2]);
    for my $p (sort keys %pages) {
        my $res = GET "/$p?sprak=$lang";
        my $html = page($res);
        is $res->code, 200, "/$p in $lang: 200";
        like $html, qr{<html lang="$lang">}, "/$p in $lang: in $lang";
        like $html, qr{<h1[^>]*>\Q$pages{$p}\E</h1>}, t("/$p in $lang: \"$pages{$p}\"");
        like $html, qr{\Q$drift\E}, "/$p in $lang: names the operator";
    }
    my $html = page(GET "/tilgjengelighet?sprak=$lang");
    like $html, qr{href="https://www\.uutilsynet\.no/"[^>]*>Tilsynet for universell utforming av IKT},
        "the accessibility statement in $lang names the enforcement body";
    like $html, qr{id="tilgjengelighet-epost" href="mailto:drift\@bekymring\.invalid"},
        "the accessibility statement in $lang says where to report a problem";
    like $html, qr{<ul class="ds-list" id="avvik">\s*<li>.+</li>}s,
        "the accessibility statement in $lang lists known deviations";
    like $html, qr{id="samsvar"}, "and its conformance status";
}
my $kontakt = page(GET '/kontakt?sprak=nb');
like $kontakt, qr{id="kontakt-epost" href="mailto:drift\@bekymring\.invalid"}, 'contact: the e-mail address';
like $kontakt, qr{id="kontakt-telefon" href="tel:\+4722000000">\+47 22 00 00 00<}, 'contact: the phone, as a tel: link';
like page(GET '/personvern?sprak=nb'), qr{ikke lagret og ikke sendt med meldingen},
    'privacy: the national id is neither stored nor sent';
my $res = GET '/personvern';
is $res->header('Cache-Control'), 'no-store', 'the statements: the pages\' headers';
like $res->header('Content-Security-Policy') // '', qr/frame-ancestors 'none'/, 'and CSP';

# ---- a private reporter is told what the family can learn, and what next
for my $lang (qw(nb nn en)) {
    my $html = page(GET "/privat?sprak=$lang");
    like $html, qr{<section class="bkm-melderinfo"}, "/privat in $lang: what the family can learn";
    like $html, qr{(?:§|section) 2-1\)}, "/privat in $lang: and the week the service has (barnevernsloven § 2-1)";
}
unlike page(GET '/offentlig'), qr{bkm-melderinfo}, 'not for a public reporter';

# ---- "no municipality matches" only after a search that found none
my $html = page(GET '/privat');
like $html, qr{<p id="kommune-ingen" class="ds-paragraph" hidden>}, '/privat: the no-match text is hidden above the full list';
$html = page(GET '/privat?sok=osl');
like $html, qr{<p id="kommune-ingen" class="ds-paragraph" hidden>}, 'a search that finds Oslo: hidden';
$html = page(GET '/privat?sok=stavx');
like $html, qr{<p id="kommune-ingen" class="ds-paragraph">}, 'a search that finds nothing: shown';

# ---- a municipality not in the portal: the child welfare service's phone
$html = page(GET '/privat?kommune=1103');
like $html, qr{id="barnevern-telefon".*href="tel:51000000">51 00 00 00</a>}s,
    'Stavanger: the phone number with a tel: link';
like $html, qr{address class="bkm-postadresse"}, 'beside the postal address';

# ---- favicon
$html = page(GET '/');
my ($svg) = $html =~ m{<link rel="icon" href="(/static/favicon(?:\.[0-9a-f]{12})?\.svg)" type="image/svg\+xml">};
ok $svg, 'the SVG favicon is linked';
my ($ico) = $html =~ m{<link rel="icon" href="(/static/favicon(?:\.[0-9a-f]{12})?\.ico)" sizes="32x32">};
ok $ico, 'and the .ico';
unlike $html, qr{href="data:,"}, 'no empty icon';
$res = GET $svg // '/static/favicon.svg';
is $res->code, 200, 'favicon.svg is served';
like $res->header('Content-Type'), qr{image/svg\+xml}, 'as SVG';
$res = GET $ico // '/static/favicon.ico';
is $res->code, 200, 'favicon.ico is served';
is substr($res->content, 0, 4), "\0\0\1\0", 'an icon file';

# ---- no logout link for nobody
unlike page(GET '/'), qr{id="logg-ut"}, 'not logged in: no logout link';

# ---- logout: ID-porten's single logout through mod_auth_openidc
my $ua = login_ua();
$res = login($ua, '/privat/skjema?kommune=0301', 'kari', 'substantial');
is $res->code, 200, 'logged in: the form';
$html = page($res);
my ($href) = $html =~ m{<a class="ds-link bkm-loggut" id="logg-ut" href="([^"]+)">Logg ut</a>};
ok $href, 'the form has a visible "Logg ut"';
$href =~ s/&amp;/&/g if $href;
is lc($href // ''), lc('/oidc/redirect?logout=' . uri_escape_all("http://127.0.0.1:$port/utlogget")),
    'to mod_auth_openidc\'s logout, back to /utlogget';
like page($ua->get("$base/meg")), qr{id="logg-ut"}, 'and on /meg';
# Outside the login the signed login evidence tells that this browser is
# logged in (issue 14, outside attack: after sending, the receipt had no
# way to log out, on a shared computer too).
like page($ua->get("$base/")), qr{id="logg-ut"},
    'and on the landing page, outside the login (the login evidence tells)';
# A private report sent before logging out: its receipt and PDF copy are
# this browser's for an hour -- until it logs out (a shared computer).
my %form;
$form{$1} = $2 while $html =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
my $sent = $ua->request(HTTP::Request::Common::POST("$base/privat/send", [
    %form, handling => 'send',
    'privatMelder.telefonnummer' => '+47 912 34 567',
    'privatBarn.0.personnavn' => 'Åse Ødegård',
    'privatBarn.0.antattAlder' => 'ca. 7 år',
    'privatBarn.0.relasjon' => 'nabo',
    'privatBarn.0.adresse.adresselinje1' => 'Storgata 1',
    'privatBarn.0.adresse.postnummer' => '0155',
    'melding' => 'Jeg er bekymret.' ]));
my ($receipt) = $sent->request->uri =~ m{(/sendt/[0-9a-f-]{36})$};
ok $receipt, 'a private report sent before logging out';
$receipt //= '/sendt/00000000-0000-4000-8000-000000000000';
like page($ua->get("$base$receipt")), qr{<a class="ds-link bkm-loggut" id="logg-ut" href="\Q@{[ $href =~ s/&/&amp;/gr ]}\E">},
    'the receipt has "Logg ut" (right after sending, on a shared computer)';
is $ua->get("$base$receipt/kopi.pdf")->header('Content-Type'), 'application/pdf',
    'its PDF copy, while logged in';
# mod_auth_openidc ends the local session and sends the browser to the
# stand-in's end_session, which asks to confirm (a form) and then comes
# back to /utlogget.
$res = $ua->get("$base$href");
my $op = page($res);
my ($action) = $op =~ /<form[^>]*action="([^"]+)"/;
ok $action, 'ID-porten (the stand-in) asks to confirm the logout';
my %f;
$f{$1} = $2 while $op =~ /<input type="hidden" name="([^"]+)" value="([^"]*)"/g;
$action = URI->new_abs($action =~ s/&amp;/&/gr, $res->request->uri)->as_string if $action;
$res = $ua->post($action // "$base/", [ %f, logout => 'yes' ]);
is $res->request->uri, "$base/utlogget", 'back at /utlogget';
like page($res), qr{<h1[^>]*>Du er logget ut</h1>}, '"Du er logget ut"';
unlike page($res), qr{id="logg-ut"}, 'with no logout link';
is $ua->get("$base$receipt")->code, 404, 'the receipt is gone from this browser';
is $ua->get("$base$receipt/kopi.pdf")->code, 404, 'and so is the PDF copy';
my %left;
$ua->cookie_jar->scan(sub { $left{$_[1]} = 1 if $_[2] ne '' });
ok !$left{bkm_innlogget} && !$left{bkm_csrf} && !$left{bkm_sendt},
    'no login evidence, CSRF or receipt cookie left' or diag join ' ', sort keys %left;
# The session is gone, here and at ID-porten: the form asks for a login,
# and the stand-in shows its login page again (no silent login).
my $noredirect = $ua->clone;
$noredirect->max_redirect(0);
$res = $noredirect->get("$base/privat/skjema?kommune=0301");
is $res->code, 302, 'the form after logout: redirected';
like $res->header('Location') // '', qr{^http://127\.0\.0\.1:\d+/.*authorize|/auth}, 'to ID-porten';
$res = $ua->get("$base/privat/skjema?kommune=0301");
unlike $res->request->uri, qr{^\Q$base\E/privat/skjema}, 'not back on the form without logging in';
like page($res), qr{<form}i, 'the login page again';
is $ua->get("$base/meg")->request->uri =~ m{^\Q$base\E/meg} ? 1 : 0, 0, '/meg too asks for a login';

sub uri_escape_all {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}
