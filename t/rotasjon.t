# SPDX-License-Identifier: Apache-2.0
# Key rotation without a gap (issue 16, item 5).  District 0301/01 gets a
# current certificate A and a next one B that overlap (the registry lists
# both; their validity is the certificates' own).  Reports are posted by a
# few clients at once while the test clock crosses into B's validity; each
# is then fetched and opened with `openssl cms -decrypt` with the key of
# the certificate its recipient info names (issuer and serial): every one
# opens, each with the key it was sealed for -- A's before B starts, B's
# after -- and none with the other.  The keys endpoint lists both during
# the overlap, a stored-receipt signed with either verifies (and one by B
# before B is valid does not), and the escalation pass raises the ALERT
# before A expires.  Runs on a node of its own (the suite's registry
# stays as it is), on the suite's database.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login json_of db_rows dev_token spit slurp
               start_node stop_node openssl_decrypt);
use BkmCaseSystem;
use JSON::PP;
use POSIX qw(strftime);
use LWP::UserAgent;

my $CLIENTS = 4;
my $PER_CLIENT = 6;
plan tests => 12 + 2 * $CLIENTS * $PER_CLIENT;

my $json = JSON::PP->new->utf8->canonical;
my $dir = root() . '/t/dev/rotasjon-pki';
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";

# ---- A and B, with the dates of a rotation ------------------------------
my $now = time;
my $T_B = $now + 10 * 86400;             # B starts: the switch
my %cert = (
    A => [$now - 2 * 86400, $now + 20 * 86400],
    B => [$T_B, $now + 400 * 86400],
);
sub stamp { strftime('%Y%m%d%H%M%SZ', gmtime $_[0]) }
spit("$dir/index.txt", '');
spit("$dir/serial", "1001\n");
spit("$dir/ca.cnf", <<"CNF");
[ca]
default_ca = d
[d]
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = supplied
CNF
for my $n (sort keys %cert) {
    system("openssl req -new -newkey rsa:2048 -nodes -subj "
         . "'/CN=rotasjon $n' -keyout $dir/$n.key -out $dir/$n.csr "
         . "2>/dev/null") == 0 or die "openssl req $n";
    system("openssl ca -batch -notext -selfsign -config $dir/ca.cnf "
         . "-keyfile $dir/$n.key -in $dir/$n.csr -out $dir/$n.pem "
         . "-startdate " . stamp($cert{$n}[0]) . " -enddate "
         . stamp($cert{$n}[1]) . " >/dev/null 2>&1") == 0
        or die "openssl ca $n";
    chmod 0600, "$dir/$n.key";
}
my %serial = map {
    my $s = `openssl x509 -in $dir/$_.pem -noout -serial`;
    $s =~ s/^serial=//; chomp $s;
    ($_ => lc $s);
} keys %cert;

# ---- the node: the suite's registry with 0301/01 rotating ---------------
my $reg = $json->decode(slurp(root() . '/t/dev/registry.json'));
for my $k (@{ $reg->{kommuner} }) {
    $k->{kommunenummer} eq '0301' or next;
    for my $b (@{ $k->{bydeler} }) {
        $b->{bydelsnummer} eq '01' or next;
        $b->{sertifikater}{fagsystem} = ["$dir/A.pem", "$dir/B.pem"];
        $b->{kvitteringssertifikater} = ["$dir/A.pem", "$dir/B.pem"];
    }
}
# Beside the suite's (its relative paths name t/dev/pki).
my $regfile = root() . '/t/dev/registry-rotasjon.json';
spit($regfile, $json->encode($reg));
my $port = $ENV{BKM_BROWSER_NODE_PORT} // 9098;
my $node = start_node('rotasjon', $port,
                      "BekymringRegistry $regfile");
END { stop_node('rotasjon') }
my $clock = sub { ('Bkm-Test-Klokke' => int($_[0] * 1_000_000)) };

# ---- the keys endpoint ----------------------------------------------------
my @producer = dev_token('produsent');
my $ua = LWP::UserAgent->new(timeout => 60);
sub keys_at {
    my ($t) = @_;
    my $res = $ua->get("$node/bekymringsmelding/api/v2/mottak/fagsystem/"
                       . "0301/01/krypteringsnokler", @producer, $clock->($t));
    return json_of($res) // die 'keys: ' . $res->status_line;
}
sub listed {
    my ($k) = @_;
    return join ' ', map { ($_->{subjectDN} =~ /rotasjon (\w)/)[0]
                           . ($_->{forsegler} ? '*' : '') }
                     @{ $k->{fiksIOOffentligeNokler} };
}
is(listed(keys_at($T_B - 86400)), 'A* B',
   'before the switch: A seals, B is published as the next');
my $k = keys_at($T_B + 86400);
is(listed($k), 'A B*', 'in the overlap: both published, B seals');
like($k->{fiksIOOffentligNokkel}{subjectDN}, qr/rotasjon B/,
     "the incumbent's member names the key that seals now");
is(listed(keys_at($cert{A}[1] + 86400)), 'B*',
   'after A expired: only B');

