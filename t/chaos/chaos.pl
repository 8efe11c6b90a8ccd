#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
#
# make chaos / make chaos-short: a bounded fault run against the real
# httpd with the test build of the module, on SQLite and on PostgreSQL,
# that stops by itself and prints one table per engine.
#
#   perl t/chaos/chaos.pl [--short] [--engine sqlite|pgsql|both] [-v]
#
# Under load from producer clients (Idempotency-Key) and form clients (the
# pages' one-time token), each retrying every failure with the same key
# (t/chaos/ChaosLoad.pm), the phases, each bounded in time:
#   load              no faults: the baseline
#   kill children     kill -9 of a random httpd child every 2 s
#   kill parent       kill -9 of the parent; its children serve on,
#                     orphaned, for 2 s, then are killed as a service
#                     manager does; start again; time to /helse 200 and to
#                     the first 201 (a probe posting every 50 ms)
#   PostgreSQL stop   pg_ctl stop -m immediate under load, start again
#   disk full         SQLite's tmpfs filled to the last byte, then freed;
#                     PRAGMA integrity_check
# then, with the load drained:
#   hang-up           a case system that cuts a download off mid-body:
#                     the message must not count as fetched, and must be
#                     fetchable whole afterwards
#   verification      every report in the database fetched through the
#                     case systems' API and opened with openssl cms
#                     (t/chaos/ChaosVerify.pm): each 201 must be there
#                     exactly once, and open to the report that was sent
#   escalation        every report made due (the test clock; more posted
#                     first when there are few), a pass killed with
#                     kill -9 at its first committed batch, then passes on two
#                     nodes at once: exactly one print job and one
#                     SENDT_PRINT event per report, none skipped
# Exit status 1 when a report was lost, duplicated or does not open, when
# the database's integrity fails, or when a fault could not be made.
#
# Ports (the suite's variables): BKM_HTTPD_PORT (the node), BKM_NODE2_PORT
# (the second node of the escalation phase), BKM_OP_PORT (the ID-porten
# stand-in), BKM_PG_PORT (the throwaway cluster).  Everything it makes is
# under build/out/chaos.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib "$FindBin::Bin", "$FindBin::Bin/../lib";
use BkmHarness qw(free_port can_reach);
use Cwd qw(abs_path);
use Getopt::Long;
use HTTP::Request;
use IO::Socket::INET;
use JSON::PP;
use LWP::UserAgent;
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVBUF SO_LINGER);
use Time::HiRes qw(time sleep);
use ChaosEnv;
use ChaosLoad;
use ChaosVerify;

$| = 1;
my %opt = (engine => 'both');
GetOptions(\%opt, 'short', 'engine=s', 'v|verbose') or die "usage\n";
my $root = abs_path("$FindBin::Bin/../..");
chdir $root or die "chdir $root: $!";
die "chaos: build/out/test/mod_bekymring.so is missing (make build/out/test/mod_bekymring.so)\n"
    unless -e "$root/build/out/test/mod_bekymring.so";
# Free ports for what the environment does not set (two checkouts may run
# at once), as t/TEST does; each is held until this run ends.
for my $var (qw(BKM_HTTPD_PORT BKM_NODE2_PORT BKM_OP_PORT BKM_PG_PORT)) {
    $ENV{$var} ||= free_port();
}
# httpd's children (www-data) and PostgreSQL (postgres) work in
# build/out/chaos: in a checkout they cannot enter (a 0700 home, as root)
# the run cannot be made; it says so and stops without failing.
if ($> == 0) {
    for my $user (qw(www-data postgres)) {
        next if can_reach($user, $root, "$root/build/out");
        print "chaos: SKIPPED: $user cannot enter $root; clone into a "
            . "directory others may enter (e.g. /srv or /tmp) to run it\n";
        exit 0;
    }
}

# The run's shape.  Seconds of each phase, and the load.
my %T = $opt{short}
    ? (load => 5, kills => 6, kill_every => 2, parent => 6, down => 4,
       after => 4, producers => 2, forms => 1, think => 0.1, hangups => 1,
       workers => 3, due => 1000)
    : (load => 30, kills => 40, kill_every => 2, parent => 20, down => 15,
       after => 15, producers => 4, forms => 2, think => 0.05, hangups => 4,
       workers => 3, due => 2000);
my $json = JSON::PP->new->utf8->canonical;
my $run_tag = sprintf '%x', time;
my @engines = $opt{engine} eq 'both' ? qw(sqlite pgsql) : ($opt{engine});
die "chaos: --engine sqlite, pgsql or both\n"
    if grep { !/^(sqlite|pgsql)$/ } @engines;

my $owner = $$;
my ($shared, $env, $load);
END {
    if ($$ == $owner) {
        local $?;
        if ($load) {
            kill 'KILL', @{ $load->{pids} };
            waitpid $_, 0 for @{ $load->{pids} };
        }
        $env->cleanup if $env;
        $shared->stop_op if $shared;
    }
}
$SIG{INT} = $SIG{TERM} = sub { exit 130 };

$shared = ChaosEnv->new(root => $root, engine => 'shared', verbose => $opt{v});
$shared->setup_dev;
$shared->start_op;

my (@tables, $failed);
for my $engine (@engines) {
    my $t_start = time;
    my ($table, $ok) = run_engine($engine);
    $table .= sprintf "(%s run on %s: %.0f s)\n",
        $opt{short} ? 'short' : 'full', $engine, time - $t_start;
    print "\n$table";
    push @tables, $table;
    $failed ||= !$ok;
}
print "\n", join("\n", @tables) if @tables > 1;
print $failed ? "\nchaos: FAILED\n" : "\nchaos: ok\n";
exit($failed ? 1 : 0);

