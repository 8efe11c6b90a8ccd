# SPDX-License-Identifier: Apache-2.0
# Reminders before letter post (issue 16, item 6): at 75 % of a report's
# deadline the escalation pass mails its district's contact once -- the
# reference, the district, the deadline and the administration's link,
# never the content -- the reminder is on the timeline and in the
# overview, a second pass sends nothing more, and letter post still
# follows at the deadline.  A node of its own has a registry with a
# contact for 0301/16 and a fake sendmail (t/fake-sendmail, the local mail
# sink); time is driven with Bkm-Test-Klokke.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows slurp spit
               start_node stop_node);
use JSON::PP;
use LWP::UserAgent;
use POSIX ();
use Time::Local qw(timegm);

plan tests => 25;

my $base = base_url();
my $dev = root() . '/t/dev';
my $json = JSON::PP->new->utf8->canonical;
my $ops = LWP::UserAgent->new(timeout => 120);
my $kontakt = 'barnevern-sentrum@oslo.example';

sub clock { ('Bkm-Test-Klokke' => sprintf('%.0f', $_[0])) }

# ---- a node whose registry has a contact for 0301/16 ----------------------
my $reg = JSON::PP->new->decode(slurp("$dev/registry.json"));
for my $k (@{ $reg->{kommuner} }) {
    next unless $k->{kommunenummer} eq '0301';
    for (@{ $k->{bydeler} }) {
        $_->{kontaktEpost} = $kontakt if $_->{bydelsnummer} eq '16';
    }
}
spit("$dev/registry-paminnelse.json", JSON::PP->new->encode($reg));
my $sink = "$dev/paminnelse/mail.out";
my $node = start_node('paminnelse', $ENV{BKM_NODE3_PORT} // 9096,
    "BekymringRegistry $dev/registry-paminnelse.json",
    'BekymringEscalationInterval off',
    'BekymringReminderAt 75%',
    'BekymringSendmail ' . root() . "/t/fake-sendmail $sink -t -i");
my $owner = $$;
END { local $?; stop_node('paminnelse') if $node && $$ == $owner; }
ok $node, 'the node with a contact for 0301/16 runs';

# ---- a report to 0301/16 on a Monday morning -------------------------------
my $t0 = timegm(0, 0, 9, 3, 1, 2031) * 1e6;    # Monday 3 February 2031
my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
my $res = $ua->post("$base/bekymringsmelding/api/v2/mottak/skjema/privat",
    'Content-Type' => 'application/json', Accept => 'application/json',
    clock($t0), Content => $json->encode({
        kommunenummer => '0301', bydelsnummer => '16',
        privatMelder => { personnavn => 'Kari Nordmann',
                          telefonnummer => '99999999' },
        privatBarn => [ { personnavn => 'Ola Barnesen', antattAlder => '7',
            adresse => { adresselinje1 => 'Hemmeliggata 3',
                         postnummer => '0155', poststed => 'Oslo' } } ],
        melding => 'Innholdet som aldri skal i en e-post.' }));
is $res->code, 201, 'report accepted';
my $id = json_of($res)->{uuid};
my ($ref, $frist) = @{ (db_rows("SELECT referanse, frist FROM bkm_melding "
                                . "WHERE id = '$id'"))[0] };
is $frist - $t0, 40 * 3600 * 1e6, 'its deadline: 40 business hours';
my $at75 = $t0 + 0.75 * ($frist - $t0);

sub pass_at {
    my ($t) = @_;
    my $r = $ops->post("$node/bekymring-drift/eskalering", clock($t));
    return json_of($r) // { error => $r->code };
}
sub mails {
    my @m = -e $sink ? grep { /\Q$ref\E/ } split /^=== mail/m, slurp($sink)
                     : ();
    return @m;
}
sub events {
    return map { $_->[0] } db_rows("SELECT hendelse FROM bkm_hendelse "
        . "WHERE melding_id = '$id' ORDER BY nr");
}

# ---- before 75 %: nothing ---------------------------------------------------
pass_at($at75 - 60e6);
is scalar(mails()), 0, 'a minute before 75 %: no mail';
ok !(grep { $_ eq 'PAMINNELSE_SENDT' } events()), 'nor an event';

# ---- at 75 %: one mail to the district's contact ----------------------------
my $p = pass_at($at75);
ok $p->{paminnelser} >= 1, 'the pass sent reminders';
my @m = mails();
is scalar(@m), 1, 'one mail for the report';
my $mail = $m[0] // '';
like $mail, qr/^To: \Q$kontakt\E$/m, "to the district's kontaktEpost";
like $mail, qr/args: -t -i/, 'sendmail got -t -i';
like $mail, qr/^Subject: =\?UTF-8\?B\?/m, 'an encoded subject';
like $mail, qr/^Referanse: \Q$ref\E$/m, 'the reference';
my $frist_nb = do {
    local $ENV{TZ} = 'Europe/Oslo';
    POSIX::tzset();
    my $s = POSIX::strftime('%d.%m.%Y kl. %H:%M', localtime($frist / 1e6));
    $s;
};
POSIX::tzset();
like $mail, qr/^Frist: \Q$frist_nb\E \(norsk tid\)$/m, 'the deadline';
like $mail, qr/Oslo kommune \(0301\), bydel Sentrum \(16\)/,
    'the municipality and district';
like $mail, qr{/kommune/0301/melding/\Q$id\E$}m,
    "a link to the report's administration page";
unlike $mail, qr/Ola|Barnesen|Kari|Nordmann|Hemmeliggata|Innholdet|99999999/,
    'no report content or names';
# A national id is 11 digits standing alone; ids in the link are UUIDs,
# whose hex may hold a run of digits by chance.
(my $bare = $mail) =~ s/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}//gi;
unlike $bare, qr/(?<!\d)\d{11}(?!\d)/, 'no national id number';
is scalar(grep { $_ eq 'PAMINNELSE_SENDT' } events()), 1,
    'PAMINNELSE_SENDT on the timeline';

# ---- the overview shows it -----------------------------------------------------
my ($sendt) = map { $_->[0] } db_rows("SELECT paminnelse_sendt FROM "
    . "bkm_melding WHERE id = '$id'");
ok $sendt, 'marked as reminded for its deadline';
my $tl = $ua->get("$base/kommune/0301?sok=$ref", Accept => 'text/html',
                  clock($at75 + 1e6));
like $tl->content, qr/Påminnelse om fristen sendt/,
    "on the administrator's timeline";
my $ov = $ua->get("$base/kommune/0301?bydel=16&fra=2031-02-03&til=2031-02-03",
                  Accept => 'text/html', clock($at75 + 1e6));
like $ov->content, qr/\Q$ref\E.*?Påminnelse sendt, fristen nærmer seg/s,
    "the administrator's overview shows the reminder";

# ---- the next passes: no second mail --------------------------------------------
pass_at($at75 + 60e6);
pass_at($frist - 1);
is scalar(mails()), 1, 'no second mail on the next passes';
is scalar(grep { $_ eq 'PAMINNELSE_SENDT' } events()), 1, 'nor event';

# ---- at 100 %: letter post as before ---------------------------------------------
$p = pass_at($frist);
ok $p->{eskalert} >= 1, 'the pass at the deadline escalates';
is((db_rows("SELECT tilstand FROM bkm_melding WHERE id = '$id'"))[0][0],
   'SENDT_PRINT', 'letter post at 100 %');
is scalar(mails()), 1, 'and no further mail';
