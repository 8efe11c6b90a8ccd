# SPDX-License-Identifier: Apache-2.0
# The tamper-evident trail (issue 16, item 4): events and audit rows made
# through the API and the pages are chained (recomputed here from the
# README's canonical bytes, independently of the module); the operator's
# page and build/out/bkm-kjede find every chain whole; a row edited or
# deleted with SQL is named; a timeline and the audit rewritten
# consistently pass the walk but not the head kept earlier (from /helse
# and the log).
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(login_ua login base_url db_rows root json_of error_log);
use BkmCaseSystem;
use Digest::SHA qw(sha256_hex);
use HTTP::Request::Common qw(POST);
use JSON::PP;
use LWP::UserAgent;

plan tests => 28;

my $base = base_url();
my $json = JSON::PP->new->utf8->canonical;
my $zero = '0' x 64;

# ---- the canonical bytes (README: "The tamper-evident trail") ----
sub enc {
    my ($f) = @_;
    return "-\n" if !defined $f || $f eq '';
    return length($f) . ":$f\n";        # bytes: db_rows reads bytes
}
sub row_hash {
    my ($kind, $prev, @f) = @_;
    return sha256_hex("bkm-kjede-1\n$kind\n" . join('', map { enc($_) } @f)
                      . "$prev\n");
}
my @ecols = qw(melding_id nr tidspunkt tilstand hendelse aktor beskrivelse);
my @acols = qw(nr id tidspunkt aktor handling kommunenummer melding_id begrunnelse);
sub events_of {
    my ($id) = @_;
    return db_rows('SELECT ' . join(', ', @ecols, 'kjede') . " FROM bkm_hendelse "
                   . "WHERE melding_id = '$id' ORDER BY nr");
}
sub audit_rows {
    return db_rows('SELECT ' . join(', ', @acols, 'kjede') . ' FROM bkm_revisjon '
                   . 'ORDER BY nr');
}
# Whether each row's hash is what the README's bytes give.
sub chain_ok {
    my ($kind, @rows) = @_;
    my $prev = $zero;
    for my $r (@rows) {
        my $k = pop @$r;
        return 0 unless row_hash($kind, $prev, @$r) eq $k;
        $prev = $k;
    }
    return 1;
}

# ---- events and audit rows through the API and the pages ----
my $reporter = login_ua();
login($reporter, '/meg', 'kari', 'substantial');
sub report {
    my $res = $reporter->post("$base/bekymringsmelding/api/v2/mottak/skjema/privat",
        'Content-Type' => 'application/json', Accept => 'application/json',
        Content => $json->encode({ kommunenummer => '0301', bydelsnummer => '01',
            privatMelder => { personnavn => 'x' },
            privatBarn => [ { personnavn => 'Barn', adresse => { adresselinje1 => 'Gate 1' } } ],
            melding => 'Bekymret.' }));
    return (json_of($res) // {})->{uuid};
}
my ($ra, $rb) = (report(), report());
ok $ra && $rb, 'two reports';
my %ua;
for my $p (qw(kari per)) {
    $ua{$p} = login_ua();
    login($ua{$p}, '/kommune', $p, 'substantial');
}
my $csrf = ($ua{kari}->get("$base/privat/skjema?kommune=0301")->decoded_content
            =~ /name="csrf" value="([0-9a-f]{64})"/)[0] // '';
# The district's case system fetches report a: an administrator may put
# back in the queue only what someone fetched (issue 14).
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => root() . '/t/dev/pki/0301-01-fagsystem.key',
    cert => root() . '/t/dev/pki/0301-01-fagsystem.pem');