# ---------------------------------------------------------------------------

sub say_v { $env->log_line($_[0]) }

sub run_engine {
    my ($engine) = @_;
    $env = ChaosEnv->new(root => $root, engine => $engine, verbose => $opt{v},
                         t0 => time);
    $env->{dev} = $shared->{dev};
    $env->umount_tmpfs;
    system('rm', '-rf', $env->{run});
    my @problems;
    my $storage;
    if ($engine eq 'pgsql') {
        $env->start_pg;
        $storage = 'PostgreSQL 15, fsync on';
    }
    elsif ($env->mount_tmpfs) {
        $storage = 'SQLite (WAL, synchronous=FULL) on a tmpfs';
    }
    else {
        $storage = 'SQLite (WAL, synchronous=FULL) on disk: no tmpfs ('
                 . $env->{no_tmpfs} . ')';
    }
    $env->write_node('node1', $env->{port});
    $env->write_node('node2', $env->{node2_port});
    $env->start_node('node1');
    $env->wait_helse('node1', 60) or die "chaos: node1 does not answer\n";
    my $base = $env->node_url('node1');

    my @phases;
    my $phase = sub {
        my ($name) = @_;
        my $now = time;
        $phases[-1]{t1} = $now if @phases;
        push @phases, { name => $name, t0 => $now, notes => [] };
        say_v("phase: $name");
        return $phases[-1];
    };
    $load = ChaosLoad::start(root => $root, base => $base,
        dir => "$env->{run}/load", producers => $T{producers},
        forms => $T{forms}, think => $T{think}, run => $run_tag);

    # 1. load, no faults
    my $p = $phase->('load');
    sleep $T{load};
    $p->{integrity} = ChaosVerify::integrity($env);

    # 2. kill -9 of a random child every 2 s
    $p = $phase->('kill -9 children');
    my $kills = 0;
    my $until = time + $T{kills};
    while (time < $until) {
        sleep $T{kill_every};
        $kills++ if $env->kill_random_child('node1');
    }
    push @{ $p->{notes} }, "$kills children killed, one every $T{kill_every} s";
    $p->{integrity} = ChaosVerify::integrity($env);
    push @problems, "no child could be killed" unless $kills;

    # 3. kill -9 of the parent, and start again
    $p = $phase->('kill -9 parent');
    my $pr = probe_prepare('parent');
    sleep 1;
    my $t_kill = time;
    my $orphans = $env->kill_parent('node1', 2);
    $p->{orphans} = [$t_kill, time];
    push @{ $p->{notes} }, "parent killed; its $orphans children served on "
        . "for 2 s, orphaned, then were killed (as systemd does); start again";
    my $t_start = time;
    $env->start_node('node1');
    my $t_helse = $env->wait_helse('node1', 60);
    $p->{mark} = $t_start;
    $p->{helse} = defined $t_helse ? $t_helse - $t_start : undef;
    $p->{probe} = probe_run($pr, $base, $t_start);
    push @problems, "/helse did not come back after the parent was killed"
        unless defined $t_helse;
    sleep $T{parent} - (time - $p->{t0}) if time - $p->{t0} < $T{parent};
    $p->{integrity} = ChaosVerify::integrity($env);

    # 4. the database goes away: PostgreSQL stopped, or SQLite's disk full
    if ($engine eq 'pgsql') {
        $p = $phase->('PostgreSQL immediate stop');
        my $pr = probe_prepare('pg');
        sleep 1;
        $env->pg_stop_immediate or push @problems, 'pg_ctl stop -m immediate failed';
        $p->{down_at} = time;
        sleep $T{down};
        $env->pg_start or die "chaos: PostgreSQL did not start again\n";
        $p->{mark} = time;
        $p->{probe} = probe_run($pr, $base, $p->{mark});
        push @{ $p->{notes} }, sprintf 'down %.1f s (from the stop until '
            . 'pg_ctl start -w returned)', $p->{mark} - $p->{down_at};
        sleep $T{after};
    }
    else {
        $p = $phase->('disk full (SQLite)');
        if ($env->{tmpfs}) {
            my $pr = probe_prepare('disk');
            sleep 1;
            my ($used, $avail) = $env->fill_tmpfs;
            $p->{down_at} = time;
            push @{ $p->{notes} }, sprintf 'tmpfs filled: %.1f MB in use, '
                . '%d bytes free', $used / 1e6, $avail;
            sleep $T{down};
            $env->free_tmpfs;
            $p->{mark} = time;
            $p->{probe} = probe_run($pr, $base, $p->{mark});
            push @{ $p->{notes} }, sprintf 'full for %.1f s',
                $p->{mark} - $p->{down_at};
            sleep $T{after};
        }
        else {
            $p->{skipped} = "SKIPPED (not counted as a failure): cannot "
                . "mount a tmpfs ($env->{no_tmpfs}); run as root for it";
            sleep $T{down} + $T{after};
        }
    }
    say_v('draining the clients');
    ChaosLoad::stop($load);
    undef $load;
    $p->{integrity} = ChaosVerify::integrity($env);


    # 5. a case system that hangs up mid-download
    $p = $phase->('hang-up mid-download');
    hangup_phase($p, $base, \@problems);
    $p->{t1} = time;

    # Every report in the database, fetched and opened.
    say_v('verification: fetching and opening every report');
    my $tv = time;
    my $v = ChaosVerify::verify($env, $base, $T{workers});
    my $verify_secs = time - $tv;

    # 6. escalation
    my $e = { name => 'escalation, kill -9 mid-pass', t0 => time, notes => [] };
    escalation_phase($e, $v, \@problems);
    $e->{t1} = time;
    my $final = ChaosVerify::integrity($env);

    my $logs = ChaosLoad::read_logs("$env->{run}/load");
    my @repeats = repeats($env->error_log('node1'));
    $_->{repeats} = \@repeats for @phases;
    push @problems, map { "client error: $_" } @{ $logs->{errors} };
    my ($table, $bad) = table($engine, $storage, \@phases, $e, $logs, $v,
                              $final, $verify_secs);
    push @problems, @$bad;
    $env->stop_node('node1');
    $env->stop_node('node2');
    $env->cleanup;
    $table .= join '', map { "PROBLEM: $_\n" } @problems;
    return ($table, !@problems);
}

