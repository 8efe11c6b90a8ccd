# SPDX-License-Identifier: Apache-2.0
# Receipts sent at the same moment (issue 11): mottatt and feilet posted in
# parallel for one message were both answered 200 (15 of 20 tries), and the
# timeline read KVITTERT then AVVIST_FAGSYSTEM while the state was LEVERT.
# The answer so far is now read and judged in the transaction that holds
# the report's row: of contradicting receipts exactly one wins, the others
# get 409 and are recorded; the same receipt from many at once is one
# event; a second feilet with another text is a contradiction, not a
# repeat that drops the text.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows);
use BkmCaseSystem;
use JSON::PP;

my $ROUNDS = 20;
plan tests => 2 + 5 * $ROUNDS + 7 + 9;

my $base = base_url();
my $pki = root() . '/t/dev/pki';
my $json = JSON::PP->new->utf8->canonical;
my $cs = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem");
my $print = BkmCaseSystem->new(base => $base, name => 'print',
    key => "$pki/print.key", cert => "$pki/print.pem");

my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');

sub report {
    my $res = $ua->post("$base/bekymringsmelding/api/v2/mottak/skjema/privat",
        'Content-Type' => 'application/json', Accept => 'application/json',
        Content => $json->encode({
            kommunenummer => '0301', bydelsnummer => '01',
            privatMelder => { personnavn => 'x' },
            privatBarn => [ { personnavn => 'Ola Barn',
                adresse => { adresselinje1 => 'Storgata 3' } } ],
            melding => 'Jeg er bekymret for Ola.' }));
    die 'report not accepted: ' . $res->decoded_content if $res->code != 201;
    return json_of($res)->{uuid};
}
sub waiting_for {
    my ($c, $id) = @_;
    my ($res, $list) = $c->list;
    my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
    return $m;
}
sub drain {
    my ($c) = @_;
    for (1 .. 100) {
        my ($res, $list) = $c->list;
        return 1 if $res->code == 200 && !@$list;
        for (@$list) {
            $c->fetch($_->{meldingId});     # no receipt without it
            $c->answer($_->{meldingId}, 'mottatt');
        }
    }
    return 0;
}
sub events {
    my ($id) = @_;
    return db_rows("SELECT hendelse, tilstand, beskrivelse FROM bkm_hendelse "
                   . "WHERE melding_id = '$id' ORDER BY nr");
}
sub state_of {
    my ($id) = @_;
    return (db_rows("SELECT tilstand FROM bkm_melding WHERE id = '$id'"))[0][0];
}
sub svar_of {
    my ($mid) = @_;
    return (db_rows("SELECT svar FROM bkm_leveranse WHERE id = '$mid'"))[0][0];
}
my $RECEIPT = qr/^(KVITTERT|AVVIST_FAGSYSTEM|LAGRING_VERIFISERT|SEN_KVITTERING)$/;

# Each receipt from its own process, all released at the same moment: the
# children block reading a pipe that the parent then closes.  The HTTP
# status and the body of each, in the order given.
sub at_once {
    my ($mid, @receipts) = @_;
    pipe my $go_r, my $go_w or die "pipe: $!";
    my @kids;
    for my $r (@receipts) {
        pipe my $out_r, my $out_w or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $go_w;
            close $out_r;
            my $ignored = <$go_r>;      # EOF: go
            my $res = $cs->answer($mid, @$r);
            print $out_w $json->encode([$res->code,
                                        json_of($res) // {}]);
            close $out_w;
            require POSIX;
            POSIX::_exit(0);            # no END blocks of the test harness
        }
        close $out_w;
        push @kids, [$pid, $out_r];
    }
    close $go_r;
    select undef, undef, undef, 0.3;    # all of them waiting on the pipe
    close $go_w;
    my @got;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $text = do { local $/; <$fh> };
        waitpid $k->[0], 0;
        push @got, eval { $json->decode($text) } // [0, {}];
    }
    return @got;
}

ok drain($cs), 'the case system caught up';
ok drain($print), 'the print provider caught up';

# ---- contradicting receipts at once: exactly one wins --------------------
my @contradicting = (['mottatt'], ['feilet', '{"melding": "Tekst A"}'],
                     ['feilet', '{"melding": "Tekst B"}']);
