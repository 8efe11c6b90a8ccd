# SPDX-License-Identifier: Apache-2.0
# The reporter's web in a real browser (issue 5): headless Chromium driven
# by playwright-core, with axe-core (t/browser/run.mjs).  The browser walks
# the pages in bokmål, nynorsk and English, with and without script: the
# choice of municipality, the login at the ID-porten stand-in, both forms
# with their errors, the check page before sending with its change
# buttons, "Bytt kommune" and "Legg til et barn" keeping text and focus,
# errors across a language switch, a nynorsk session's receipt (issue 14),
# the receipt and its PDF copy, a login that runs out
# mid-form, double submits, the keyboard; and checks every page state with
# axe-core (WCAG 2.1 A/AA), for sideways scrolling at 320 CSS px and at
# 400 % zoom, and for Content-Security-Policy violations.  Screenshots of
# every state go to t/logs/screenshots/.
#
# This side then checks that each report arrived sealed: it fetches it as
# the district's case system (t/lib/BkmCaseSystem.pm), decrypts it with
# openssl cms, and compares it with what the browser typed and the receipt
# showed; the public reporters' PDF copies go through pdftotext.
#
# The plan is the browser's checks plus a fixed number per report, counted
# after the browser has run and before the first test is printed.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url db_rows json_of slurp start_node stop_node);
use BkmCaseSystem;
use Encode qw(decode_utf8 encode_utf8);
use File::Path qw(make_path remove_tree);
use JSON::PP;
use POSIX qw(setsid WNOHANG);
use Time::HiRes qw(time sleep);