# ---- the recovery probe ---------------------------------------------------

# A producer's report sealed ahead of a fault (0301/01, its own key), and
# posted every 50 ms from the moment the fault is over until the first 201:
# the server's recovery time, not the clients' retry schedule (they back
# off up to 2.4 s).  Returns { t => time of the 201 or undef, tries }.
sub probe_prepare {
    my ($tag) = @_;
    my $c = bless { dir => "$env->{run}/probe", name => "probe-$tag" },
                  'ChaosLoad';
    system('mkdir', '-p', "$c->{dir}/clients");
    my $key = "chaos-$run_tag-probe-$tag";
    my ($pdf, $zip) = ChaosLoad::producer_plaintexts($key);
    my $pki = "$env->{dev}/pki";
    my %der = (pdf => $c->seal($pdf, ChaosVerify::slurp("$pki/print.pem")),
               zip => $c->seal($zip, ChaosVerify::slurp(
                                          "$pki/0301-01-fagsystem.pem")));
    my $b = 'chaosprobe';
    my $body = join '', map {
        "--$b\r\nContent-Disposition: form-data; name=\"$_->[0]\"; "
      . "filename=\"$_->[0].cms\"\r\nContent-Type: application/pkcs7-mime"
      . "\r\n\r\n$_->[1]\r\n" } ([bekymringsmelding => $der{pdf}],
                                 [asice => $der{zip}]);
    return { key => $key, body => "$body--$b--\r\n", boundary => $b,
             auth => [ChaosLoad::dev_token($root, 'produsent')] };
}

sub probe_run {
    my ($pr, $base, $from) = @_;
    my $ua = LWP::UserAgent->new(timeout => 10);
    my $tries = 0;
    while (time - $from < 60) {
        $tries++;
        my $res = $ua->request(HTTP::Request->new(POST =>
            "$base/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/01/privat",
            [@{ $pr->{auth} }, 'Idempotency-Key' => $pr->{key},
             'Content-Type' => "multipart/form-data; boundary=$pr->{boundary}"],
            $pr->{body}));
        if ($res->code == 201) {
            $pr->{uuid} = eval { $json->decode($res->content)->{uuid} };
            return { t => time, tries => $tries };
        }
        sleep 0.05;
    }
    return { t => undef, tries => $tries };
}

# ---- hang-up --------------------------------------------------------------

# A producer's report whose case-system copy is $size bytes, posted once.
sub post_big {
    my ($base, $key, $size) = @_;
    my %auth = ChaosLoad::dev_token($root, 'produsent');
    my $d = "$env->{run}/hangup";
    system('mkdir', '-p', $d);
    my $ua = LWP::UserAgent->new(timeout => 60);
    my $keys = $json->decode($ua->request(HTTP::Request->new(GET =>
        "$base/bekymringsmelding/api/v2/mottak/fagsystem/0301/01/"
        . "krypteringsnokler", [%auth]))->content);
    my $zip = "PK\x03\x04 chaos big $key\n" . ('z' x $size);
    my %der;
    for ([pdf => "%PDF-1.4\n% chaos big $key\n", 'printOffentligNokkel'],
         [zip => $zip, 'fiksIOOffentligNokkel']) {
        ChaosVerify::spit("$d/in", $_->[1]);
        ChaosVerify::spit("$d/cert.pem", $keys->{ $_->[2] }{nokkel});
        system('openssl', 'cms', '-encrypt', '-binary', '-aes-256-cbc', '-in',
               "$d/in", '-outform', 'DER', '-out', "$d/out", '-recip',
               "$d/cert.pem", '-keyopt', 'rsa_padding_mode:oaep', '-keyopt',
               'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256') == 0
            or die "openssl cms -encrypt failed\n";
        $der{ $_->[0] } = ChaosVerify::slurp("$d/out");
    }
    my $b = 'chaosbig' . int rand 1e9;
    my $body = join '', map {
        "--$b\r\nContent-Disposition: form-data; name=\"$_->[0]\"; "
      . "filename=\"$_->[0].cms\"\r\nContent-Type: application/pkcs7-mime"
      . "\r\n\r\n$_->[1]\r\n" } ([bekymringsmelding => $der{pdf}],
                                 [asice => $der{zip}]);
    my $res = $ua->request(HTTP::Request->new(POST =>
        "$base/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301/01/privat",
        [%auth, 'Idempotency-Key' => $key,
         'Content-Type' => "multipart/form-data; boundary=$b"],
        "$body--$b--\r\n"));
    return $res->code == 201 ? ($json->decode($res->content)->{uuid}, $zip)
                             : (undef, undef, $res->code);
}

# GET a message on a socket whose receive buffer is small, read $keep
# bytes of the answer (headers included), then hang up with a reset
# (SO_LINGER 0), as a case system that crashes mid-download.
sub cut_download {
    my ($base, $path, $auth, $keep) = @_;
    my ($port) = $base =~ /:(\d+)$/;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp') or die "connect: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
    my %h = @$auth;
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
        . "Connection: close\r\n\r\n";
    syswrite($s, $req) == length $req or die "send: $!";
    my $got = '';
    while (length $got < $keep) {
        my $n = sysread($s, $got, $keep - length $got, length $got);
        last unless $n;
    }
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $s;
    return $got;
}

