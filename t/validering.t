# SPDX-License-Identifier: Apache-2.0
# Issue 14, item 1: the field rules (modules/core/bkm_felt.c) and the
# members the form has (bkm_skjema_check_members), the same for the
# form-submission API and the pages.  Each defect the issue found gets a
# test that failed before: a child's national id of 10 digits,
# organisation number "97458", phone "12", postcode "473" were accepted;
# e-mail "(at)" got a generic message; the reporter's street became
# required once a postcode was typed; and the API forwarded a top-level
# "ukjentFelt" and privatMelder.fnr (another person's national id) to
# the receiver.  Every refusal is a 422 naming the member's JSON pointer,
# and stores nothing.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(login_ua login base_url json_of db_rows);
use Encode qw(decode_utf8);
use HTTP::Request::Common qw(POST);
use JSON::PP;

plan tests => 68;

my $base = base_url();
my $api = "$base/bekymringsmelding/api/v2/mottak/skjema";
my $json = JSON::PP->new->utf8->canonical;

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }

my $ua = login_ua();
my $res = login($ua, '/meg', 'kari', 'substantial');
is $res->code, 200, 'Kari is logged in';

sub post_json {
    my ($type, $body) = @_;
    return $ua->post("$api/$type", 'Content-Type' => 'application/json',
                     Accept => 'application/json',
                     Content => $json->encode($body));
}

sub privat {
    return {
        kommunenummer => '0301', bydelsnummer => '01',
        privatMelder => { personnavn => 'x', telefonnummer => '99999999',
            adresse => { adresselinje1 => 'Storgata 1',
                         postnummer => '0155', poststed => 'Oslo' } },
        privatBarn => [ { personnavn => 'Ola Barn',
            adresse => { adresselinje1 => 'Storgata 3',
                         postnummer => '0155', poststed => 'Oslo' } } ],
        melding => 'Jeg er bekymret.',
    };
}

sub offentlig {
    return {
        kommunenummer => '0301', bydelsnummer => '01',
        offentligMelder => { personnavn => 'x', rolle => 'Helsesykepleier',
            telefonnummer => '22 33 44 55', epost => 'kari@skole.kommune.no',
            virksomhet => { navn => 'Grønland skole', orgnr => '974760673',
                adresse => { adresselinje1 => 'Tøyengata 1',
                             postnummer => '0190' } } },
        offentligBarn => [ { fnr => '01017010170', ufoedt => JSON::PP::false,
            personnavn => 'Ola Barn', adresse => { adresselinje1 => 'x' },
            orientert => JSON::PP::true } ],
        foresatte => [ { personnavn => 'Per', orientert => JSON::PP::true } ],
        melding => { melding => 'Eleven virker redd.', historie => '' },
    };
}

