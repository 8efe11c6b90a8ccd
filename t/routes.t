# SPDX-License-Identifier: Apache-2.0
# The route table (modules/server/routes.c): an unknown path is 404
# and a method no row of the path takes is 405 with Allow, answered in one
# place -- JSON under the API, the page's 404 under the pages -- and a
# segment of the wrong shape for its parameter is answered as its kind
# says.  Where an area is guarded as a whole (machine clients, producers,
# the administration), the guard comes before the 404 and the 405.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(base_url dev_token json_of login_ua login);
use HTTP::Request;
use LWP::UserAgent;

plan tests => 60;

my $base = base_url();
my $api = "$base/bekymringsmelding/api/v2";
my $uuid = '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
my $plain = LWP::UserAgent->new(max_redirect => 0, timeout => 20);

sub req {
    my ($ua, $method, $url, @headers) = @_;
    return $ua->request(HTTP::Request->new($method => $url, [@headers], ''));
}

# A JSON error of ours: status, errorId, and Allow when given.
sub json_error {
    my ($res, $code, $kode, $name, $allow) = @_;
    my $j = json_of($res) // {};
    my $ok = ok $res->code == $code && ($j->{errorId} // '') eq $kode
        && ($res->header('Content-Type') // '') =~ m{^application/json},
        "$name: $code $kode";
    diag $res->code . ' ' . $res->decoded_content unless $ok;
    if (defined $allow) {
        is $res->header('Allow'), $allow, "$name: Allow: $allow";
    }
}

# The page's 404: HTML, in the pages' shape.
sub page_404 {
    my ($res, $name) = @_;
    my $ok = ok $res->code == 404
        && ($res->header('Content-Type') // '') =~ m{^text/html}
        && $res->decoded_content =~ /<html/,
        "$name: the page's 404";
    diag $res->code . ' ' . ($res->header('Content-Type') // '') unless $ok;
}

# ---- the public API ----------------------------------------------------
json_error(req($plain, 'GET', "$api/finnes-ikke"), 404, 'ukjent-adresse',
           'an unknown API path');
json_error(req($plain, 'GET', "$api/kommuner/0301/finnes-ikke"), 404,
           'ukjent-adresse', 'an unknown path below a known one');
json_error(req($plain, 'GET', "$api/kommuner/0301/"), 404, 'ukjent-adresse',
           'a trailing slash where there was none');
is req($plain, 'GET', "$api/kommuner/")->code, 200,
   'a trailing slash where there always was one';
json_error(req($plain, 'POST', "$api/kommuner"), 405, 'metode-ikke-tillatt',
           'POST on the list', 'GET, HEAD');
json_error(req($plain, 'BREW', "$api/kommuner/0301"), 405,
           'metode-ikke-tillatt', 'a method no row has', 'GET, HEAD');
like json_of(req($plain, 'DELETE', "$api/kommuner/0301"))->{feilmelding},
     qr/^Method DELETE is not allowed here; use GET$/, 'and says so';
is req($plain, 'HEAD', "$api/kommuner/0301")->code, 200, 'HEAD where GET is';
json_error(req($plain, 'GET', "$api/kommuner/03a1"), 400,
           'ugyldig-kommunenummer', 'a kommunenummer of the wrong shape');
json_error(req($plain, 'GET', "$api/kommuner/0301/bydeler/1"), 404,
           'ukjent-adresse', 'a bydelsnummer of the wrong shape');
json_error(req($plain, 'GET', "$base/helse/x"), 404, 'ukjent-adresse',
           'below /helse');

# ---- machine clients: the guard first -----------------------------------
my %oslo = dev_token('fagsystem-0301-01');
my %token_only = (Authorization => $oslo{Authorization});
json_error(req($plain, 'GET', "$api/konto/x/finnes-ikke", %token_only), 401,
           'ikke-autentisert', 'an unknown account path without the password');
json_error(req($plain, 'GET', "$api/konto/x/finnes-ikke", %oslo), 404,
           'ukjent-adresse', 'an unknown account path with it');
my $konto = (json_of(req($plain, 'GET', "$api/konto", %oslo)) // {})
    ->{kontoer}[0]{kontoId} // 'none';
json_error(req($plain, 'DELETE', "$api/konto/$konto/meldinger", %oslo), 405,
           'metode-ikke-tillatt', 'DELETE on the messages', 'GET, HEAD');
json_error(req($plain, 'PUT', "$api/konto/$konto/avstemming", %oslo), 405,
           'metode-ikke-tillatt', 'PUT on reconciliation', 'GET, POST, HEAD');
json_error(req($plain, 'BREW', "$api/konto/$konto/meldinger/$uuid/svar",
               %oslo), 405, 'metode-ikke-tillatt',
           'a method no row has, on a receipt', 'POST');
json_error(req($plain, 'DELETE', "$api/konto/$konto/meldinger/$uuid/svar",
               %token_only), 401, 'ikke-autentisert',
           'a 405 needs the password first');
json_error(req($plain, 'GET', "$api/konto/$konto/meldinger/ikke-en-uuid",
               %oslo), 404, 'ukjent-melding', 'a meldingId that is no UUID');
json_error(req($plain, 'GET', "$api/konto/$konto/meldinger/"
               . uc($uuid), %oslo), 404, 'ukjent-melding',
           'an unknown meldingId in upper case (known ones are found: t/api_vendor.t)');
json_error(req($plain, 'POST', "$api/konto/$konto/kontroller/x", %oslo,
               'Content-Type' => 'application/json'), 404, 'ukjent-kontroll',
           'a kontrollId that is no UUID');
json_error(req($plain, 'GET', "$api/konto/$konto/meldinger/$uuid/x", %oslo),
           404, 'ukjent-adresse', 'an unknown path below a message');
json_error(req($plain, 'DELETE', "$api/konto/annen-konto/meldinger", %oslo),
           404, 'ukjent-konto', "another's account before the method");

# ---- producers: the guard first -----------------------------------------
my %prod = dev_token('produsent');
json_error(req($plain, 'GET', "$api/mottak/fagsystem/x", %oslo), 403,
           'ikke-produsent', 'not a producer, an unknown path');
json_error(req($plain, 'GET', "$api/mottak/fagsystem/x", %prod), 404,
           'ukjent-adresse', 'a producer, an unknown path');
json_error(req($plain, 'DELETE',
               "$api/mottak/fagsystem/910000001/0301/01/privat", %prod), 405,
           'metode-ikke-tillatt', 'DELETE on a post address', 'POST');
json_error(req($plain, 'GET', "$api/mottak/fagsystem/910000001/"
               . "bekymringsmelding/x/status", %prod), 404, 'ukjent-melding',
           'a report id that is no UUID');
json_error(req($plain, 'GET', "$api/mottak/finnes-ikke", %prod), 404,
           'ukjent-adresse', 'outside the producer API');

# ---- the reporter's pages ------------------------------------------------
page_404(req($plain, 'GET', "$base/sendt/ikke-en-uuid"),
         'a receipt id that is no UUID');
like req($plain, 'GET', "$base/sendt/x")->decoded_content,
     qr/kvitteringen kan ha/, "with the receipt's text";
page_404(req($plain, 'GET', "$base/sendt/$uuid/finnes-ikke"),
         'an unknown path below a receipt');
page_404(req($plain, 'GET', "$base/sendt"), 'no receipt id');
json_error(req($plain, 'DELETE', "$base/sendt/$uuid"), 405,
           'metode-ikke-tillatt', 'DELETE on a receipt', 'GET, HEAD');
json_error(req($plain, 'POST', "$base/status"), 405, 'metode-ikke-tillatt',
           'POST on the status page', 'GET, HEAD');
json_error(req($plain, 'GET', "$base/privat/send"), 405,
           'metode-ikke-tillatt', 'GET on the form post', 'POST');
json_error(req($plain, 'PROPFIND', "$base/"), 405, 'metode-ikke-tillatt',
           'PROPFIND on the landing page', 'GET, HEAD');

# ---- the administration: the login and the roles first ------------------
my $per = login_ua();                   # the national operator
login($per, '/kommune', 'per', 'substantial');
$per->max_redirect(0);
my $kari = login_ua();                  # Oslo's administrator
login($kari, '/kommune', 'kari', 'substantial');
$kari->max_redirect(0);
page_404(req($per, 'GET', "$base/kommune/0301/finnes-ikke"),
         'an unknown path in a municipality');
page_404(req($per, 'GET', "$base/kommune/0301/melding/ikke-en-uuid"),
         'a report id that is no UUID');
page_404(req($per, 'GET', "$base/kommune/03x1"),
         'a kommunenummer of the wrong shape');
page_404(req($per, 'GET', "$base/kommune/0301/"),
         'a trailing slash where there was none');
is req($per, 'GET', "$base/kommune/")->code, 200,
   'a trailing slash where there always was one';
json_error(req($per, 'POST', "$base/kommune/0301"), 405,
           'metode-ikke-tillatt', 'POST on the overview', 'GET, HEAD');
json_error(req($per, 'PATCH', "$base/kommune/roller"), 405,
           'metode-ikke-tillatt', "PATCH on the operator's roles",
           'GET, HEAD, POST');
json_error(req($per, 'GET', "$base/kommune/0301/melding/$uuid/handling"),
           405, 'metode-ikke-tillatt', 'GET on an action', 'POST');
page_404(req($kari, 'PATCH', "$base/kommune/roller"),
         "not the operator: 404 before the method");
page_404(req($kari, 'POST', "$base/kommune/4601"),
         "another municipality: 404 before the method");
page_404(req($kari, 'POST', "$base/kommune/0301/mottak"),
         'receiving, not a receiver: 404 before the method');
is req($per, 'HEAD', "$base/kommune/0301")->code, 200, 'HEAD where GET is';
