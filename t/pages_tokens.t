# SPDX-License-Identifier: Apache-2.0
# The attacks of the security review on the reporter's pages, each played
# as the attacker did (issue 11): the takeover of another person's receipt
# and PDF copy through a form token the attacker chose or saw, CSRF with a
# planted cookie, anonymous posts that filled the database with drafts,
# cookies and HSTS behind TLS, secrets readable by every user, and field
# names of the sender's in the log.  Each must fail, change nothing and
# reveal nothing.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(login_ua login base_url db_rows root run_httpd_t start_node
               stop_node);
use Encode qw(decode_utf8);
use HTTP::Request::Common qw(POST);
use LWP::UserAgent;

plan tests => 56;

my $base = base_url();
my $dev = root() . '/t/dev';

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }
sub drafts { (db_rows('SELECT COUNT(*) FROM bkm_utkast'))[0][0] }
sub fields_of {
    my ($page) = @_;
    my %f;
    $f{$1} = $2 while $page =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
    return %f;
}
sub form_of {
    my ($ua, $type, $query) = @_;
    my $res = $ua->get("$base/$type/skjema?$query");
    return fields_of(decode_utf8($res->content));
}
sub post_form {
    my ($ua, $type, %f) = @_;
    return $ua->request(POST "$base/$type/send", [%f]);
}
# A public report filled in on the person's own form page: every text
# field, and the answers that are not text (as t/pages.t does).
sub offentlig_of {
    my ($ua, $text) = @_;
    my $html = decode_utf8($ua->get("$base/offentlig/skjema?kommune=0301&bydel=01")->content);
    my @text = $html =~ /<(?:input class="ds-input" type="(?:text|tel|email)"|textarea class="ds-input")[^>]*name="([^"]+)"/g;
    return (fields_of($html), (map { $_ => $text } @text), handling => 'send',
            'offentligMelder.telefonnummer' => '22 33 44 55',
            'offentligMelder.epost' => 'a@skole.kommune.no',
            'offentligBarn.0.fnr' => '', 'offentligBarn.0.orientert' => 'nei',
            'foresatte.0.orientert' => 'ja',
            # the fields with a format of their own left empty
            'offentligMelder.virksomhet.orgnr' => '',
            'offentligMelder.virksomhet.adresse.postnummer' => '',
            'offentligBarn.0.adresse.postnummer' => '',
            'offentligBarn.0.telefonnummer' => '',
            'foresatte.0.telefonnummer' => '');
}

# ---- the takeover: a token chosen by the attacker --------------------------

# 1. A cross-site post without cookies, with the attacker's token X.
my $x = 'ab' x 32;
my $anon = LWP::UserAgent->new(max_redirect => 0);
my $res = $anon->request(POST "$base/offentlig/send",
    [skjema => $x, kommune => '0301', bydel => '01', handling => 'oppdater',
     csrf => '00']);
is $res->code, 403, 'a cross-site post: 403';
my $page = decode_utf8($res->content);
unlike $page, qr/\Q$x\E/, 'the posted token is not shown again';
unlike $page, qr/name="skjema"|<form[^>]*send/, 'and no form to send';
unlike join("\n", $res->header('Set-Cookie')), qr/bkm_csrf/,
    'and no CSRF cookie handed out';

