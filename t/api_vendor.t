# SPDX-License-Identifier: Apache-2.0
# What an outside vendor tripped on (issue 15, item 3), each mended here:
# If-None-Match with the current ETag is 304 (and no fetch); vent=0 is
# 400 (the README says 1-30); a message id in upper case is the same
# message; a 503 says Retry-After (also t/health.t, t/intake.t); and the
# README documents the escalation answer's "utlopt" and build/dev-token's options with the
# development people and roles.  (The status's "tidspunkt" in UTC:
# t/produsent.t; the receipt's "hendelse" values: t/zz_openapi.t.)
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows slurp privat_rapport skjema_api);
use BkmCaseSystem;
use JSON::PP;
use LWP::UserAgent;

plan tests => 24;

my $base = base_url();
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-02',
    key => "$pki/0301-02-fagsystem.key", cert => "$pki/0301-02-fagsystem.pem");

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');

sub report {
    my $res = skjema_api($ua, privat_rapport(bydelsnummer => '02'));
    die 'report not accepted: ' . $res->decoded_content if $res->code != 201;
    return json_of($res)->{uuid};
}
sub hentet {
    my ($id) = @_;
    return (db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE id = '$id' "
        . "AND hentet IS NOT NULL"))[0][0];
}

# ---- vent=0 ------------------------------------------------------------
my ($res) = $cs->list('vent=0');
is $res->code, 400, 'vent=0: 400 (the README says 1-30)';
like json_of($res)->{feilmelding} // '', qr/1 to 30/, 'saying the range';
is(($cs->list('vent=1'))[0]->code, 200, 'vent=1: 200');

# ---- If-None-Match -----------------------------------------------------
my $uuid = report();
my ($m) = grep { $_->{bekymringsmeldingId} eq $uuid } @{ ($cs->list)[1] };
ok $m, 'the report is in the list';
my $id = $m->{meldingId};
my $etag = qq{"$m->{sha256}"};
$res = $cs->fetch($id, 'If-None-Match' => $etag);
is $res->code, 304, 'If-None-Match with the current ETag: 304';
is $res->content, '', 'with no body';
is $res->header('ETag'), $etag, 'and the ETag';
sleep 1;
is hentet($id), 0, 'a 304 is no fetch';
is $cs->fetch($id, 'If-None-Match' => qq{"x", W/$etag})->code, 304,
    'a list with the weak form of the ETag: 304';
is $cs->fetch($id, 'If-None-Match' => '*')->code, 304, '"*": 304';
is $cs->fetch($id, 'If-None-Match' => '"other"', Range => 'bytes=0-0')->code,
    206, 'another ETag: the answer as without it';
is hentet($id), 0, 'still not fetched';

# ---- upper-case ids ----------------------------------------------------
$res = $cs->fetch(uc $id);
is $res->code, 200, 'the message under its id in upper case: 200';
is $res->header('meldingId'), $id, 'named in lower case';
for (1 .. 50) { last if hentet($id); select undef, undef, undef, 0.05 }
is hentet($id), 1, 'and recorded as fetched';
$res = $cs->answer(uc $id, 'mottatt');
is $res->code, 200, 'the receipt under the upper-case id: 200';
is json_of($res)->{meldingId}, $id, 'answered with the id in lower case';
is $cs->fetch(uc($id) =~ s/-//r)->code, 404, 'without its hyphens: 404';

# ---- 503 says when to come back -----------------------------------------
$res = LWP::UserAgent->new(timeout => 10)
    ->get("http://127.0.0.1:$ENV{BKM_NODB_PORT}/helse");
is $res->code, 503, 'a node without its database: 503';
like $res->header('Retry-After') // '', qr/^\d+$/, 'with Retry-After';

# ---- the README ----------------------------------------------------------
my $readme = slurp(root() . '/README');
like $readme, qr/"utlopt" \(/, 'the escalation answer explains "utlopt"';
my ($opts) = slurp(root() . '/build/dev-token') =~ /options: \{(.*?)\n    \},/s;
my @opts = $opts =~ /^\s+'?([a-z-]+)'?: \{/mg;
cmp_ok scalar(@opts), '>=', 10, 'build/dev-token has its options';
is_deeply [grep { $readme !~ /--\Q$_\E\b/ } @opts], [],
    "the README names each of build/dev-token's options";
my @people = slurp(root() . '/build/idporten-dev/op.mjs')
    =~ /^  (\w+): \{ pid: '(\d{11})'/mg;
my %people = @people;
is_deeply [grep { $readme !~ /\b\Q$_\E\b.*\b$people{$_}\b/ } sort keys %people],
    [], "the README names each development person with the id the login gives";
