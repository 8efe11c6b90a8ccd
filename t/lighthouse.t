# SPDX-License-Identifier: Apache-2.0
# Fast pages on a phone (issue 14, item 6): Lighthouse (t/lighthouse,
# pinned in its lockfile) audits every citizen page in Debian's Chromium
# with its default mobile emulation, and each page must score 100 in
# accessibility and in best practices and at least 95 in performance.
# The pages behind the login are audited with the cookies of a login the
# test makes itself (the ID-porten stand-in), and must be those pages, not
# the login's.  Scores and what held them
# down are in t/logs/lighthouse/ (results.json, one report per page).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url login_ua login slurp spit);
use File::Path qw(make_path remove_tree);
use JSON::PP;
use POSIX qw(setsid WNOHANG);
use Time::HiRes qw(time sleep);

my $root = root();
my $base = base_url();
my $out = "$root/t/logs/lighthouse";
my %floor = (performance => 95, accessibility => 100, 'best-practices' => 100);

my @missing = grep { !-e $_->[0] } (
    ['/usr/bin/chromium', "Debian's chromium (build/packages.txt)"],
    ["$root/t/lighthouse/node_modules/lighthouse/package.json",
     'lighthouse (npm ci in t/lighthouse; make integration does it)'],
);
plan skip_all => 'missing: ' . join(', ', map { $_->[1] } @missing) if @missing;

remove_tree($out);
make_path($out);

# The cookies of a logged-in person, for the browser (127.0.0.1).
my $ua = login_ua();
my $res = login($ua, '/privat/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
my @cookies;
$ua->cookie_jar->scan(sub {
    my (undef, $name, $value, $path, $domain) = @_;
    push @cookies, { name => $name, value => $value, path => $path }
        if $domain =~ /^127\.0\.0\.1(\.local)?$/;
});
$ENV{COOKIES} = JSON::PP->new->encode(\@cookies);

# Every citizen page a person can reach: before the login, then behind it.
my @pages = (
    { name => 'forside', path => '/' },
    { name => 'velg-privat', path => '/privat' },
    { name => 'velg-offentlig', path => '/offentlig' },
    { name => 'status', path => '/status' },
    { name => 'forside-en', path => '/?sprak=en' },
    { name => 'skjema-privat', path => '/privat/skjema?kommune=0301&bydel=01'},
    { name => 'skjema-offentlig', path => '/offentlig/skjema?kommune=0301&bydel=01'},
    { name => 'meg', path => '/meg'},
);
spit("$out/pages.json", JSON::PP->new->canonical->encode(\@pages));

my ($exit, $t0) = (undef, time);
my $pid = fork // die "fork: $!";
if (!$pid) {
    setsid();
    open STDOUT, '>', "$out/run.log" or die "$out/run.log: $!";
    open STDERR, '>&', \*STDOUT;
    exec 'node', "$root/t/lighthouse/run.mjs", $base, $out, "$out/pages.json"
        or die "exec node: $!";
}
# About 15 s a page; a run that hangs is stopped after ten minutes.
while (1) {
    my $w = waitpid $pid, WNOHANG;
    if ($w == $pid) { $exit = $? >> 8; last }
    if (time > $t0 + 600) {
        kill 'TERM', -$pid;
        sleep 2;
        kill 'KILL', -$pid;
        waitpid $pid, 0;
        $exit = 'timeout';
        last;
    }
    sleep 0.5;
}
my $results = eval { JSON::PP->new->utf8->decode(slurp("$out/results.json")) };

plan tests => 2 + 4 * @pages;
ok $res->is_success && grep({ $_->{name} =~ /^mod_auth_openidc_session/ } @cookies),
    'logged in for the pages behind the login' or diag $res->status_line;
ok defined $exit && $exit eq '0' && $results,
    sprintf('Lighthouse ran (%.0f s; t/logs/lighthouse/run.log)', time - $t0)
    or diag "exit " . ($exit // '?') . "\n" . (eval { slurp("$out/run.log") } // '');
for my $p (@pages) {
    my $r = $results && $results->{ $p->{name} } || {};
    is $r->{finalUrl}, "$base$p->{path}", "$p->{name}: Lighthouse audited the page itself";
    for my $c (sort keys %floor) {
        my $score = $r->{$c} // -1;
        ok $score >= $floor{$c}, "$p->{name} ($p->{path}): $c $score >= $floor{$c}"
            or diag join "\n", grep { /^\Q$c\E:/ } @{ $r->{failing} || [] };
    }
}
