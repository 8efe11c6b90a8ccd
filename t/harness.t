# SPDX-License-Identifier: Apache-2.0
# The suite's own machinery (t/TEST, t/lib/BkmHarness.pm, BkmTest's
# nodes): free ports that another run does not pick, every process of a
# run found by its tag and stopped, a node stopped when the test that
# started it ends, one run per checkout, and what httpd's children must
# reach reachable by them (the stage of a 0700 checkout).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root base_url start_node stop_node node_pid);
use BkmHarness qw(free_port release port_is_free port_range parse_tag
                  start_time tagged stop_processes can_reach);
use IO::Socket::INET;
use LWP::UserAgent;
use POSIX ();

plan tests => 29;

my $root = root();
my $ua = LWP::UserAgent->new(timeout => 5);

# `perl -e CODE` with the suite's library; (exit code, output).
sub perl_run {
    my ($code, %env) = @_;
    local @ENV{keys %env} = values %env;
    my $out = `$^X -I$root/t/lib -e '$code' 2>&1`;
    return ($? >> 8, $out);
}

# ---- ports -----------------------------------------------------------------

my @vars = qw(BKM_HTTPD_PORT BKM_OP_PORT BKM_NODB_PORT BKM_PG_PORT
              BKM_BROWSER_NODE_PORT BKM_NODE2_PORT BKM_NODE3_PORT
              BKM_BENCH_NODE_PORT);