# Names and diagnostics carry what was typed (æøå, Sami letters): printed
# as UTF-8 bytes (Test2's formatter keeps handles of its own, so binmode on
# Test::More's would not reach it).
sub u { encode_utf8($_[0] // '') }

my $root = root();
my $base = base_url();
my $pki = "$root/t/dev/pki";
my $out = "$root/t/logs/browser";
my $shots = "$root/t/logs/screenshots";
my $runlog = "$out/run.log";

remove_tree($out, $shots);
make_path($out, $shots);

sub count { (db_rows('SELECT COUNT(*) FROM bkm_melding'))[0][0] }

# What makes a run possible at all (make integration installs both).
my @missing = grep { !-e $_->[0] } (
    ['/usr/bin/chromium', 'Debian\'s chromium (build/install-deps)'],
    ["$root/t/browser/node_modules/playwright-core/package.json",
     'npm ci in t/browser (make integration does it)'],
    ["$root/t/browser/node_modules/axe-core/axe.min.js", 'axe-core (npm ci in t/browser)'],
);

# A second node whose login sessions end after ten idle seconds: a
# genuinely expired session (the stand-in accepts its redirect URI, t/TEST).
my $node2 = @missing ? undef : eval {
    start_node('browser-node', $ENV{BKM_BROWSER_NODE_PORT},
               'OIDCSessionInactivityTimeout 10');
};
my $node2_error = $@;
my $owner = $$;
END {
    local $?;
    stop_node('browser-node') if $node2 && $$ == $owner;
}

my ($exit, $seconds, $results) = (undef, 0, undef);
my $before = count();
if (!@missing) {
    my $t0 = time;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        setsid();
        open STDOUT, '>', $runlog or die "$runlog: $!";
        open STDERR, '>&', \*STDOUT;
        $ENV{BKM_BROWSER_NODE2} = $node2 if $node2;
        exec 'node', "$root/t/browser/run.mjs", $base, $out, $shots
            or die "exec node: $!";
    }
    # It takes about a minute; a run that hangs is stopped after five.
    my $limit = $t0 + 300;
    while (1) {
        my $w = waitpid $pid, WNOHANG;
        if ($w == $pid) { $exit = $? >> 8; last }
        if (time > $limit) {
            kill 'TERM', -$pid;
            sleep 2;
            kill 'KILL', -$pid;
            waitpid $pid, 0;
            $exit = 'timeout';
            last;
        }
        sleep 0.25;
    }
    $seconds = time - $t0;
    $results = eval { JSON::PP->new->utf8->decode(slurp("$out/results.json")) };
}
my $after = count();

# ---- the plan -----------------------------------------------------------

my @keys = ((map { ("privat-$_", "offentlig-$_") } qw(nb nn en)),
            qw(utlopt dobbel dobbel-samtidig dobbel-utenjs utenjs),
            qw(se-over-1280 se-over-375 nynorsk),
            $node2 ? 'utlopt-node' : ());
my %per = (privat => 6, offentlig => 9);
my $type_of = sub { $_[0] =~ /^offentlig/ ? 'offentlig' : 'privat' };
my @checks = $results ? @{ $results->{checks} } : ();
plan tests => 2 + @checks + 1 + (sum0(map { $per{$type_of->($_)} } @keys));

sub sum0 { my $s = 0; $s += $_ for @_; $s }

ok !@missing && defined $exit && $exit eq '0' && $results,
    sprintf('the browser run finished (%.0f s; t/logs/browser/run.log)', $seconds)
    or diag(@missing ? 'missing: ' . join(', ', map { $_->[1] } @missing)
            : u("node exit " . ($exit // '?') . "\n" . tail($runlog, 30)));
ok $node2, 'a second node with ten-second login sessions started'
    or diag "not started: $node2_error";

for my $c (@checks) {
    ok $c->{ok}, u($c->{name}) or diag u($c->{diag});
}

# ---- each report, as the district's case system receives it --------------

my %cs;
sub case_system {
    my ($bydel) = @_;
    return $cs{$bydel} //= BkmCaseSystem->new(base => $base,
        name => "fagsystem-0301-$bydel",
        key => "$pki/0301-$bydel-fagsystem.key",
        cert => "$pki/0301-$bydel-fagsystem.pem");
}

# The message of report $id on the case system's list; older messages of
# other tests that fill the list (100 at a time) are receipted away.
sub find_message {
    my ($cs, $id) = @_;
    for (1 .. 20) {
        my ($res, $list) = $cs->list;
        return undef unless $res->code == 200 && $list;
        my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @$list;
        return $m if $m;
        return undef unless json_of($res)->{flere};
        for (@$list) {
            $cs->fetch($_->{meldingId});    # no receipt without it
            $cs->answer($_->{meldingId}, 'mottatt');
        }
    }
    return undef;
}

sub at_path {
    my ($doc, $name) = @_;
    my $x = $doc;
    for my $seg (split /\./, $name) {
        if (ref $x eq 'ARRAY' && $seg =~ /^\d+$/) { $x = $x->[$seg] }
        elsif (ref $x eq 'HASH') { $x = $x->{$seg} }
        else { return undef }
    }
    return $x;
}

sub norm { my $s = shift // ''; $s =~ s/\s+/ /g; $s =~ s/^ | $//g; $s }

my %ids;
for my $key (@keys) {
    my $r = $results ? $results->{reports}{$key} : undef;
    my $type = $type_of->($key);
    my $id = $r && $r->{id} && $r->{id} =~ /^[0-9a-f-]{36}$/ ? $r->{id} : undef;
    $ids{$id} = 1 if $id;
    ok $id && $r->{referanse}, "$key: the browser sent it and read its receipt"
        or diag 'no report from the browser';
    $r //= { fields => {}, bydel => '01', versjon => 2 };

    my @rows = $id ? db_rows("SELECT referanse, kommunenummer, bydelsnummer "
                             . "FROM bkm_melding WHERE id = '$id'") : ();
    is_deeply \@rows, [[$r->{referanse} // '', '0301', $r->{bydel}]],
        "$key: stored once, with the receipt's reference number, for 0301/$r->{bydel}";

    my $cs = case_system($r->{bydel});
    my $m = $id ? find_message($cs, $id) : undef;
    my $want_type = "no.ks.fiks.bekymringsmelding.$type.v$r->{versjon}";
    ok $m && $m->{meldingType} eq $want_type,
        "$key: on 0301/$r->{bydel}'s case system's list as $want_type"
        or diag $m ? "type $m->{meldingType}" : 'not on the list';

    my $report;
    if ($m) {
        my $res = $cs->fetch($m->{meldingId});
        my $zip = $res->code == 200 ? $cs->open_message($res->content) : undef;
        $report = $zip ? $cs->report_of($zip) : undef;
        $cs->answer($m->{meldingId}, 'mottatt') if $report;
    }
    ok ref $report eq 'HASH', "$key: fetched and opened with openssl cms";
    $report //= {};

    my @diff;
    for my $name (sort keys %{ $r->{fields} }) {
        my $got = at_path($report, $name);
        $got = $got ? 'ja' : 'nei' if JSON::PP::is_bool($got);
        push @diff, "$name: typed \"$r->{fields}{$name}\", arrived "
            . (defined $got ? "\"$got\"" : 'nothing')
            if !defined $got || ref $got || $got ne $r->{fields}{$name};
    }
    # andreSynspunkter exists from version 2 of the public form only.
    push @diff, 'melding.andreSynspunkter in a version 1 report'
        if $type eq 'offentlig' && $r->{versjon} < 2
        && defined at_path($report, 'melding.andreSynspunkter');
    my $n = keys %{ $r->{fields} };
    ok %$report && $n >= 8 && !@diff,
        "$key: every value typed ($n fields) arrived as typed"
        or diag u(join "\n", @diff);
    is u(at_path($report, "${type}Melder.personnavn")), u($r->{melder}),
        "$key: the reporter's name is the login's";

    next unless $type eq 'offentlig';
    my $pdf = $r->{pdf} && -f $r->{pdf} ? slurp($r->{pdf}) : '';
    ok substr($pdf, 0, 5) eq '%PDF-', "$key: the receipt's copy is a PDF";
    my $text = '';
    if ($pdf) {
        open my $fh, '-|', 'pdftotext', '-enc', 'UTF-8', $r->{pdf}, '-'
            or die "pdftotext: $!";
        $text = norm(decode_utf8(do { local $/; <$fh> } // ''));
        close $fh;
    }
    ok $r->{referanse} && index($text, $r->{referanse}) >= 0,
        "$key: the copy has the reference number";
    my @absent = grep { index($text, norm($r->{fields}{$_})) < 0 }
                 grep { $r->{fields}{$_} !~ /^(ja|nei|)$/ }
                 sort keys %{ $r->{fields} };
    ok $text && !@absent, "$key: the copy has every text typed"
        or diag u(join "\n", map { "$_: \"$r->{fields}{$_}\"" } @absent);
}

is $after - $before, scalar(keys %ids),
    'exactly one report stored per receipt the browser saw (double clicks, '
    . 'Enter in a field, a resent post and reloads stored nothing more)';

note sprintf 'browser run: %.0f s (%s)', $seconds,
    join ', ', map { "$_ $results->{timings}{$_} ms" }
    sort keys %{ $results->{timings} } if $results;

sub tail {
    my ($f, $n) = @_;
    open my $fh, '<:encoding(UTF-8)', $f or return "($f: $!)";
    my @l = <$fh>;
    return join '', @l[($#l - $n + 1 < 0 ? 0 : $#l - $n + 1) .. $#l];
}