# ---- reports under load while the clock crosses into B ------------------
my $login = login_ua();
login($login, "$node/meg", 'kari', 'substantial');
my $out = "$dir/posted";
my @pids;
for my $c (1 .. $CLIENTS) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open my $fh, '>', "$out.$c" or die;
        for my $i (1 .. $PER_CLIENT) {
            # From 3 s before the switch to 2.5 s after, interleaved.
            my $t = $T_B - 3 + ($i - 1) + $c * 0.1;
            my $res = $login->post(
                "$node/bekymringsmelding/api/v2/mottak/skjema/privat",
                'Content-Type' => 'application/json',
                Accept => 'application/json', $clock->($t),
                Content => $json->encode({
                    kommunenummer => '0301', bydelsnummer => '01',
                    privatMelder => { personnavn => 'x' },
                    privatBarn => [ { personnavn => "Barn $c-$i",
                        adresse => { adresselinje1 => 'Storgata 3' } } ],
                    melding => "Rotasjon $c-$i" }));
            my $j = $res->code == 201 ? json_of($res) : undef;
            print $fh ($j ? $j->{uuid} : 'FEIL ' . $res->code), " $t\n";
        }
        close $fh;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;
my @posted = map { [split ' '] } map { split /\n/, slurp("$out.$_") }
             1 .. $CLIENTS;
is(scalar(grep { $_->[0] !~ /^FEIL/ } @posted), $CLIENTS * $PER_CLIENT,
   'every report posted under load was accepted');

my $cs = BkmCaseSystem->new(base => $node, name => 'fagsystem-0301-01',
    key => "$dir/A.key", cert => "$dir/A.pem");
my $konto = $cs->konto;
my (%seen, %by_key);
for my $p (@posted) {
    my ($uuid, $t) = @$p;
    my $want = $t < $T_B ? 'A' : 'B';
    my $other = $want eq 'A' ? 'B' : 'A';
    my ($mid) = map { $_->[0] } db_rows("SELECT id FROM bkm_leveranse "
        . "WHERE melding_id = '$uuid' AND konto_id = '$konto'");
    my $res = $cs->fetch($mid // 'none');
    my $der = $res->content;
    # Which certificate the recipient info names (issuer and serial).
    spit("$dir/m.der", $der);
    my $printed = `openssl cms -cmsout -print -inform DER -in $dir/m.der`;
    my ($issuer) = $printed =~ /issuer:\s*CN=rotasjon (\w)/;
    my ($serial) = $printed =~ /serialNumber:\s*(\S+)/;
    $serial = sprintf('%x', $serial) if defined $serial && $serial !~ /^0x/;
    $serial =~ s/^0x// if defined $serial;
    my $named = defined $issuer && defined $serial
        && lc $serial eq $serial{$issuer} ? $issuer : '?';
    $by_key{$named}++;
    my $plain = openssl_decrypt($der, "$dir/$named.key", "$dir/$named.pem")
        if $named ne '?';
    ok($named eq $want && defined $plain && $plain =~ /^PK/,
       "report at switch" . sprintf('%+.1f', $t - $T_B)
       . " s names $want and opens with its key ($named)");
    ok(!defined openssl_decrypt($der, "$dir/$other.key", "$dir/$other.pem"),
       "and not with ${other}'s");
    $seen{$uuid} = { meldingId => $mid, bekymringsmeldingId => $uuid,
                     der => $der };
}
ok($by_key{A} && $by_key{B}, "both keys were used ($by_key{A} A, "
   . ($by_key{B} // 0) . " B)");

# ---- stored-receipts: either valid key verifies ---------------------------
my @ids = map { $_->[0] } @posted;
my $overlap = $T_B + 3600;
my $r1 = $seen{ $ids[0] };
my $res = $cs->answer($r1->{meldingId}, 'mottatt',
    $cs->stored_receipt($r1, $r1->{der}, 'SAK-A', key => "$dir/A.key"),
    $clock->($overlap));
is($res->code, 200, 'a stored-receipt signed with A verifies in the overlap')
    or diag $res->decoded_content;
my $r2 = $seen{ $ids[1] };
$res = $cs->answer($r2->{meldingId}, 'mottatt',
    $cs->stored_receipt($r2, $r2->{der}, 'SAK-B', key => "$dir/B.key"),
    $clock->($T_B - 3600));
is($res->code, 422, 'one signed with B before B is valid does not')
    or diag $res->decoded_content;
$res = $cs->answer($r2->{meldingId}, 'mottatt',
    $cs->stored_receipt($r2, $r2->{der}, 'SAK-B', key => "$dir/B.key"),
    $clock->($overlap));
is($res->code, 200, 'one signed with B verifies in the overlap')
    or diag $res->decoded_content;
for my $id (@ids[2 .. $#ids]) {
    $cs->answer($seen{$id}{meldingId}, 'mottatt');
}
is((db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE konto_id = '$konto' "
    . "AND melding_id IN ('" . join("','", @ids) . "') AND svar IS NULL"))[0][0],
   0, 'every rotation report receipted');

# ---- the alert before A expires --------------------------------------------
$res = $ua->post("$node/bekymring-drift/eskalering",
                 $clock->($cert{A}[1] - 5 * 86400));
is($res->code, 200, 'a pass five days before A expires');
my $log = slurp(root() . '/t/dev/rotasjon/error_log');
like($log, qr/BKM05201: ALERT sertifikat-utloper: 0301\/01 fagsystem: .*rotasjon A.*the next, serial/,
     'ALERT: A expires, B is in place (log tag BKM05201)');