my @ports = map { $ENV{$_} // 0 } @vars;
my %seen;
is scalar(grep { /^\d+$/ && $_ > 0 && !$seen{$_}++ } @ports), scalar(@vars),
    'every port of the run is set, and no two alike'
    or diag join ' ', map { "$_=" . ($ENV{$_} // '') } @vars;
is base_url(), "http://127.0.0.1:$ENV{BKM_HTTPD_PORT}",
    "Apache::Test's server listens on BKM_HTTPD_PORT";

# What t/TEST picked (not set in the environment) is held for the run:
# no other process can reserve it.
my @picked = split ' ', $ENV{BKM_PICKED_PORTS} // '';
my ($lo, $hi) = port_range();
SKIP: {
    skip 'every port was set in the environment', 2 unless @picked;
    is scalar(grep { $ENV{$_} >= $lo && $ENV{$_} <= $hi } @picked),
        scalar(@picked), "the picked ports lie in $lo-$hi";
    is scalar(grep { BkmHarness::reserve($ENV{$_}) } @picked), 0,
        'and t/TEST holds them: no other run can pick them';
}

my @mine = map { free_port() } 1 .. 20;
%seen = ();
is scalar(grep { !$seen{$_}++ } @mine), 20, 'free_port: 20 distinct ports';
is scalar(grep { port_is_free($_) && $_ >= $lo && $_ <= $hi } @mine), 20,
    'each free now, in the range';
is scalar(grep { my $p = $_; grep { $_ == $p } @ports } @mine), 0,
    "none of the run's";

# Another process (another checkout's run) cannot get a reserved port,
# gets it once released, and never one that something listens on.
my $p = $mine[0];
my $pick = 'use BkmHarness qw(free_port); print free_port()';
my ($rc, $out) = perl_run($pick, BKM_PORT_RANGE => "$p-$p");
isnt $rc, 0, 'a port reserved here: another process does not get it';
like $out, qr/no free port/, 'and says so';
release($p);
($rc, $out) = perl_run($pick, BKM_PORT_RANGE => "$p-$p");
is "$rc $out", "0 $p", 'released: the other process gets it';
my $busy = $mine[1];
release($busy);
my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $busy, Listen => 1, ReuseAddr => 1) or die "listen: $!";
($rc, $out) = perl_run($pick, BKM_PORT_RANGE => "$busy-$busy");
isnt $rc, 0, 'a port something listens on is not given';
close $listener;

# ---- the run's processes ---------------------------------------------------

my @tag = parse_tag($ENV{BKM_SUITE_RUN});
ok @tag && $tag[2] eq $root && (start_time($tag[0]) // '') eq $tag[1],
    'BKM_SUITE_RUN names the live t/TEST of this checkout';
my @run = tagged($ENV{BKM_SUITE_RUN});
ok scalar(grep { $_->{cmd} =~ m{apache2 .*-f \Q$root\E/t/conf/httpd\.conf} }
          @run), "Apache::Test's httpd carries the run's tag";
ok scalar(grep { $_->{cmd} =~ m{op\.mjs} } @run), 'and so does the stand-in';

# Dummy nodes as httpd starts them (detached: a new session, the starter
# gone), under names of their own within the run's tag (so that t/TEST
# stops them even if this test fails).
sub daemon {
    my ($tag) = @_;
    local $ENV{BKM_SUITE_RUN} = $tag;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        fork and POSIX::_exit(0);
        exec $^X, '-e', 'sleep 300; # bkm harness dummy' or POSIX::_exit(1);
    }
    waitpid $pid, 0;
    for (1 .. 50) {
        my @p = tagged($tag);
        return $p[0]{pid} if @p;
        select undef, undef, undef, 0.1;
    }
    return undef;
}
my $t1 = "harnessa\@$ENV{BKM_SUITE_RUN}";
my $t2 = "harnessb\@$ENV{BKM_SUITE_RUN}";
ok BkmHarness::of_run($t1, $ENV{BKM_SUITE_RUN})
   && !BkmHarness::of_run($t1, "1:1:$root")
   && !BkmHarness::of_run("x\@1:1:$root", $ENV{BKM_SUITE_RUN}),
    "named tags are the run's (t/TEST stops them), not another run's";
my ($d1, $d2) = (daemon($t1), daemon($t2));
ok $d1 && $d2, 'two detached dummies run';
my @stopped = stop_processes(tagged($t1));
ok !defined start_time($d1), 'stopping one tag stops its dummy';
ok defined start_time($d2), 'and leaves the other tag alone';
stop_processes(tagged($t2));
ok !defined start_time($d2), 'which stops as well';

# A real node whose test is killed (no END runs): its tag finds it, and
# stopping the tag stops it.
my $t3 = "harnessc\@$ENV{BKM_SUITE_RUN}";
my $child = fork // die "fork: $!";
if (!$child) {
    $ENV{BKM_SUITE_RUN} = $t3;
    my $base = eval { start_node('harness-killed', undef) };
    print STDERR $@ if $@;
    kill 'KILL', $$;
}
waitpid $child, 0;
my $pid = node_pid('harness-killed');
ok $pid, 'a node outlives its killed test';
ok scalar(grep { $_->{pid} == $pid } tagged($t3)), 'its tag finds it';
stop_processes(tagged($t3));
ok !node_pid('harness-killed') && !defined start_time($pid),
    'stopping its tag stops it';

# A test that dies: its node stops with it (BkmTest's END).
($rc, $out) = perl_run('use BkmTest qw(start_node); '
    . 'start_node(q(harness-died), undef); die qq(dying\n)');
ok $rc != 0 && $out =~ /dying/, 'a test that started a node dies';
ok !node_pid('harness-died'), 'and its node is gone';

# A second run in this checkout refuses to start, and stops nothing.
$out = `$^X $root/t/TEST t/health.t 2>&1`;
ok $? != 0 && $out =~ /another run of the suite is going on/,
    'a second run in this checkout stops at once'
    or diag $out;
is $ua->get(base_url() . '/helse')->code, 200, 'and this run goes on';

# ---- what httpd's children reach -------------------------------------------

SKIP: {
    skip 'httpd runs as this user (not root)', 3 if $> != 0;
    my $docroot = Apache::Test::config()->{vars}{documentroot};
    ok can_reach('www-data', "$ENV{BKM_DEV_DIR}/db", "$ENV{BKM_PAGES}/static",
                 "$ENV{BKM_STATIC}/public",
                 $docroot),
        'www-data reaches the database, the pages and the document root';
    my $shut = "$ENV{BKM_DEV_DIR}/work/harness-0700";
    system('rm', '-rf', $shut);
    mkdir "$ENV{BKM_DEV_DIR}/work";
    mkdir $shut, 0700 or die "$shut: $!";
    BkmTest::spit("$shut/f", 'x');
    ok !can_reach('www-data', "$shut/f"), 'but not what a 0700 directory holds';
    system('rm', '-rf', $shut);
    my ($css) = map { s{^\Q$ENV{BKM_STATIC}\E/public}{/static}r }
                glob("$ENV{BKM_STATIC}/public/*.css");
    is $ua->get(base_url() . $css)->code, 200,
        "the children serve the pages' static files ($css)";
}