sub hangup_phase {
    my ($p, $base, $problems) = @_;
    my $ints = ChaosVerify::integrations($env->{dev});
    my $konto = $ints->{'fagsystem-0301-01'}{konto};
    my @auth = ChaosLoad::dev_token($root, 'fagsystem-0301-01');
    my $pki = "$env->{dev}/pki/0301-01-fagsystem";
    my $ua = LWP::UserAgent->new(timeout => 60);
    my %r = (n => 0, posted => 0, counted => 0, refetched => 0, refused => 0,
             delivered => 0, requests => 0);
    # 5.15 MB (the producer API takes 5 MiB a request): more than the
    # kernel can hold between the two ends (a sending buffer grows to
    # net.ipv4.tcp_wmem's maximum, 4 MiB; the client's is 4 KB), so the
    # portal is still sending when the client hangs up after the headers
    # and 16 KB of body.  (A message the kernel took whole before the
    # reset counts as fetched: the portal cannot tell that client from
    # one that read it all; t/levering_bevis.t.)
    for my $i (1 .. $T{hangups}) {
        my $size = 5_150_000;
        my $key = "chaos-$run_tag-H-$i";
        my ($uuid, $zip, $code) = post_big($base, $key, $size);
        $r{requests}++;
        if (!$uuid) {
            push @$problems, "hang-up: the big report was not accepted ($code)";
            next;
        }
        $r{posted}++;
        my ($lev) = map { $_->[0] } $env->sql("SELECT id FROM bkm_leveranse "
            . "WHERE melding_id = '$uuid' AND mottaker = 'fagsystem'");
        my $path = "/bekymringsmelding/api/v2/konto/$konto/meldinger/$lev";
        my $got = cut_download($base, $path, \@auth, 16_384);
        $r{requests}++;
        $r{n}++;
        sleep 1.5;      # the portal's write fails when the reset arrives
        my ($row) = $env->sql("SELECT COALESCE(hentet, 0) FROM bkm_leveranse "
                              . "WHERE id = '$lev'");
        my $counted = $row && $row->[0] ne '0' && $row->[0] ne '';
        $r{counted}++ if $counted;
        push @{ $p->{notes} }, sprintf '%d KB cut off after %d bytes: %s',
            $size / 1000, length $got,
            $counted ? 'COUNTED AS FETCHED' : 'not counted as fetched';
        # A receipt for it is refused: it was not fetched.
        my $res = $ua->request(HTTP::Request->new(POST => "$base$path/svar",
            [@auth, meldingType => 'no.ks.fiks.bekymringsmelding.mottatt.v1']));
        $r{requests}++;
        $r{refused}++ if $res->code == 409;
        # Fetched whole afterwards, it opens to what was sent, and then the
        # receipt delivers it.
        $res = $ua->request(HTTP::Request->new(GET => "$base$path", \@auth));
        $r{requests}++;
        my $plain = $res->code == 200
            ? ChaosVerify::decrypt($env->{run}, $res->content, "$pki.key",
                                   "$pki.pem") : undef;
        $r{refetched}++ if defined $plain && $plain eq $zip;
        for (1 .. 40) {
            ($row) = $env->sql("SELECT COALESCE(hentet, 0) FROM bkm_leveranse "
                               . "WHERE id = '$lev'");
            last if $row && $row->[0];
            sleep 0.05;
        }
        $res = $ua->request(HTTP::Request->new(POST => "$base$path/svar",
            [@auth, meldingType => 'no.ks.fiks.bekymringsmelding.mottatt.v1']));
        $r{requests}++;
        $r{delivered}++ if $res->code == 200;
    }
    $p->{hangup} = \%r;
    push @$problems, "hang-up: $r{counted} cut-off downloads counted as fetched"
        if $r{counted};
    push @$problems, "hang-up: only $r{refetched} of $r{posted} fetched whole again"
        if $r{refetched} != $r{posted};
}

# ---- escalation -----------------------------------------------------------

# POST /bekymring-drift/eskalering on a node at the test clock $t, in a
# process of its own; returns its pid and the file its answer goes to.
sub start_pass {
    my ($node, $t, $tag) = @_;
    my $file = "$env->{run}/pass-$tag.json";
    unlink $file;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $res = LWP::UserAgent->new(timeout => 600)->post(
            $env->node_url($node) . '/bekymring-drift/eskalering',
            'Bkm-Test-Klokke' => $t);
        ChaosVerify::spit($file, $res->code . "\n" . $res->content);
        POSIX::_exit(0);
    }
    return { pid => $pid, file => $file, node => $node };
}

sub pass_result {
    my ($pass) = @_;
    waitpid $pass->{pid}, 0;
    my ($code, $body) = split /\n/, eval { ChaosVerify::slurp($pass->{file}) }
                                    // "0\n", 2;
    my $j = $code == 200 ? eval { $json->decode($body) } : undef;
    return ($code, $j ? $j->{eskalert} : undef);
}