my %won;
for my $round (1 .. $ROUNDS) {
    my $id = report();
    my $m = waiting_for($cs, $id);
    $cs->fetch($m->{meldingId});    # mottatt counts only after it
    my @got = at_once($m->{meldingId}, @contradicting);
    my @codes = map { $_->[0] } @got;
    my @winners = grep { $codes[$_] == 200 } 0 .. $#got;
    is scalar(@winners), 1, "round $round: exactly one of mottatt, feilet "
        . 'A and feilet B is 200' or diag "codes @codes";
    is_deeply [sort map { $_->[0] } @got], [200, 409, 409],
        "round $round: the others 409" or diag "codes @codes";
    my @ev = events($id);
    my @receipts = grep { $_->[0] =~ $RECEIPT } @ev;
    my $refused = grep { $_->[0] eq 'KVITTERING_AVVIST' } @ev;
    is scalar(@receipts) . " $refused", '1 2', "round $round: one receipt "
        . 'event and two refusals on the timeline'
        or diag join ' ', map { $_->[0] } @ev;
    my $w = $winners[0] // -1;
    my ($expect_event, $expect_state, $expect_svar) = $w == 0
        ? ('KVITTERT', 'LEVERT', 'mottatt')
        : ('AVVIST_FAGSYSTEM', 'SENDT_PRINT', 'feilet');
    is join(' ', ($receipts[0] // [''])->[0], state_of($id),
            svar_of($m->{meldingId}) // ''),
        "$expect_event $expect_state $expect_svar",
        "round $round: state, answer and timeline agree with the winner"
        or diag join ' ', map { $_->[0] } @ev;
    my $text = $w == 1 ? 'Tekst A' : $w == 2 ? 'Tekst B' : undef;
    ok !defined $text || ($receipts[0] // ['', '', ''])->[2] =~ /\Q$text\E$/,
        "round $round: the winning feilet's text is the one recorded";
    $won{$w == 0 ? 'mottatt' : 'feilet'}++;
}
diag "winners: " . join ', ', map { "$_ $won{$_}" } sort keys %won;

# ---- the same receipt from many at once: one event -----------------------
{
    my $id = report();
    my $m = waiting_for($cs, $id);
    $cs->fetch($m->{meldingId});
    my @got = at_once($m->{meldingId}, map { ['mottatt'] } 1 .. 4);
    is_deeply [map { $_->[0] } @got], [200, 200, 200, 200],
        'the same mottatt four times at once: all 200';
    is scalar(grep { !$_->[1]{gjentatt} } @got), 1,
        'one of them first, the others "gjentatt"';
    is scalar(grep { $_->[0] =~ $RECEIPT } events($id)), 1,
        'one receipt event';
    is state_of($id), 'LEVERT', 'LEVERT';
}
{
    my $id = report();
    my $m = waiting_for($cs, $id);
    my @got = at_once($m->{meldingId},
                      map { ['feilet', '{"melding": "Samme"}'] } 1 .. 3);
    is_deeply [map { $_->[0] } @got], [200, 200, 200],
        'the same feilet three times at once: all 200';
    is scalar(grep { $_->[0] eq 'AVVIST_FAGSYSTEM' } events($id)), 1,
        'one AVVIST_FAGSYSTEM event';
    is scalar(grep { $_->[0] eq 'SENDT_PRINT' } events($id)), 1,
        'one print order';
}

# ---- feilet again, with another text --------------------------------------
{
    my $id = report();
    my $m = waiting_for($cs, $id);
    my $res = $cs->answer($m->{meldingId}, 'feilet',
                          '{"melding": "Kunne ikke lese"}');
    is $res->code, 200, 'feilet: 200';
    $res = $cs->answer($m->{meldingId}, 'feilet',
                       '{"melding": "Kunne ikke lese"}');
    ok $res->code == 200 && json_of($res)->{gjentatt},
        'the same text again: 200, gjentatt';
    my $n = scalar(events($id));
    $res = $cs->answer($m->{meldingId}, 'feilet',
                       '{"melding": "Mangler vedlegg"}');
    is $res->code, 409, 'another text: 409, not a repeat that drops it';
    is json_of($res)->{errorId}, 'motstridende-kvittering',
        'a contradicting receipt';
    my @ev = events($id);
    is scalar(@ev), $n + 1, 'recorded: one event more';
    is $ev[-1][0], 'KVITTERING_AVVIST', 'a refusal';
    unlike $ev[-1][2], qr/Mangler vedlegg/,
        'which does not copy the text';
    is scalar(grep { $_->[0] eq 'AVVIST_FAGSYSTEM' } @ev), 1,
        'the first feilet stands';
    is $cs->answer($m->{meldingId}, 'feilet', '{}')->code, 409,
        'and so is feilet without a text after one with';
}

# Leave no print jobs waiting for the tests after this one.
drain($print);