# 2. The victim's own form carries a token the server issued to her only.
my $victim = login_ua();
login($victim, '/offentlig/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
my %v = offentlig_of($victim, 'Victim concern text');
like $v{skjema}, qr/^[0-9a-f]{64}$/, "the victim's form token";
isnt $v{skjema}, $x, 'not the one the attacker chose';
$victim->max_redirect(0);
$res = post_form($victim, 'offentlig', %v, skjema => $x);
is $res->code, 403, "a token the server never issued (the attacker's): refused";
my $before = count();
$res = post_form($victim, 'offentlig', %v);
is $res->code, 303, 'the victim sends her report';
my ($id) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
ok $id, 'to her receipt';
my ($victim_cookie) = join("\n", $res->header('Set-Cookie')) =~ /bkm_sendt=([^;]+)/;
ok $victim_cookie, 'with her receipt cookie';
is count(), $before + 1, 'stored';
# The same token with another report (a duplicated tab, a page from the
# browser's history): a report of its own, never the first one's receipt.
$res = post_form($victim, 'offentlig', %v, 'melding.melding' => 'Another child');
is $res->code, 303, 'another report under the same token';
my ($id2) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
ok $id2 && $id2 ne $id, 'is a report of its own';
is count(), $before + 2, 'and stored';
$res = post_form($victim, 'offentlig', %v);
is $res->header('Location'), "/sendt/$id", 'the first one again (a reload): its receipt';
is count(), $before + 2, 'stored once';
$before++;

# 3. The attacker saw her token (it is in her page) and posts his own
#    report with it, logged in as himself, with his own valid CSRF token.
my $attacker = login_ua();
login($attacker, '/offentlig/skjema?kommune=0301&bydel=01', 'ola', 'substantial');
my %a = offentlig_of($attacker, 'Attacker text');
$attacker->max_redirect(0);
$res = post_form($attacker, 'offentlig', %a, skjema => $v{skjema});
is $res->code, 403, "her token with another person: refused";
unlike $res->header('Location') // '', qr/\Q$id\E/, 'no way to her receipt';
unlike join("\n", $res->header('Set-Cookie')), qr/bkm_sendt/,
    'no receipt cookie';
unlike decode_utf8($res->content), qr/Victim concern|\Q$id\E/,
    'nothing of hers in the answer';
is count(), $before + 1, 'and nothing stored';

# 4. Her receipt and copy stay hers: the attacker's own report with his own
#    token gets its own id and a cookie that opens nothing of hers.
$res = post_form($attacker, 'offentlig', %a);
is $res->code, 303, "the attacker's own report is his";
my ($aid) = ($res->header('Location') // '') =~ m{^/sendt/([0-9a-f-]{36})$};
isnt $aid, $id, 'with another id';
my ($attacker_cookie) = join("\n", $res->header('Set-Cookie')) =~ /bkm_sendt=([^;]+)/;
isnt $attacker_cookie, $victim_cookie, 'and another receipt key';
my $thief = LWP::UserAgent->new;
(my $forged = $attacker_cookie) =~ s/^[^.]+/$id/;
$res = $thief->get("$base/sendt/$id/kopi.pdf", Cookie => "bkm_sendt=$forged");
is $res->code, 404, "her PDF copy with the attacker's key: 404";
$res = $thief->get("$base/sendt/$id/kopi.pdf", Cookie => "bkm_sendt=$victim_cookie");
is $res->code, 200, 'with her own key it opens (the test can fail)';

# ---- CSRF: a planted cookie and a field to match ---------------------------

# The attacker's own pair (his cookie and his token) planted in the victim's
# browser: the token is bound to the attacker's login, not hers.
my ($acookie) = map { $_->[2] } grep { $_->[1] eq 'bkm_csrf' }
    do { my @c; $attacker->cookie_jar->scan(sub { push @c, [@_] }); @c };
ok $acookie, "the attacker's CSRF cookie";
my $planted = login_ua();
login($planted, '/offentlig/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
$planted->cookie_jar->set_cookie(0, 'bkm_csrf', $acookie, '/', '127.0.0.1');
$planted->max_redirect(0);
my %p = offentlig_of($planted, 'Planted');
$res = post_form($planted, 'offentlig', %p, csrf => $a{csrf});
is $res->code, 403, "a planted cookie with the attacker's matching token: 403";
$res = post_form($planted, 'offentlig', %p, csrf => $acookie);
is $res->code, 403, 'a planted cookie with the same value as token: 403';
is count(), $before + 2, 'nothing stored';
# The same for an administrator's post (the review executed an action):
# the national operator's browser with a planted cookie.
my $operator = login_ua();
login($operator, '/kommune', 'per', 'substantial');
$operator->cookie_jar->set_cookie(0, 'bkm_csrf', $acookie, '/', '127.0.0.1');
$res = $operator->request(POST "$base/kommune/roller",
    [csrf => $acookie, fodselsnummer => '04041155555', navn => 'X',
     rolle => 'operator', begrunnelse => 'planted']);
is $res->code, 403, 'an administration post with a planted cookie: 403';

# ---- drafts only for a browser with login evidence, and bounded ------------

my $d0 = drafts();
my $stranger = LWP::UserAgent->new(max_redirect => 0);
$stranger->cookie_jar({});
$stranger->cookie_jar->set_cookie(0, 'bkm_csrf', 'cd' x 32, '/', '127.0.0.1');
for (1 .. 3) {
    $res = $stranger->request(POST "$base/privat/send",
        [skjema => 'cd' x 32, csrf => 'cd' x 32, kommune => '4601',
         bydel => '00', handling => 'send', melding => 'x' x 1000]);
}
is $res->code, 403, 'an anonymous post without login evidence: 403';
is drafts(), $d0, 'and no draft kept';

# A person whose login ran out: her login evidence lets her keep a draft.
my $writer = login_ua();
login($writer, '/privat/skjema?kommune=4601', 'anne', 'substantial');
my %w = form_of($writer, 'privat', 'kommune=4601');
my @gone;
$writer->cookie_jar->scan(sub { push @gone, [@_[4, 3, 1]] if $_[1] !~ /^bkm_/ });
$writer->cookie_jar->clear(@$_) for @gone;
$writer->max_redirect(0);
my %draft = (%w, handling => 'send', melding => 'Utkast.',
             'privatBarn.0.personnavn' => 'Lise');
my @codes = map { post_form($writer, 'privat', %draft)->code } 1 .. 3;
is_deeply \@codes, [303, 303, 303], 'three drafts kept after the login ran out';
is drafts(), $d0 + 3, 'in the database, sealed';
$res = post_form($writer, 'privat', %draft);
is $res->code, 429, 'a fourth of the same person: 429';
ok $res->header('Retry-After'), 'with Retry-After';
is drafts(), $d0 + 3, 'not kept';
$res = post_form($writer, 'privat', %draft, melding => 'y' x (200 * 1024),
                'privatBarn.0.adresse.adresselinje1' => 'z' x (100 * 1024));
is $res->code, 413, 'a post too large to keep as a draft: 413';
like decode_utf8($res->content), qr/<html lang="nb">/, 'answered as a page';
# The country's limit: a thousand live drafts in all.
my $until = sprintf('%.0f', (time() + 3000) * 1e6);
my $fill = $ENV{TEST_PGSQL}
    ? "INSERT INTO bkm_utkast (id, innhold, utloper, eier) SELECT 'fyll-' || g, 'x'::bytea, $until, 'x' FROM generate_series(1, 1000) g"
    : "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000) INSERT INTO bkm_utkast (id, innhold, utloper, eier) SELECT 'fyll-' || n, x'78', $until, 'x' FROM g";
db_rows($fill);
my $other = login_ua();
login($other, '/privat/skjema?kommune=4601', 'per', 'substantial');
my %o = form_of($other, 'privat', 'kommune=4601');
@gone = ();
$other->cookie_jar->scan(sub { push @gone, [@_[4, 3, 1]] if $_[1] !~ /^bkm_/ });
$other->cookie_jar->clear(@$_) for @gone;
$other->max_redirect(0);
$res = post_form($other, 'privat', %o, handling => 'send', melding => 'x');
is $res->code, 429, 'a thousand drafts in all: anyone else gets 429 too';
db_rows("DELETE FROM bkm_utkast WHERE id LIKE 'fyll-%'");
$res = post_form($other, 'privat', %o, handling => 'send', melding => 'x');
is $res->code, 303, 'and a draft again once there is room';
my ($other_draft) = ($res->header('Location') // '') =~ /utkast=([0-9a-f-]+)/;
# A draft is given back only to the person who wrote it.
my ($cookie) = join("\n", $res->header('Set-Cookie')) =~ /bkm_utkast=([^;]+)/;
my $someone = login_ua();
login($someone, '/privat/skjema?kommune=4601', 'kari', 'substantial');
$res = $someone->get("$base/privat/skjema?kommune=4601&bydel=00&utkast=$other_draft",
                     Cookie => "bkm_utkast=$cookie");
is $res->code, 200, "another person with the draft's cookie: the form";
unlike decode_utf8($res->content), qr/alt du skrev er tatt vare på/,
    'but empty: the draft is not theirs';

# ---- field names of the sender's are not logged ---------------------------

$res = post_form($victim, 'offentlig', %v, 'zzAngriperFelt<script>' => 'x');
is $res->code, 400, 'an unknown field: 400';
unlike BkmTest::error_log(), qr/zzAngriperFelt/, 'its name is not in the log';

# ---- behind TLS: __Host- cookies, Secure, HSTS -----------------------------

unlike $victim->get("$base/")->header('Strict-Transport-Security') // '',
    qr/max-age/, 'plain http without BekymringHttps: no HSTS';
my $port = $ENV{BKM_BROWSER_NODE_PORT};
my $node = start_node('https-node', $port, 'BekymringHttps On');
my $tls = login_ua();
$res = $tls->get("$node/?sprak=en");
like $res->header('Strict-Transport-Security') // '', qr/^max-age=\d{7,}/,
    'BekymringHttps On (a proxy ends TLS): HSTS';
like join("\n", $res->header('Set-Cookie')), qr/__Host-bkm_sprak=en;[^\n]*Secure/,
    'and cookies for the whole site are Secure and __Host-';
$res = login($tls, "$node/privat/skjema?kommune=4601", 'kari', 'substantial');
my $set = join("\n", $res->header('Set-Cookie'), map { $_->header('Set-Cookie') // () } $res->redirects);
my ($hc) = $set =~ /__Host-bkm_csrf=([0-9a-f]{64});[^\n]*Secure/;
ok $hc, 'the CSRF cookie is __Host- and Secure';
my ($session) = $set =~ /(mod_auth_openidc_session=[^;]+)/;
my %t = fields_of(decode_utf8($res->content));
# The cookies as a browser over https would send them (LWP keeps Secure
# cookies from plain http).
my $raw = LWP::UserAgent->new(max_redirect => 0);
$res = $raw->request(POST "$node/privat/send",
                     Cookie => "__Host-bkm_csrf=$hc; $session",
                     Content => [%t, handling => 'oppdater']);
is $res->code, 200, 'its token holds with the __Host- cookie';
$res = $raw->request(POST "$node/privat/send", Cookie => "bkm_csrf=$hc; $session",
                     Content => [%t, handling => 'oppdater']);
is $res->code, 403, 'the same value planted under the plain name: 403';
stop_node('https-node');

# ---- secrets no other user may read ------------------------------------------

my $mode = (stat "$dev/db/test.sqlite")[2];
SKIP: {
    skip 'PostgreSQL: no database file', 1 if $ENV{TEST_PGSQL};
    is $mode & 07, 0, 'the SQLite database is not readable by every user';
}
my $load = 'LoadModule bekymring_module ' . root() . '/build/out/mod_bekymring.so';
for my $case (['BekymringSecretKey', 'secret.key'],
              ['BekymringRoleKey', 'role.key'],
              ['BekymringRoles', 'roles.json']) {
    my ($directive, $file) = @$case;
    system('cp', '-p', "$dev/$file", "$dev/open-$file");
    chmod 0644, "$dev/open-$file";
    my ($rc, $out) = run_httpd_t($load, "$directive $dev/open-$file");
    like $out, qr/\Q$directive\E .*readable by every user/,
        "$directive refuses a file every user can read";
    unlink "$dev/open-$file";
}