# One bad value: 422, the member's pointer and rule, nothing stored.
sub refused {
    my ($type, $report, $pointer, $regel, $what) = @_;
    my $before = count();
    my $r = post_json($type, $report);
    is $r->code, 422, "$what: 422" or diag $r->decoded_content;
    my @feil = @{ (json_of($r) // {})->{feil} // [] };
    my ($e) = grep { $_->{pointer} eq $pointer } @feil;
    is $e && $e->{regel}, $regel, "$what: $pointer, $regel"
        or diag $r->decoded_content;
    is count(), $before, "$what: nothing stored";
    return $e;
}

# ---- the API: values ---------------------------------------------------

my $r = offentlig();
$r->{offentligBarn}[0]{fnr} = '0101701017';
refused('offentlig', $r, '/offentligBarn/0/fnr', 'fnr.lengde',
        "a child's national id of 10 digits");
$r = offentlig();
$r->{offentligBarn}[0]{fnr} = '01017010171';
refused('offentlig', $r, '/offentligBarn/0/fnr', 'fnr.ugyldig',
        'a check digit wrong');
$r = offentlig();
$r->{offentligMelder}{virksomhet}{orgnr} = '97458';
refused('offentlig', $r, '/offentligMelder/virksomhet/orgnr',
        'orgnr.lengde', 'organisation number 97458');
$r = offentlig();
$r->{offentligMelder}{epost} = 'kari(at)skole.no';
my $e = refused('offentlig', $r, '/offentligMelder/epost', 'epost.alfa',
                'e-mail with (at)');
like $e && $e->{melding}, qr/one @/, 'and the message says what is wrong';
$r = privat();
$r->{privatMelder}{telefonnummer} = '12';
refused('privat', $r, '/privatMelder/telefonnummer', 'telefon.lengde',
        'phone 12');
$r = privat();
$r->{privatMelder}{telefonnummer} = 'ring meg';
refused('privat', $r, '/privatMelder/telefonnummer', 'telefon.tegn',
        'phone "ring meg"');
$r = privat();
$r->{privatBarn}[0]{adresse}{postnummer} = '473';
refused('privat', $r, '/privatBarn/0/adresse/postnummer',
        'postnummer.lengde', 'postcode 473');
$r = privat();
$r->{privatBarn}[0]{adresse}{postnummer} = '9999';
refused('privat', $r, '/privatBarn/0/adresse/postnummer',
        'postnummer.finnesikke', 'postcode 9999 (not in the register)');

# ---- the API: members the form does not have ---------------------------

$r = privat();
$r->{ukjentFelt} = 'x';
refused('privat', $r, '/ukjentFelt', 'additionalProperties',
        'a top-level ukjentFelt');
$r = privat();
$r->{privatMelder}{fnr} = '01017010170';
$e = refused('privat', $r, '/privatMelder/fnr', 'additionalProperties',
             "the reporter's national id");
like $e && $e->{melding}, qr/national identity number/,
    'named as a national id';
$r = privat();
$r->{privatBarn}[0]{fnr} = '01017010170';
refused('privat', $r, '/privatBarn/0/fnr', 'additionalProperties',
        "a national id for a child on the private form");
$r = privat();
$r->{privatBarn}[0]{adresse}{land} = 'Norge';
refused('privat', $r, '/privatBarn/0/adresse/land', 'additionalProperties',
        'a nested unknown member');
$r = offentlig();
$r->{foresatte}[0]{fnr} = '01017010170';
refused('offentlig', $r, '/foresatte/0/fnr', 'additionalProperties',
        "a guardian's national id");

# All errors in one answer: the form's rules and the schema's.
$r = privat();
$r->{privatMelder}{telefonnummer} = '12';
$r->{ukjentFelt} = 1;
delete $r->{melding};
$res = post_json('privat', $r);
is join(' ', sort map { $_->{pointer} } @{ (json_of($res) // {})->{feil}
    // [] }), '/melding /privatMelder/telefonnummer /ukjentFelt',
    'one answer lists the rules\', the members\' and the schema\'s errors';

# What is right in another form is put in the form receivers expect.
$r = offentlig();
$r->{offentligBarn}[0]{fnr} = '010170 10170';
$r->{offentligMelder}{virksomhet}{orgnr} = '974 760 673';
$r->{offentligMelder}{telefonnummer} = '+47  22 33 44 55';
my $before = count();
$res = post_json('offentlig', $r);
is $res->code, 201, 'grouped digits and doubled spaces are accepted'
    or diag $res->decoded_content;
is count(), $before + 1, 'and stored';
$r = privat();
$r->{privatMelder}{telefonnummer} = '+46 70 123 45 67';
$r->{privatBarn}[0]{adresse}{postnummer} = '0473';
$res = post_json('privat', $r);
is $res->code, 201, 'a Swedish phone number and postcode 0473 are accepted'
    or diag $res->decoded_content;

# ---- the pages -----------------------------------------------------------

$ua = login_ua();
$res = login($ua, '/offentlig/skjema?kommune=0301&bydel=01', 'kari',
             'substantial');
is $res->code, 200, 'the public form';
my $html = decode_utf8($res->content);
my %f;
$f{$1} = $2 while $html =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;

# Required fields are marked before anything is typed; the reporter's own
# address on the private form is not, and never becomes required.
like $html, qr{<label[^>]*for="f-offentligBarn-0-fnr"><span>[^<]*</span></label>},
    "the child's national id: not marked as required";
like $html, qr{<label[^>]*for="f-offentligMelder-virksomhet-adresse-adresselinje1"><span>[^<]*</span><span class="ds-tag bkm-pakrevd"},
    "the workplace's street: marked as required";
like $html, qr{id="f-offentligBarn-0-fnr"[^>]*inputmode="numeric"},
    "the child's national id: the phone's number pad";

my %offentlig = (%f, handling => 'send',
    'offentligMelder.rolle' => 'Helsesykepleier',
    'offentligMelder.telefonnummer' => '12',
    'offentligMelder.epost' => 'kari(at)skole.no',
    'offentligMelder.virksomhet.navn' => 'Grønland skole',
    'offentligMelder.virksomhet.orgnr' => '97458',
    'offentligMelder.virksomhet.adresse.adresselinje1' => 'Tøyengata 1',
    'offentligMelder.virksomhet.adresse.postnummer' => '473',
    'offentligBarn.0.personnavn' => 'Ola',
    'offentligBarn.0.fnr' => '0101701017',
    'offentligBarn.0.adresse.adresselinje1' => 'x',
    'offentligBarn.0.orientert' => 'ja',
    'foresatte.0.personnavn' => 'Per', 'foresatte.0.orientert' => 'ja',
    'melding.melding' => 'Bekymret.');
$before = count();
$res = $ua->request(POST "$base/offentlig/send", [%offentlig]);
is $res->code, 422, 'the form with five bad values: shown again (422)';
$html = decode_utf8($res->content);
for my $t (['f-offentligBarn-0-fnr', 'Barn 1: Fødselsnummeret må ha 11 siffer.'],
           ['f-offentligMelder-virksomhet-orgnr', 'Arbeidsstedet ditt: Organisasjonsnummeret må ha 9 siffer.'],
           ['f-offentligMelder-telefonnummer', 'Telefonnummeret må ha 8 siffer'],
           ['f-offentligMelder-epost', 'E-postadressen må ha én @'],
           ['f-offentligMelder-virksomhet-adresse-postnummer', 'Arbeidsstedet ditt: Postnummeret må ha 4 siffer.']) {
    my ($id, $text) = @$t;
    like $html, qr{<a class="ds-link" href="#\Q$id\E">\Q$text\E}, "summary: $text";
    (my $inline = $text) =~ s/^[^:]+: //;
    like $html, qr{id="\Q$id\E-feil">\Q$inline\E}, "next to the field: $inline";
}
unlike $html, qr/Fyll ut feltet|Sjekk at det er skrevet riktig/, 'no generic message';
is count(), $before, 'nothing stored';

# The same in nynorsk and English (a language button keeps the errors only
# after a send; send again with the language chosen).
$res = $ua->request(POST "$base/offentlig/send", [%{ { %offentlig, handling => 'sprak:nn' } }]);
$res = $ua->request(POST "$base/offentlig/send", [%{ { %offentlig, fields_from($res), handling => 'send' } }]);
like decode_utf8($res->content), qr{id="f-offentligBarn-0-fnr-feil">Fødselsnummeret må ha 11 siffer\.}, 'in nynorsk';
like decode_utf8($res->content), qr{Postnummeret må ha 4 siffer\.}, 'in nynorsk: postcode';
$res = $ua->request(POST "$base/offentlig/send", [%{ { %offentlig, handling => 'sprak:en' } }]);
$res = $ua->request(POST "$base/offentlig/send", [%{ { %offentlig, fields_from($res), handling => 'send' } }]);
like decode_utf8($res->content), qr{id="f-offentligBarn-0-fnr-feil">The national identity number must be 11 digits\.}, 'in English';

sub fields_from {
    my ($resp) = @_;
    my %h;
    my $page = decode_utf8($resp->content);
    $h{$1} = $2 while $page =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
    return %h;
}

# The reporter's street never becomes required: a postcode alone is sent.
$res = $ua->get("$base/privat/skjema?kommune=0301&bydel=01&sprak=nb");
%f = fields_from($res);
$before = count();
$ua->max_redirect(0);
$res = $ua->request(POST "$base/privat/send", [%f, handling => 'send',
    'privatMelder.adresse.postnummer' => '0473',
    'privatBarn.0.personnavn' => 'Ola',
    'privatBarn.0.adresse.adresselinje1' => 'Storgata 3',
    'melding' => 'Bekymret.']);
is $res->code, 303, "issue 14: a postcode for the reporter's own address, "
    . 'no street: sent' or diag substr(decode_utf8($res->content), 0, 3000);
is count(), $before + 1, 'and stored';