# $want reports more, fast, for the escalation phase (after the
# verification): one sealed pair posted by 4 clients without an
# Idempotency-Key, so each POST is a report of its own.  Returns how many
# were accepted.
sub bulk_reports {
    my ($base, $want) = @_;
    my $c = bless { dir => "$env->{run}/bulk", name => 'bulk' }, 'ChaosLoad';
    system('mkdir', '-p', "$c->{dir}/clients");
    my $pki = "$env->{dev}/pki";
    my $pdf = $c->seal("%PDF-1.4\n% chaos escalation\n",
                       ChaosVerify::slurp("$pki/print.pem"));
    my $zip = $c->seal("PK\x03\x04 chaos escalation\n",
                       ChaosVerify::slurp("$pki/0301-01-fagsystem.pem"));
    my $b = 'chaosbulk';
    my $body = join '', map {
        "--$b\r\nContent-Disposition: form-data; name=\"$_->[0]\"; "
      . "filename=\"$_->[0].cms\"\r\nContent-Type: application/pkcs7-mime"
      . "\r\n\r\n$_->[1]\r\n" } ([bekymringsmelding => $pdf], [asice => $zip]);
    $body .= "--$b--\r\n";
    my @auth = ChaosLoad::dev_token($root, 'produsent');
    my @pids;
    for my $w (0 .. 3) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
            my $ok = 0;
            for (1 .. int(($want + 3 - $w) / 4)) {
                $ok++ if $ua->request(HTTP::Request->new(POST =>
                    "$base/bekymringsmelding/api/v2/mottak/fagsystem/"
                    . "910000001/0301/01/privat",
                    [@auth, 'Content-Type' => "multipart/form-data; "
                     . "boundary=$b"], $body))->code == 201;
            }
            POSIX::_exit($ok > 255 ? 255 : 0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
}

sub escalation_phase {
    my ($p, $v, $problems) = @_;
    # Every report not delivered (all but the hang-up phase's) is due a
    # month from now: at least $T{due} (5 or 10 batches of a pass, each
    # about 10 ms on SQLite); when the load made fewer, more are posted
    # first.
    my $base = $env->node_url('node1');
    my ($have) = map { $_->[0] } $env->sql("SELECT COUNT(*) FROM bkm_melding "
        . "WHERE levert IS NULL AND frist IS NOT NULL");
    if ($have < $T{due}) {
        bulk_reports($base, $T{due} - $have);
        my ($now) = map { $_->[0] } $env->sql("SELECT COUNT(*) FROM "
            . "bkm_melding WHERE levert IS NULL AND frist IS NOT NULL");
        push @{ $p->{notes} }, sprintf '%d reports of the load phases, and '
            . '%d more posted for this phase (one sealed pair, no key)',
            $have, $now - $have;
    }
    my %due = map { ($_->[0] => 1) } $env->sql(
        "SELECT id FROM bkm_melding WHERE levert IS NULL AND frist IS NOT NULL");
    my $n = keys %due;
    $p->{due} = $n;
    $env->start_node('node2');
    $env->wait_helse('node2', 60)
        or die "chaos: node2 does not answer\n";
    my $t = sprintf '%.0f', (time + 30 * 86400) * 1e6;
    my $s = $env->session;
    my $count = sub {
        ($s->query("SELECT COUNT(*) FROM bkm_leveranse WHERE mottaker = 'print'"))[0][0];
    };
    # Round 1: one pass on node1, killed mid-way: kill -9 of all node1's
    # children (the pass's process among them) as soon as the pass has
    # committed its first batch of 200 (about 10 ms each on SQLite, more on
    # PostgreSQL).  On PostgreSQL a look counts the print jobs.  On SQLite
    # a reader may be held back while the pass writes and then see the
    # state from before it, so the look is the write-ahead log's mtime
    # instead (nothing else writes now): it changes when the first batch
    # commits; the kill comes 2 ms later, inside the next batch.
    my $wal = $env->{engine} eq 'pgsql' ? undef : $env->sqlite_file . '-wal';
    my $mtime = sub { (Time::HiRes::stat($wal))[9] // 0 };
    $count->();         # the look's client has the database open
    sleep 0.2;
    my $m0 = $wal ? $mtime->() : 0;
    my $pass = start_pass('node1', $t, 'killed');
    my $t0 = time;
    my ($seen, $killed_at, $looks) = (0, undef, 0);
    while (time - $t0 < 120) {
        $looks++;
        my $committed = $wal ? $mtime->() != $m0 : ($seen = $count->()) > 0;
        if ($committed) {
            sleep 0.002 if $wal;
            $env->kill_children('node1');
            $killed_at = time;
            last;
        }
        last if waitpid($pass->{pid}, POSIX::WNOHANG()) > 0;
        sleep($wal ? 0.0002 : 0.0005);
    }
    my ($code1) = pass_result($pass);
    sleep 0.5;
    my $after_kill = $count->();
    $p->{killed} = { seen => $seen, after => $after_kill, code => $code1 };
    push @{ $p->{notes} }, 'the kill came inside the first batch: nothing '
        . 'was committed' if $killed_at && !$after_kill;
    if (!$killed_at || $code1 == 200 || $after_kill >= $n) {
        push @$problems, "escalation: the pass was not killed mid-way "
            . "($after_kill of $n escalated, its answer $code1)";
    }
    push @{ $p->{notes} }, sprintf 'pass on node1 killed with %d of %d '
        . 'escalated (look %d, %.1f ms after the pass was asked for)',
        $after_kill, $n, $looks, 1000 * (($killed_at // $t0) - $t0);
    # Round 2: passes on both nodes at once finish the work; round 3: one
    # more on each finds nothing.
    $env->wait_helse('node1', 60);
    my $t2 = time;
    my @round2 = (start_pass('node1', $t, 'n1'), start_pass('node2', $t, 'n2'));
    my @r2 = map { [pass_result($_)] } @round2;
    my $rerun = time - $t2;
    my @r3 = map { [pass_result($_)] }
             (start_pass('node1', $t, 'n1b'), start_pass('node2', $t, 'n2b'));
    my $sum2 = 0;
    for my $r (@r2, @r3) {
        if ($r->[0] != 200 || !defined $r->[1]) {
            push @$problems, "escalation: a pass after the kill failed ($r->[0])";
            next;
        }
    }
    $sum2 += $_->[1] // 0 for @r2;
    my $sum3 = 0;
    $sum3 += $_->[1] // 0 for @r3;
    $p->{rerun} = $rerun;
    push @{ $p->{notes} }, sprintf 'then node1 and node2 at once: %s; '
        . 'then again: %s', join(' + ', map { $_->[1] // 'x' } @r2),
        join(' + ', map { $_->[1] // 'x' } @r3);
    $s->close;

    # Exactly one print job and one SENDT_PRINT event per due report.
    my %jobs = map { ($_->[0] => $_->[1]) } $env->sql(
        "SELECT melding_id, COUNT(*) FROM bkm_leveranse WHERE mottaker = "
        . "'print' GROUP BY melding_id");
    my %events = map { ($_->[0] => $_->[1]) } $env->sql(
        "SELECT melding_id, COUNT(*) FROM bkm_hendelse WHERE hendelse = "
        . "'SENDT_PRINT' GROUP BY melding_id");
    my %state = map { ($_->[0] => $_->[1]) } $env->sql(
        "SELECT id, tilstand FROM bkm_melding");
    my ($skipped, $twice, $stray, $not_print) = (0, 0, 0, 0);
    for my $id (keys %due) {
        my ($j, $e) = ($jobs{$id} // 0, $events{$id} // 0);
        $skipped++ if !$j || !$e;
        $twice++ if $j > 1 || $e > 1;
        $not_print++ if ($state{$id} // '') ne 'SENDT_PRINT';
    }
    $stray = grep { !$due{$_} } keys %jobs;
    $p->{skipped} = $skipped;
    $p->{twice} = $twice;
    $p->{jobs} = scalar grep { $due{$_} } keys %jobs;
    my $answered = $after_kill + $sum2;
    push @$problems, "escalation: $skipped due reports without their print "
        . "job or event" if $skipped;
    push @$problems, "escalation: $twice reports escalated twice" if $twice;
    push @$problems, "escalation: $not_print due reports not in SENDT_PRINT"
        if $not_print;
    push @$problems, "escalation: $stray print jobs for reports that were "
        . "not due" if $stray;
    push @$problems, "escalation: the passes after the kill say $sum2, "
        . "but " . ($n - $after_kill) . " were left" if $answered != $n;
    push @$problems, "escalation: the last passes escalated $sum3 (nothing "
        . "should have been left)" if $sum3;

    # The print provider's copies of a sample open with the print key to
    # what was sealed for print.
    my $ints = ChaosVerify::integrations($env->{dev});
    my @auth = ChaosLoad::dev_token($root, 'print');
    my %job = map { ($_->[0] => $_->[1]) } $env->sql(
        "SELECT melding_id, id FROM bkm_leveranse WHERE mottaker = 'print'");
    my @sample = (sort { $a cmp $b } keys %job)[0 .. 24];
    @sample = grep { defined } @sample;
    my ($opened, $tried) = (0, 0);
    my $ua = LWP::UserAgent->new(timeout => 60);
    for my $id (@sample) {
        $tried++;
        my $res = $ua->request(HTTP::Request->new(GET =>
            $env->node_url('node1') . "/bekymringsmelding/api/v2/konto/"
            . "$ints->{print}{konto}/meldinger/$job{$id}", \@auth));
        next unless $res->code == 200;
        my $plain = ChaosVerify::decrypt($env->{run}, $res->content,
            "$env->{dev}/pki/print.key", "$env->{dev}/pki/print.pem");
        next unless defined $plain;
        my $key = $v->{$id} ? $v->{$id}{key} : '';
        my $want = $key && ($v->{$id}{kilde} // '') eq 'produsent'
            ? (ChaosLoad::producer_plaintexts($key))[0] : undef;
        $opened++ if defined $want ? $plain eq $want : $plain =~ /^%PDF-/;
    }
    $p->{print_sample} = "$opened/$tried";
    push @$problems, "escalation: only $opened of $tried sampled print "
        . "copies open to what was sealed" if $opened != $tried;
}

# ---- the table ------------------------------------------------------------

# The times (epoch seconds) of the error log's lines that say a retry was
# answered with the report stored before: the idempotency key (BKM00901
# "repeated") or the form's token (BKM01404).
sub repeats {
    my ($log) = @_;
    my %mon = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5,
               Jul => 6, Aug => 7, Sep => 8, Oct => 9, Nov => 10, Dec => 11);
    my @t;
    for (split /\n/, $log) {
        next unless /BKM00901: report \S+ repeated|BKM01404: form sent again/;
        next unless /^\[\w+ (\w+) (\d+) (\d+):(\d+):(\d+)(\.\d+)? (\d+)\]/;
        push @t, POSIX::mktime($5, $4, $3, $2, $mon{$1}, $7 - 1900, 0, 0, -1)
               + ($6 // 0);
    }
    return @t;
}

sub fmt_n {
    my ($n) = @_;
    1 while $n =~ s/^(\d+)(\d{3})/$1,$2/;
    return $n;
}

sub success { $_[0]{code} eq '201' || $_[0]{code} eq '303' }

sub table {
    my ($engine, $storage, $phases, $esc, $logs, $v, $final, $verify_secs) = @_;
    my @bad;
    # Rows of the database by the report they open to.
    my (%rows_of, @unreadable);
    for my $id (keys %$v) {
        my $r = $v->{$id};
        if ($r->{key}) {
            push @{ $rows_of{ $r->{key} } }, $id;
        }
        push @unreadable, "$id ($r->{err})" unless $r->{ok};
    }
    my @out;
    my $hdr = sprintf "%-28s %5s %8s %7s %7s %9s %5s %5s %8s  %-26s %s",
        'phase', 'secs', 'requests', '201s', 'stored', 'fetch+dec', 'lost',
        'dup', 'failures', 'recovery', 'integrity';
    push @out, $hdr, '-' x length $hdr;
    my %tot = map { ($_ => 0) } qw(req ack stored ok lost dup fail);
    my @notes;
    for my $p (@$phases) {
        my @att = grep { $_->{t0} >= $p->{t0} && $_->{t0} < $p->{t1} }
                  @{ $logs->{attempts} };
        my @oth = grep { $_->{t0} >= $p->{t0} && $_->{t0} < $p->{t1} }
                  @{ $logs->{others} };
        my @keys = grep { $logs->{first}{$_} >= $p->{t0}
                          && $logs->{first}{$_} < $p->{t1} }
                   keys %{ $logs->{first} };
        my ($ack, $stored, $ok, $lost, $dup) = (0, 0, 0, 0, 0);
        for my $k (@keys) {
            my @uuids = @{ $logs->{done}{$k} // [] };
            my %u = map { ($_ => 1) } @uuids;
            my @rows = @{ $rows_of{$k} // [] };
            $dup++ if keys %u > 1 || @rows > 1;
            next unless @uuids;
            $ack++;
            my ($uuid) = keys %u;
            $stored++ if $v->{$uuid};
            if ($v->{$uuid} && $v->{$uuid}{ok} && $v->{$uuid}{key} eq $k) {
                $ok++;
            }
            else {
                $lost++;
                push @bad, "lost: $k (201 with $uuid; "
                    . ($v->{$uuid} ? $v->{$uuid}{err} || 'opens to '
                       . $v->{$uuid}{key} : 'not in the database') . ')';
            }
        }
        push @bad, "$dup reports stored twice in phase '$p->{name}'" if $dup;
        my @fail = grep { !success($_) } @att;
        my %why;
        $why{ $_->{code} . ($_->{detail} ? " $_->{detail}" : '') }++ for @fail;
        my @ofail = grep { $_->{code} ne '200' } @oth;
        my %owhy;
        $owhy{ $_->{code} . ($_->{detail} ? " $_->{detail}" : '') }++ for @ofail;
        my $recovery = recovery($p, \@att);
        my $integ = $p->{integrity} // '-';
        push @bad, "integrity after '$p->{name}': $integ"
            unless $integ eq 'ok' || $p->{hangup};
        # A refusal must say why and that nothing was kept: the JSON
        # error's reason (producer API), the form shown again with its
        # notice (the pages).
        my @mute = grep { $_->{code} eq '503'
                          && $_->{detail} !~ /nothing-was-kept|form-shown-again/ }
                   @fail;
        push @bad, scalar(@mute) . " 503 answers without a reason in phase "
            . "'$p->{name}'" if @mute;
        if ($p->{hangup}) {
            my $h = $p->{hangup};
            push @out, sprintf "%-28s %5.0f %8s %7s %7s %9s %5s %5s %8s  %-26s %s",
                $p->{name}, $p->{t1} - $p->{t0}, $h->{requests}, $h->{posted},
                $h->{posted}, $h->{refetched}, $h->{posted} - $h->{refetched},
                0, "$h->{n} cut", 'fetched whole again',
                "$h->{counted} of $h->{n} cut counted as fetched";
            push @notes, "  $p->{name}: $_" for @{ $p->{notes} };
            push @notes, "  $p->{name}: receipts for the cut-off messages "
                . "refused (409 ikke-hentet): $h->{refused} of $h->{n}; "
                . "delivered after the whole fetch: $h->{delivered}";
            next;
        }
        push @out, sprintf "%-28s %5.0f %8s %7s %7s %9s %5d %5d %8s  %-26s %s",
            $p->{name}, $p->{t1} - $p->{t0}, fmt_n(scalar @att), fmt_n($ack),
            fmt_n($stored), fmt_n($ok), $lost, $dup, fmt_n(scalar @fail),
            $recovery, $integ;
        push @notes, "  $p->{name}: $_" for @{ $p->{notes} };
        push @notes, "  $p->{name}: failures seen by clients: "
            . join(', ', map { "$_ x$why{$_}" } sort keys %why) if %why;
        push @notes, "  $p->{name}: other requests (form page, login) that "
            . "failed: " . join(', ', map { "$_ x$owhy{$_}" } sort keys %owhy)
            if %owhy;
        push @notes, "  $p->{name}: $p->{skipped}" if $p->{skipped};
        if (defined $p->{mark}) {
            my ($first) = grep { $_ >= $p->{mark} } map { $_->{t1} }
                          grep { success($_) } @att;
            push @notes, sprintf "  %s: recovery: a probe posted every 50 ms "
                . "from the %s (%d tries); the clients' first 201 %s later "
                . "(their retries back off up to 2.4 s)", $p->{name},
                $p->{name} =~ /parent/ ? 'start command (apache2 -k start)'
                : $p->{name} =~ /Postgre/ ? 'moment pg_ctl start -w returned'
                : 'moment the space was freed',
                $p->{probe} ? $p->{probe}{tries} : 0,
                defined $first ? sprintf('%.2f s', $first - $p->{mark})
                               : 'never';
        }
        my $rep = grep { $_ >= $p->{t0} && $_ < $p->{t1} } @{ $p->{repeats} // [] };
        push @notes, "  $p->{name}: retries answered with the report their "
            . "first try had stored (idempotency key / form token): $rep"
            if $rep;
        if ($p->{orphans}) {
            my ($a, $b) = @{ $p->{orphans} };
            my $n = grep { success($_) && $_->{t1} >= $a && $_->{t1} < $b } @att;
            push @notes, "  $p->{name}: reports acknowledged by the orphaned "
                . "children: $n (each stored and opened, as every other)";
        }
        $tot{req} += @att;
        $tot{ack} += $ack;
        $tot{stored} += $stored;
        $tot{ok} += $ok;
        $tot{lost} += $lost;
        $tot{dup} += $dup;
        $tot{fail} += @fail;
    }
    # Escalation
    my $ek = $esc->{killed} // {};
    push @out, sprintf "%-28s %5.0f %8s %7s %7s %9s %5s %5s %8s  %-26s %s",
        $esc->{name}, $esc->{t1} - $esc->{t0}, '5 passes', '-',
        fmt_n($esc->{due} // 0), fmt_n($esc->{jobs} // 0),
        $esc->{skipped} // '?', $esc->{twice} // '?', '1 killed',
        sprintf('rerun on 2 nodes %.1f s', $esc->{rerun} // 0),
        (($esc->{skipped} // 1) || ($esc->{twice} // 1) ? 'FAILED'
         : 'one print job each');
    push @notes, "  escalation: due reports $esc->{due}; print jobs "
        . "(stored column: due, fetch+dec: with their one print job; lost: "
        . "skipped; dup: escalated twice); print copies opened: "
        . ($esc->{print_sample} // '-');
    push @notes, "  escalation: $_" for @{ $esc->{notes} };
    push @out, '-' x length $hdr;
    push @out, sprintf "%-28s %5s %8s %7s %7s %9s %5d %5d %8s  %-26s %s",
        'all load phases', '', fmt_n($tot{req}), fmt_n($tot{ack}),
        fmt_n($tot{stored}), fmt_n($tot{ok}), $tot{lost}, $tot{dup},
        fmt_n($tot{fail}), '', $final;
    push @bad, "final integrity: $final" unless $final eq 'ok';
    push @out, 'requests: report posts, retries included; 201s: answered '
        . '201 (producer API) or 303 to the receipt (form); stored: of those,',
        '  in the database; fetch+dec: fetched through the case system\'s '
        . 'API and opened with openssl cms to the report sent;',
        '  lost: 201s not stored or not opening so; dup: reports stored more '
        . 'than once; failures: posts answered otherwise (no',
        '  answer, 503, ...), each retried with the same key; integrity: the '
        . 'database\'s consistency checks (t/chaos/ChaosVerify.pm)';
    # What the database holds beyond the acknowledged reports.
    my %acked = map { ($_ => 1) } grep { @{ $logs->{done}{$_} } }
                keys %{ $logs->{done} };
    my @orphans = grep { !$acked{$_} && $_ !~ /-(H-\d+|probe-\w+)$/ }
                  keys %rows_of;
    # Each probe's report, stored once, opens to what was sent.
    my @probes = grep { /-probe-\w+$/ } keys %rows_of;
    for my $k (@probes) {
        my @r = @{ $rows_of{$k} };
        push @bad, "probe $k stored " . scalar(@r) . " times" if @r != 1;
    }
    my $probes_expected = grep { $_->{probe} && $_->{probe}{t} } @$phases;
    push @bad, "only " . scalar(@probes) . " of $probes_expected probes' "
        . "reports are stored" if @probes != $probes_expected;
    my @gaveup = keys %{ $logs->{gaveup} };
    push @notes, sprintf "  database: %d reports, %d open to a report of "
        . "this run; %d stored without a 201 the client saw (given up: %d)",
        scalar keys %$v, scalar(keys %$v) - @unreadable, scalar @orphans,
        scalar @gaveup;
    push @notes, sprintf "  verification: every stored report fetched through "
        . "the case systems' API and opened with openssl cms in %.0f s",
        $verify_secs;
    if (@unreadable) {
        push @bad, scalar(@unreadable) . " stored reports do not open to a "
            . "report of this run: " . join(', ', @unreadable[0 .. ($#unreadable > 4 ? 4 : $#unreadable)]);
    }
    push @bad, scalar(@gaveup) . " reports given up by their clients"
        if @gaveup;
    my $title = sprintf "chaos %s: %s; %d producer + %d form clients, "
        . "every failure retried with the same key",
        $opt{short} ? '(short)' : '(full)', $storage, $T{producers}, $T{forms};
    return (join("\n", $title, @out, @notes) . "\n", \@bad);
}

# How long the phase's fault kept reports from being acknowledged: for a
# fault with an end (the start command, PostgreSQL up again, the space
# freed), the probe's first 201 after it; otherwise the longest time
# between two 201s the clients saw.
sub recovery {
    my ($p, $att) = @_;
    my @ok = sort { $a <=> $b } map { $_->{t1} } grep { success($_) } @$att;
    if (defined $p->{mark}) {
        my $t = $p->{probe} ? $p->{probe}{t} : undef;
        my $s = defined $t ? sprintf('%.2f s', $t - $p->{mark}) : 'none';
        return sprintf('/helse %.2f s, 201 %s', $p->{helse} // -1, $s)
            if $p->{name} =~ /parent/;
        return "201 $s after start" if $p->{name} =~ /Postgre/;
        return "201 $s after freeing";
    }
    return '-' if $p->{skipped};
    my ($gap, $prev) = (0, $p->{t0});
    for my $t (@ok) {
        $gap = $t - $prev if $t - $prev > $gap;
        $prev = $t;
    }
    return sprintf 'longest gap %.2f s', $gap;
}