# By its message id (the list shows the oldest 100 waiting, and earlier
# files of the suite leave more than that for this account).
my ($lev) = db_rows("SELECT id FROM bkm_leveranse WHERE melding_id = '"
                    . ($ra // '') . "' AND mottaker = 'fagsystem'");
$cs->fetch($lev->[0]) if $lev;
my $res = $ua{kari}->request(POST "$base/kommune/0301/melding/$ra/handling",
    # (not "handtert": that asks for a confirmation first; putting it back
    # in the queue is an action too)
    [csrf => $csrf, handling => 'tilbake', begrunnelse => 'Sendes på nytt']);
cmp_ok $res->code, '<', 400, 'an action (event + audit row)';
my @ea = events_of($ra);
is scalar(@ea), 3, 'report a: three events (received, fetched, back)';
ok chain_ok('hendelse', events_of($ra)), 'its chain recomputed from the README';
ok chain_ok('hendelse', events_of($rb)), 'so is b\'s';
ok chain_ok('revisjon', audit_rows()), 'and the audit\'s';

# The pass anchors them and logs the head; /helse shows it.
my $pass = LWP::UserAgent->new->post("$base/bekymring-drift/eskalering");
is $pass->code, 200, 'the escalation pass';
my $helse = json_of(LWP::UserAgent->new->get("$base/helse"));
my $kept = "$helse->{kjede}{nr}:$helse->{kjede}{hode}";
like $kept, qr/^\d+:[0-9a-f]{64}$/, "/helse shows the head $kept";
like error_log(), qr/BKM05000: trail anchor: audit chain head \Q$kept\E/,
    'the log has it too';
my ($anchor) = db_rows("SELECT nr, begrunnelse FROM bkm_revisjon WHERE "
                       . "handling = 'KJEDEANKER' ORDER BY nr DESC");
is $anchor->[0], $helse->{kjede}{nr}, 'the head is the anchor row';

# ---- the check: page and command ----
my @cmd = (root() . '/build/out/bkm-kjede',
           $ENV{TEST_PGSQL}
           ? ('pgsql', "host=127.0.0.1 port=$ENV{BKM_PG_PORT} dbname=bekymring user=bekymring")
           : ('sqlite3', root() . '/t/dev/db/test.sqlite'));
sub command {
    open my $fh, '-|', @cmd, @_ or die "@cmd: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, $out);
}
sub page { $ua{per}->get("$base/kommune/kjede" . (@_ ? "?anker=$_[0]" : ''))->decoded_content }
is $ua{kari}->get("$base/kommune/kjede")->code, 404, 'only the operator has the page';
like page(), qr/id="kjede-ok"/, 'the page: every chain holds';
my ($rc, $out) = command($kept);
is $rc, 0, "the command: OK with the kept head ($out)";
ok $out =~ /read: (\d+) events in (\d+) timelines/ && $1 >= 3 && $2 >= 2,
    'it read every event of both timelines';

# ---- a row edited with SQL ----
my $orig = $ea[1][6];
db_rows("UPDATE bkm_hendelse SET beskrivelse = 'Noe annet' WHERE melding_id = '$ra' AND nr = 2");
($rc, $out) = command();
is $rc, 1, 'edited: the command fails';
like $out, qr/BROKEN: hendelse \Q$ra\E nr 2: .*changed/, 'naming the row';
like page(), qr{<td>hendelse</td><td>\Q$ra\E</td><td>2</td>}, 'so does the page';
db_rows("UPDATE bkm_hendelse SET beskrivelse = '$orig' WHERE melding_id = '$ra' AND nr = 2");
is((command())[0], 0, 'put back: whole again');

# ---- a row deleted ----
my @cols = (@acols, 'kjede');
my ($gone) = db_rows('SELECT ' . join(', ', @cols) . ' FROM bkm_revisjon WHERE nr = 1');
db_rows("DELETE FROM bkm_revisjon WHERE nr = 1");
($rc, $out) = command();
is $rc, 1, 'an audit row deleted: the command fails';
like $out, qr/BROKEN: revisjon nr 1: missing/, 'naming the missing nr';
like page(), qr{<td>revisjon</td><td>–</td><td>1</td>}, 'so does the page';
db_rows('INSERT INTO bkm_revisjon (' . join(', ', @cols) . ') VALUES ('
        . join(', ', map { $_ eq '' ? 'NULL' : "'$_'" } @$gone) . ')');

# ---- a timeline and the audit rewritten consistently ----
db_rows("UPDATE bkm_hendelse SET beskrivelse = 'Noe annet' WHERE melding_id = '$ra' AND nr = 2");
my $prev = $zero;
for my $r (events_of($ra)) {
    pop @$r;
    my $h = row_hash('hendelse', $prev, @$r);
    db_rows("UPDATE bkm_hendelse SET kjede = '$h' WHERE melding_id = '$ra' AND nr = $r->[1]");
    $prev = $h;
}
($rc, $out) = command();
like $out, qr/BROKEN: revisjon nr $anchor->[0]: an anchor/, 'a timeline rehashed: its anchor catches it';
# ... so the anchors are recomputed, and the whole audit chain and its
# head.
for my $k (map { $_->[0] } db_rows("SELECT nr FROM bkm_revisjon WHERE handling = 'KJEDEANKER'")) {
    my @ev = sort { $a->[0] cmp $b->[0] || $a->[1] <=> $b->[1] }
        db_rows("SELECT melding_id, nr, kjede FROM bkm_hendelse WHERE anker = $k");
    my $d = sha256_hex(join '', map { "$_->[0] $_->[1] " . ($_->[2] || '-') . "\n" } @ev);
    db_rows("UPDATE bkm_revisjon SET begrunnelse = 'hendelser=" . scalar(@ev)
            . " sha256=$d' WHERE nr = $k");
}
$prev = $zero;
my $last = 0;
for my $r (audit_rows()) {
    pop @$r;
    my $h = row_hash('revisjon', $prev, @$r);
    db_rows("UPDATE bkm_revisjon SET kjede = '$h' WHERE nr = $r->[0]");
    ($prev, $last) = ($h, $r->[0]);
}
db_rows("UPDATE bkm_kjede SET nr = $last, hode = '$prev' WHERE navn = 'revisjon'");
($rc, $out) = command();
is $rc, 0, 'rewritten consistently: the walk alone finds nothing';
like page(), qr/id="kjede-ok"/, 'nor does the page';
($rc, $out) = command($kept);
is $rc, 1, 'the head kept earlier does';
like $out, qr/BROKEN: revisjon nr \Q$helse->{kjede}{nr}\E: the anchor kept outside/,
    'naming it';
like page($kept), qr/id="kjede-brudd"/, 'so does the page with ?anker=';
is $ua{per}->get("$base/kommune/kjede?anker=x")->code, 400, 'a malformed anchor: 400';
