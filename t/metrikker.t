# SPDX-License-Identifier: Apache-2.0
# The metrics page (README "Metrics"): Prometheus' text format that
# promtool accepts, figures that move with what happens (a report
# accepted, a pass run, an ALERT line written), no personal data, and the
# shipped alert rules valid.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use lib 't/lib';
use BkmTest qw(root base_url dev_token json_of slurp seal_cms error_log
               metrics);
use HTTP::Request::Common ();
use LWP::UserAgent;
use File::Temp qw(tempfile);

my $promtool = -x '/usr/bin/promtool' ? '/usr/bin/promtool' : undef;
plan tests => 24;

my $base = base_url();
my $ua = LWP::UserAgent->new(timeout => 60);

my ($res, $m) = metrics();
is $res->code, 200, 'GET /bekymring-drift/metrics';
is $res->header('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8',
    "Prometheus' text format";
is $res->header('Cache-Control'), 'no-store', 'not kept by caches';
is $m->{bekymring_database_up}, 1, 'the database answered';
like $m->{bekymring_langpoll_ventende} // '', qr/^\d+$/, 'the long-polls waiting on the node';
unlike $res->content, qr/\b\d{11}\b/, 'no 11-digit number (national id) anywhere';

SKIP: {
    skip 'promtool is missing (Debian package prometheus, build/packages.txt)', 2
        unless $promtool;
    my ($fh, $file) = tempfile();
    print $fh $res->content;
    close $fh;
    my $out = `$promtool check metrics < $file 2>&1`;
    is $?, 0, 'promtool check metrics accepts the page' or diag $out;
    $out = `$promtool check rules ${\ root()}/conf/prometheus/bekymring.rules.yml 2>&1`;
    is $?, 0, 'promtool check rules accepts the shipped alert rules' or diag $out;
}

# A report from a producer to Oslo's district 01.
my $pki = root() . '/t/dev/pki';
my $pdf = seal_cms("%PDF-1.4 metrikker\n", slurp("$pki/print.pem"));
my $zip = seal_cms("PK\x03\x04 metrikker", slurp("$pki/0301-01-fagsystem.pem"));
my %prod = dev_token('produsent');
my $konto_key = (grep { /^bekymring_konto_ventende\{.*kommune="0301",bydel="01"/ } keys %$m)[0];
my ($mottatt_key) = grep { /^bekymring_meldinger_mottatt_total\{kommune="0301",kanal="fagsystem"\}$/ } keys %$m;
$mottatt_key //= 'bekymring_meldinger_mottatt_total{kommune="0301",kanal="fagsystem"}';
my $before_mottatt = $m->{$mottatt_key} // 0;
my $before_konto = $konto_key ? $m->{$konto_key} : 0;
my $before_db = $m->{bekymring_database_errors_total};
ok defined $before_db, 'the node counts database errors';

my $req = HTTP::Request::Common::POST(
    "$base/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/01/privat",
    Content_Type => 'form-data',
    Content => [
        bekymringsmelding => [undef, 'b.cms', 'Content-Type' =>
            'application/pkcs7-mime', Content => $pdf],
        asice => [undef, 'a.cms', 'Content-Type' =>
            'application/pkcs7-mime', Content => $zip]]);
$req->header(%prod);
$res = $ua->request($req);
is $res->code, 201, 'a report accepted';

($res, $m) = metrics();
is $m->{$mottatt_key}, $before_mottatt + 1, 'reports accepted: one more';
($konto_key) = grep { /^bekymring_konto_ventende\{.*kommune="0301",bydel="01"/ } keys %$m;
ok $konto_key, 'the district\'s account has reports waiting';
is $m->{$konto_key}, $before_konto + 1, 'one more than before';
(my $age_key = $konto_key) =~ s/^bekymring_konto_ventende/bekymring_konto_eldste_ventende_seconds/;
cmp_ok $m->{$age_key}, '>=', 0, 'the age of its oldest waiting report';
like $konto_key, qr/type="fagsystem"/, 'named by the account\'s type';

# A pass two months on: the report is past its deadline and the
# retention period, so the pass orders print and says ALERT.
my $passes = $m->{'bekymring_eskalering_passes_total{utfall="ok"}'};
my $alerts = $m->{'bekymring_varsler_total{art="oppfolging"}'};
my $later = sprintf('%.0f', (time() + 60 * 86400) * 1e6);
$res = $ua->post("$base/bekymring-drift/eskalering", 'Bkm-Test-Klokke' => $later);
is $res->code, 200, 'an escalation pass';
my $pass = json_of($res);
($res, $m) = metrics();
is $m->{'bekymring_eskalering_passes_total{utfall="ok"}'}, $passes + 1, 'passes: one more';
cmp_ok abs($m->{bekymring_eskalering_last_success_timestamp_seconds} - time()), '<', 120,
    'the last success: just now';
cmp_ok $m->{bekymring_eskalering_duration_seconds}, '>=', 0, 'its duration';
cmp_ok $m->{bekymring_eskalering_eskalert_total}, '>=', $pass->{eskalert},
    'letter post ordered by the passes';
like error_log(), qr/BKM01203: ALERT: /, 'the pass wrote an ALERT line';
cmp_ok $m->{'bekymring_varsler_total{art="oppfolging"}'}, '>', $alerts,
    'and it is counted';
is $m->{bekymring_database_errors_total}, $before_db, 'no database error on the way';

# Only local callers (conf/bekymring-locations.conf): the page says
# nothing of a person.
unlike $res->content, qr/pid|fnr|personnavn/i, 'no personal fields';
