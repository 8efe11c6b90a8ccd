# SPDX-License-Identifier: Apache-2.0
# The vendor's kit (issue 15, item 3): the API's answers match
# schema/openapi.yaml.  This file calls every operation the description
# has, with its success and its main errors, and then checks every answer
# recorded in this run (t/lib/BkmOpenapiRecord.pm: this file's and every
# earlier test file's of the same t/TEST run) with build/openapi/check.mjs:
# described path and method, a status the operation lists, its
# Content-Type, and the JSON body against its schema (ajv, JSON Schema
# 2020-12).  Named zz_ to run last.  Also: the description lints clean with
# Redocly CLI, covers the incumbent's published descriptions
# (build/openapi/incumbent.mjs), and the receipt's "hendelse" enum is the
# set the delivery rules can record.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of dev_token slurp
               producer_multipart db_rows privat_rapport);
use BkmCaseSystem;
use JSON::PP;
use LWP::UserAgent;

plan tests => 13;

my $base = base_url();
my $api = "$base/bekymringsmelding/api/v2";
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;
my $ua = LWP::UserAgent->new(timeout => 60);
my $logs = Apache::Test::config()->{vars}{t_logs};
my %seen;   # "status" of each call made here, for the diagnostics
sub call {
    my ($method, $url, @h) = @_;
    my $content;
    for (my $i = 0; $i < @h; $i += 2) {
        if ($h[$i] eq 'Content') { $content = $h[$i + 1]; splice @h, $i, 2; last }
    }
    my $req = HTTP::Request->new($method, $url, \@h, $content);
    my $res = $ua->request($req);
    $seen{"$method " . ($url =~ s{^https?://[^/]+}{}r) . ' ' . $res->code}++;
    return $res;
}

# ---- the municipality API -----------------------------------------------
call(GET => "$api/kommuner");
call(GET => "$api/kommuner?sprakKode=en");
call(GET => "$api/kommuner/0301");
call(GET => "$api/kommuner/1103");          # inactive: no districts
call(GET => "$api/kommuner/9999");          # 404
call(GET => "$api/kommuner/03x1");          # 400
call(GET => "$api/kommuner/0301/bydeler");
call(GET => "$api/kommuner/9999/bydeler");
call(GET => "$api/kommuner/0301/bydeler/01");
call(GET => "$api/kommuner/0301/bydeler/99");
call(GET => "$base/helse");
call(POST => "$base/helse");                # 405
LWP::UserAgent->new(timeout => 10)
    ->get("http://127.0.0.1:$ENV{BKM_NODB_PORT}/helse");   # 503

# ---- accounts ----------------------------------------------------------
my @oslo = dev_token('fagsystem-0301-01');
my @prod = dev_token('produsent', '--ttl', 600);
my @print = dev_token('print');
call(GET => "$api/konto", @oslo);
call(GET => "$api/konto");                  # 401
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem",
    receipt_key => "$pki/0301-01-kvittering.key");
my $k = $cs->konto;
call(GET => "$api/konto/$k", @oslo);
call(GET => "$api/konto/nope", @oslo);      # 404

# ---- a report through the form API, and the producer API ---------------
my $login = login_ua();
login($login, '/meg', 'kari', 'substantial');
my $privat = privat_rapport();
my $offentlig = {
    kommunenummer => '0301', bydelsnummer => '01',
    offentligMelder => { personnavn => 'x', rolle => 'Helsesykepleier',
        telefonnummer => '22334455', epost => 'kari@skole.example',
        virksomhet => { navn => 'Grønland skole',
            adresse => { adresselinje1 => 'Tøyengata 1', postnummer => '0190',
                         poststed => 'Oslo' }, telefonnummer => '22000000' } },
    offentligBarn => [ { fnr => '', ufoedt => JSON::PP::false,
        personnavn => 'Ola Barn', adresse => { adresselinje1 => 'Storgata 3',
        postnummer => '0155', poststed => 'Oslo' },
        orientert => JSON::PP::true } ],
    foresatte => [ { personnavn => 'Per Forelder',
        adresse => { adresselinje1 => 'Storgata 3', postnummer => '0155',
                     poststed => 'Oslo' }, orientert => JSON::PP::true } ],
    melding => { melding => 'Eleven virker redd.', historie => 'Høst.',
                 andreSynspunkter => 'Vanskelig.' },
    behovForTolk => 'Nei', andreHjelpeinstanser => 'PPT',
};
sub skjema {
    my ($type, $body, @h) = @_;
    return $login->post("$api/mottak/skjema/$type",
        'Content-Type' => 'application/json', Accept => 'application/json',
        @h, Content => ref $body ? $json->encode($body) : $body);
}
my $res = skjema('privat', $privat);
is $res->code, 201, 'the form API: 201' or diag $res->decoded_content;
my $uuid = (json_of($res) // {})->{uuid} // '';
skjema('offentlig', $offentlig);
skjema('privat', { %$privat, privatBarn => [] });      # 422
skjema('privat', '{"x":');                             # 400
skjema('privat', 'x', 'Content-Type' => 'text/plain'); # 415
$ua->post("$api/mottak/skjema/privat", 'Content-Type' => 'application/json',
          Content => '{}');                            # 401

my $keys_url = "$api/mottak/fagsystem/0301/01/krypteringsnokler";
$res = call(GET => $keys_url, @prod);
my $keys = json_of($res);
call(GET => $keys_url, @oslo);                         # 403
call(GET => "$api/mottak/fagsystem/9999/01/krypteringsnokler", @prod);
my ($multipart, $b) = producer_multipart($keys, 2000);
my $org = { @{ [map { ($_->{navn} => $_) } @{ JSON::PP->new->decode(
    slurp(root() . '/t/dev/integrations.json'))->{integrasjoner} }] } }
    ->{produsent}{organisasjonsnummer};
for my $type (qw(privat offentlig)) {
    $res = call(POST => "$api/mottak/fagsystem/$org/0301/01/$type", @prod,
        'Content-Type' => "multipart/form-data; boundary=$b",
        Content => $multipart);
}
is $res->code, 201, 'the producer API: 201';
my $pid = (json_of($res) // {})->{uuid} // '';
call(POST => "$api/mottak/fagsystem/$org/0301/01/privat", @prod,
     'Content-Type' => "multipart/form-data; boundary=$b",
     Content => "--$b--\r\n");                        # 400
call(POST => "$api/mottak/fagsystem/910000002/0301/01/privat", @prod,
     'Content-Type' => "multipart/form-data; boundary=$b",
     Content => $multipart);                          # 403
call(GET => "$api/mottak/fagsystem/$org/bekymringsmelding/$pid/status",
     @prod);
call(GET => "$api/mottak/fagsystem/$org/bekymringsmelding/" . uc($pid)
     . '/status', @prod);
call(GET => "$api/mottak/fagsystem/$org/bekymringsmelding/"
     . '00000000-0000-4000-8000-000000000000/status', @prod);   # 404

# ---- the consumer API ----------------------------------------------------
my ($lres, $list) = $cs->list;
is $lres->code, 200, 'the consumer list: 200';
call(GET => "$api/konto/$k/meldinger?vent=0", @oslo);    # 400
# The account's message of a report (the list shows only the oldest 100,
# and earlier test files may have left more waiting).
sub message_of {
    my ($report) = @_;
    my ($row) = db_rows("SELECT l.id, c.sha256 FROM bkm_leveranse l JOIN "
        . "bkm_chiffer c ON c.melding_id = l.melding_id AND c.mottaker = "
        . "l.mottaker WHERE l.melding_id = '$report' AND l.konto_id = '$k'");
    return $row ? { meldingId => $row->[0], sha256 => $row->[1] } : undef;
}
my $m = message_of($uuid);
ok $m, 'the form report waits on the account';
my $mid = $m ? $m->{meldingId} : 'x';
my $murl = "$api/konto/$k/meldinger/$mid";
call(POST => "$murl/svar", @oslo,
     meldingType => 'no.ks.fiks.bekymringsmelding.mottatt.v1');  # 409
call(GET => $murl, @oslo, 'If-None-Match' => qq{"$m->{sha256}"})  # 304
    if $m;
call(GET => $murl, @oslo, Range => 'bytes=0-9');               # 206
call(GET => $murl, @oslo, Range => 'bytes=999999999-');        # 416
call(HEAD => $murl, @oslo);
$cs->fetch($mid);                                              # 200
call(GET => "$murl/besittelse", @oslo);                        # 404
call(GET => "$murl/manifest", @oslo);                          # 404
call(POST => "$murl/svar", @oslo, meldingType => 'x');         # 400
$res = $cs->answer($mid, 'mottatt');
is $res->code, 200, 'a receipt: 200' or diag $res->decoded_content;
$cs->answer($mid, 'mottatt');                                   # 200, gjentatt
$cs->answer($mid, 'feilet', '{"melding":"x"}');                 # 409
call(GET => "$api/konto/$k/meldinger/00000000-0000-4000-8000-000000000000",
     @oslo);                                                    # 404

# The print provider: a print job and its manifest.
my $pr = BkmCaseSystem->new(base => $base, name => 'print',
    key => "$pki/print.key", cert => "$pki/print.pem");
my (undef, $plist) = $pr->list;
if (my ($job) = @{ $plist // [] }) {
    call(GET => $pr->url("/$job->{meldingId}/manifest"), @print);
}

# The producer's report, sealed by the producer: its secret.
my $pm = message_of($pid);
call(GET => "$api/konto/$k/meldinger/$pm->{meldingId}/besittelse", @oslo)
    if $pm;

# ---- delivery assurance ----------------------------------------------------
call(GET => "$api/konto/$k/kontroller", @oslo);
call(GET => "$api/konto/$k/kontroller?x=1", @oslo);            # 400
call(POST => "$api/konto/$k/kontroller/00000000-0000-4000-8000-000000000000",
     @oslo, 'Content-Type' => 'application/json',
     Content => '{"svar":"' . ('0' x 64) . '"}');               # 404
my $ops = LWP::UserAgent->new(timeout => 60);
$ops->post("$base/bekymring-drift/kontroll");                   # 400
$ops->post("$base/bekymring-drift/kontroll?konto=$k");          # 201 or 409
$res = $ops->post("$base/bekymring-drift/eskalering");
is $res->code, 200, 'an escalation pass: 200';
my @t = gmtime(time - 3600);
my $til = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1,
    @t[3, 2, 1, 0];
my $fra = '2020-01-01T00:00:00Z';
$res = call(GET => "$api/konto/$k/avstemming?fra=$fra&til=$til&antall=5",
            @oslo);
is $res->code, 200, 'reconciliation list: 200';
call(GET => "$api/konto/$k/avstemming?fra=$til&til=$fra", @oslo); # 400
call(POST => "$api/konto/$k/avstemming", @oslo,
     'Content-Type' => 'text/plain', Content => 'x');              # 415
call(POST => "$api/konto/$k/avstemming", @oslo,
     'Content-Type' => 'application/json',
     Content => $json->encode({ fra => '2020-01-01T00:00:00Z',
         til => '2020-01-02T00:00:00Z', meldinger => [] }));       # 200
call(POST => "$api/konto/$k/avstemming", @oslo,
     'Content-Type' => 'application/json',
     Content => $json->encode({ fra => '2020-01-01T00:00:00Z',
         til => '2020-01-02T00:00:00Z', meldinger => [
             { meldingId => '00000000-0000-4000-8000-000000000000' } ] }));
                                                                   # 422

# ---- the check -----------------------------------------------------------
my $run = BkmOpenapiRecord::run_id();
unlink grep { !/\Qanswers-$run-\E/ } glob("$logs/openapi/answers-*.jsonl");
my @files = glob("$logs/openapi/answers-$run-*.jsonl");
ok scalar(@files), 'answers were recorded (' . scalar(@files) . ' files)';
my $node = root() . '/build/openapi';
my $out = `OPENAPI_CHECK_STATUSES=1 node $node/check.mjs --cover @{[root()]}/schema/openapi.yaml @files 2>&1`;
my $rc = $? >> 8;
is $rc, 0, 'every answer matches schema/openapi.yaml, and every operation '
    . 'was answered' or diag $out;
note $out;   # the summary, and the statuses seen per operation

# The receipt's "hendelse": exactly what the delivery rules can record on
# a receipt (modules/core/bkm_levering.c, recipient_receipt and receipt).
my $src = slurp(root() . '/modules/core/bkm_levering.c');
my ($rr) = $src =~ /static void recipient_receipt\(.*?\n}\n/s
    ? ($&) : ('');
my ($rc2) = $src =~ /static void receipt\(.*?\n}\n/s ? ($&) : ('');
my %code = map { $_ => 1 } ("$rr$rc2" =~ /hendelse = "([A-Z_]+)"/g);
delete $code{KVITTERING_AVVIST};    # a refusal: 409/422, never a 200
my $spec = slurp(root() . '/schema/openapi.yaml');
my ($enum) = $spec =~ /hendelse:.*?enum: \[([^\]]+)\]/s;
is_deeply [sort grep { $_ ne 'null' } split /,\s*/, $enum // ''],
    [sort keys %code],
    "the OpenAPI enum of hendelse is what a receipt can record";
my $readme = slurp(root() . '/README');
is_deeply [grep { $readme !~ /^\s+\Q$_\E\s{2,}/m } sort keys %code], [],
    'the README lists each of them';

# A client written for the incumbent keeps working: its paths, methods,
# statuses and schemas (fiks-bekymringsmelding-api) are all here.
SKIP: {
    my $ref = ($ENV{BKM_REFERENCE} // root() . '/../shared/reference')
        . '/fiks-bekymringsmelding-api';
    skip "the incumbent's descriptions ($ref) are not here", 1
        unless -d $ref;
    my $cmp = `node $node/incumbent.mjs @{[root()]}/schema/openapi.yaml $ref 2>&1`;
    is $? >> 8, 0, "the incumbent's API descriptions are covered" or diag $cmp;
}

# Redocly CLI lints the description clean (as `make checks` does).
$out = `cd $node && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \\
    npx --no-install redocly lint --config redocly.yaml \\
    ../../schema/openapi.yaml 2>&1`;
is $? >> 8, 0, 'Redocly CLI: the description is valid' or diag $out;
