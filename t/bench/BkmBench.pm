# SPDX-License-Identifier: Apache-2.0
# Helpers of the benchmarks in t/bench (make bench only):
#   - a lean keep-alive HTTP/1.1 client, so that a client process costs
#     little beside httpd on the same (small) machine;
#   - run_clients: N forked clients working through a list of jobs
#     together, with each job's wall time;
#   - wrk_get: one wrk run of a GET (2 threads x 8 connections), parsed;
#   - percentiles and the millisecond formatting of the bench output;
#   - the yardstick (issue 17, item 7): a minimal stock httpd on loopback
#     (stock_server), a static file of the same bytes on it (stock_file),
#     and yardstick(), which measures a portal URL and that file in turn,
#     in the same run, with each server's CPU time per request;
#   - row(): one line of `make bench`'s table (build/bench prints them per
#     engine); engine_settings(): the durability settings read back from
#     the portal's own database connection (issue 17, item 3);
#   - commit_rate(): durable commits/s of a report-sized transaction, 8
#     clients, through the engine's own client (the parts of item 5).
package BkmBench;
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time);
use POSIX ();
use File::Temp qw(tempdir);
use LWP::UserAgent;
use BkmTest qw(root spit);
use JSON::PP ();
use POSIX qw(WNOHANG);

our @EXPORT_OK = qw(run_clients wrk_get percentile ms_of fmt_ms
                    header_lines bench_database stock_server stock_file
                    yardstick row engine engine_settings commit_rate
                    server_ticks wrk_ok);

# ---- a minimal HTTP/1.1 client ----------------------------------------

sub new_conn {
    my ($port) = @_;
    return bless { port => $port, sock => undef }, 'BkmBench::Conn';
}

# "Name: value\r\n" lines from a list of pairs (dev_token's output).
sub header_lines {
    my (@pairs) = @_;
    my $s = '';
    while (my ($k, $v) = splice @pairs, 0, 2) {
        $s .= "$k: $v\r\n";
    }
    return $s;
}

package BkmBench::Conn;

sub open_conn {
    my ($c) = @_;
    $c->{sock} = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $c->{port}, Proto => 'tcp')
        or die "connect 127.0.0.1:$c->{port}: $!\n";
    setsockopt($c->{sock}, Socket::IPPROTO_TCP(), Socket::TCP_NODELAY(), 1);
    $c->{buf} = '';
    $c->{used} = 0;
}

sub _fill {
    my ($c) = @_;
    my $n = sysread($c->{sock}, $c->{buf}, 65536, length $c->{buf});
    return $n;
}

sub _read_n {
    my ($c, $n) = @_;
    while (length $c->{buf} < $n) {
        my $got = $c->_fill;
        return undef unless $got;
    }
    return substr($c->{buf}, 0, $n, '');
}

sub _read_line {
    my ($c) = @_;
    my $i;
    while (($i = index($c->{buf}, "\r\n")) < 0) {
        return undef unless $c->_fill;
    }
    return substr($c->{buf}, 0, $i + 2, '');
}

# (status, body, {lower-case header => value}); dies on a broken answer.
# A kept-alive connection the server closed meanwhile is opened again
# once, before anything was read.
sub request {
    my ($c, $method, $path, $headers, $body) = @_;
    $body //= '';
    for my $attempt (0, 1) {
        $c->open_conn unless $c->{sock};
        my $reused = $c->{used}++;
        my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                . ($headers // '')
                . ($method eq 'GET' ? '' : 'Content-Length: ' . length($body)
                                           . "\r\n")
                . "\r\n" . $body;
        my $off = 0;
        while ($off < length $req) {
            my $w = syswrite($c->{sock}, $req, length($req) - $off, $off);
            last unless $w;
            $off += $w;
        }
        my $status = $off == length $req ? $c->_read_line : undef;
        if (!defined $status) {
            close $c->{sock};
            $c->{sock} = undef;
            next if $attempt == 0 && $reused;
            die "$method $path: connection closed\n";
        }
        my ($code) = $status =~ m{^HTTP/1\.\d (\d{3})}
            or die "$method $path: bad status line $status";
        my %h;
        while (defined(my $line = $c->_read_line)) {
            last if $line eq "\r\n";
            $h{lc $1} = $2 if $line =~ /^([^:]+):\s*(.*?)\r\n$/;
        }
        my $data = '';
        if (defined $h{'content-length'}) {
            $data = $c->_read_n($h{'content-length'})
                // die "$method $path: short body\n";
        }
        elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
            while (1) {
                my $line = $c->_read_line // die "$method $path: chunk\n";
                $line =~ s/[;\r\n].*//s;      # the size, without extensions
                my $size = hex $line;
                my $chunk = $c->_read_n($size + 2)
                    // die "$method $path: short chunk\n";
                last if $size == 0;
                $data .= substr($chunk, 0, $size);
            }
        }
        elsif ($method ne 'HEAD' && $code !~ /^(1|204|304)/) {
            1 while $c->_fill;
            ($data, $c->{buf}) = ($c->{buf}, '');
            $h{connection} = 'close';
        }
        if (($h{connection} // '') =~ /close/i) {
            close $c->{sock};
            $c->{sock} = undef;
        }
        return ($code, $data, \%h);
    }
}

package BkmBench;

# run_clients(N, \@jobs, sub { my ($conn, $job) = @_; ...; return error or
# undef }, PORT): N forked clients, each with one kept-alive connection,
# take every N-th job; all start together.  Returns { secs => wall time
# from the start to the last client's end, lat => [seconds per job],
# errors => [first few error strings], nerr => count }.
# With COLLECT true, each client's $conn->{out} is a file handle, and the
# lines written there come back as out => [lines].
sub run_clients {
    my ($n, $jobs, $work, $port, $collect) = @_;
    my $dir = tempdir(CLEANUP => 1);
    pipe(my $gate_r, my $gate_w) or die "pipe: $!";
    my @pids;
    for my $w (0 .. $n - 1) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $gate_w;
            my $conn = new_conn($port);
            $conn->open_conn;
            if ($collect) {
                open $conn->{out}, '>', "$dir/$w.out" or POSIX::_exit(1);
            }
            my @mine = @$jobs[grep { $_ % $n == $w } 0 .. $#$jobs];
            my (@lat, @err);
            sysread($gate_r, my $x, 1);     # EOF: go
            local $SIG{ALRM} = sub { die "no answer within 30 s\n" };
            for my $job (@mine) {
                my $t0 = time;
                alarm 30;
                my $e = eval { $work->($conn, $job) };
                alarm 0;
                if (!defined $e && $@) {
                    $e = $@;
                    $conn->{sock} = undef;      # in an unknown state
                }
                push @lat, time - $t0;
                push @err, $e if defined $e;
                last if defined $e && $e =~ /^no answer/;   # a hung server
            }
            close $conn->{out} if $collect;
            open my $out, '>', "$dir/$w" or POSIX::_exit(1);
            print $out "L $_\n" for @lat;
            print $out "E $_\n" for map { (my $s = $_) =~ s/\n/ /g; $s } @err;
            close $out;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    close $gate_r;
    select undef, undef, undef, 0.2;    # every client connected
    my $t0 = time;
    close $gate_w;
    waitpid $_, 0 for @pids;
    my %r = (secs => time - $t0, lat => [], errors => [], nerr => 0);
    for my $w (0 .. $n - 1) {
        open my $in, '<', "$dir/$w" or do { $r{nerr}++; next };
        while (<$in>) {
            chomp;
            if (s/^L //) { push @{ $r{lat} }, $_ }
            elsif (s/^E //) { $r{nerr}++; push @{ $r{errors} }, $_
                                  if @{ $r{errors} } < 5 }
        }
    }
    $r{nerr} += @$jobs - @{ $r{lat} };      # a client that died
    if ($collect) {
        for my $w (0 .. $n - 1) {
            open my $in, '<', "$dir/$w.out" or next;
            push @{ $r{out} }, map { chomp; $_ } <$in>;
        }
    }
    return \%r;
}

# The p-th percentile (0 < p <= 100, nearest rank) of a list of numbers.
sub percentile {
    my ($p, @v) = @_;
    return undef unless @v;
    @v = sort { $a <=> $b } @v;
    my $i = int($p / 100 * @v + 0.9999999) - 1;
    return $v[$i < 0 ? 0 : $i];
}

# Seconds as the bench output's milliseconds.
sub fmt_ms {
    my ($s) = @_;
    return '?' unless defined $s;
    return $s < 0.01 ? sprintf('%.2fms', $s * 1000)
         : $s < 1 ? sprintf('%.1fms', $s * 1000) : sprintf('%.0fms', $s * 1000);
}

# wrk's latency ("812.00us", "1.20ms", "1.01s") in seconds.
sub ms_of {
    my ($v) = @_;
    return undef unless defined $v && $v =~ /^([\d.]+)(us|ms|s|m)$/;
    return $1 * { us => 1e-6, ms => 1e-3, s => 1, m => 60 }->{$2};
}

# wrk -t2 -c8 for SECS seconds on a GET with headers (pairs), each
# request given up after 5 s: { rps, p50, p99 (seconds), n, bad (non-2xx
# or 3xx), errors (wrk's socket errors, timeouts among them) }.
sub wrk_get {
    my ($url, $secs, @headers) = @_;
    my @h;
    while (my ($k, $v) = splice @headers, 0, 2) {
        push @h, '-H', "$k: $v";
    }
    open my $fh, '-|', 'wrk', '-t2', '-c8', "-d${secs}s", '--timeout', '5s',
        '--latency', @h, $url or die "wrk: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    my %r;
    ($r{rps}) = $out =~ /^Requests\/sec:\s+([\d.]+)/m;
    my ($p50) = $out =~ /^\s+50%\s+(\S+)/m;
    my ($p99) = $out =~ /^\s+99%\s+(\S+)/m;
    @r{qw(p50 p99)} = (ms_of($p50), ms_of($p99));
    ($r{n}) = $out =~ /(\d+) requests in/;
    ($r{bad}) = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    $r{bad} //= 0;
    ($r{errors}) = $out =~ /Socket errors:(.*)$/m;
    $r{out} = $out;
    return \%r;
}

# ---- the yardstick: a stock httpd (issue 17, item 7) --------------------
# Debian's /usr/sbin/apache2 with nothing but the MPM, authz_core and
# mime: the same MPM and thread settings as the portal's server under
# test (read from its httpd.conf), EnableSendfile On, unlimited keep-alive,
# no access log.  One per bench process, started on first use, stopped at
# its end.  What the portal's ratios are measured against: "a static file
# of the same size served by a stock httpd, in the same run".

my ($stock, $stock_owner);

# The portal's MPM and its settings, from the httpd.conf Apache::Test
# wrote (t/conf/httpd.conf.in): (mpm name, [directive, value] ...).
sub portal_mpm {
    my $conf = Apache::Test::config()->{vars}{t_conf_file};
    open my $fh, '<', $conf or die "$conf: $!";
    my ($mpm, %v) = ('event');
    my @names = qw(StartServers ServerLimit ThreadsPerChild MaxRequestWorkers
                   MinSpareThreads MaxSpareThreads);
    while (<$fh>) {
        $mpm = $1 if /^\s*LoadModule\s+mpm_(\w+)_module/;
        for my $n (@names) {
            $v{$n} = $1 if /^\s*\Q$n\E\s+(\d+)/;
        }
    }
    return ($mpm, map { [$_, $v{$_}] } grep { defined $v{$_} } @names);
}

sub stock_server {
    return $stock if $stock;
    my $dir = tempdir('bkm-stock-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    mkdir "$dir/htdocs" or die "mkdir: $!";
    my $port = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0')
        ->sockport;
    my ($mpm, @mpm) = portal_mpm();
    my $mods = '/usr/lib/apache2/modules';
    my $conf = join "\n",
        "ServerRoot $dir",
        "LoadModule mpm_${mpm}_module $mods/mod_mpm_$mpm.so",
        "LoadModule authz_core_module $mods/mod_authz_core.so",
        "LoadModule mime_module $mods/mod_mime.so",
        'TypesConfig /etc/mime.types',
        "Listen 127.0.0.1:$port",
        'ServerName 127.0.0.1',
        "PidFile $dir/httpd.pid",
        "DefaultRuntimeDir $dir",
        "ErrorLog $dir/error_log",
        ($> == 0 ? ('User www-data', 'Group www-data') : ()),
        (map { "$_->[0] $_->[1]" } @mpm),
        'KeepAlive On', 'MaxKeepAliveRequests 0', 'EnableSendfile On',
        "DocumentRoot $dir/htdocs",
        '<Directory />', '    AllowOverride None', '</Directory>',
        "<Directory $dir/htdocs>", '    Require all granted', '</Directory>',
        '';
    spit("$dir/httpd.conf", $conf);
    system('/usr/sbin/apache2', '-f', "$dir/httpd.conf", '-k', 'start') == 0
        or die "the stock httpd did not start (see $dir/error_log)\n";
    $stock = { dir => $dir, port => $port, pidfile => "$dir/httpd.pid",
               conf => "$dir/httpd.conf",
               mpm => join ', ', $mpm, map { "$_->[0] $_->[1]" } @mpm };
    $stock_owner = $$;
    spit("$dir/htdocs/up", 'up');
    for (1 .. 100) {
        my $c = new_conn($port);
        my ($code) = eval { $c->request('GET', '/up') };
        return $stock if ($code // 0) == 200;
        select undef, undef, undef, 0.1;
    }
    die "the stock httpd does not answer on $port\n";
}

END {
    if ($stock && $stock_owner && $$ == $stock_owner) {
        my $pid = do { open my $f, '<', $stock->{pidfile}; <$f> };
        system('/usr/sbin/apache2', '-f', $stock->{conf}, '-k', 'stop');
        if ($pid && $pid =~ /(\d+)/) {
            my $p = $1;
            for (1 .. 50) { last unless kill 0, $p; select undef, undef, undef, 0.1 }
        }
    }
}

# stock_file(NAME, BYTES): the bytes as a static file of the stock
# server; its URL.
sub stock_file {
    my ($name, $bytes) = @_;
    my $s = stock_server();
    spit("$s->{dir}/htdocs/$name", $bytes);
    chmod 0644, "$s->{dir}/htdocs/$name";
    return "http://127.0.0.1:$s->{port}/$name";
}

# The CPU time (seconds) an httpd's parent and children have used so far.
sub server_ticks {
    my ($pidfile) = @_;
    open my $f, '<', $pidfile or return 0;
    my ($parent) = <$f> =~ /(\d+)/;
    my $hz = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
    my $t = 0;
    for my $pid ($parent, map { /(\d+)/ ? $1 : () } `ps -o pid= --ppid $parent`) {
        open my $st, '<', "/proc/$pid/stat" or next;
        my @f = split ' ', (<$st> =~ s/^.*\) //r);
        $t += $f[11] + $f[12];      # utime + stime (fields 14, 15)
    }
    return $t / $hz;
}

sub portal_pidfile { Apache::Test::config()->{vars}{t_pid_file} }

# yardstick(url => PORTAL URL, headers => [pairs], body => THE REPLY'S
# BYTES, name => file name on the stock server, rounds => N, secs => S,
# pidfile => the portal's): the portal URL and a static file of the same
# bytes on the stock server, with wrk (2 threads x 8 connections), in
# turn: stock, portal, stock, portal ... (a neighbour's load hits both).
# Returns { rps, static, ratio (medians of the rounds' figures), p50, p99
# (the portal's, worst round), cpu, static_cpu (server CPU microseconds
# per request), rounds => [[static, portal] ...], bad (non-2xx or socket
# errors, either server), out }.
sub yardstick {
    my (%a) = @_;
    my $rounds = $a{rounds} // $ENV{BKM_BENCH_ROUNDS} // 2;
    my $secs = $a{secs} // $ENV{BKM_BENCH_SECONDS} // 5;
    my $static = stock_file($a{name} // 'same-size.bin', $a{body});
    my $spid = stock_server()->{pidfile};
    my $ppid = $a{pidfile} // portal_pidfile();
    my (@s, @p, @ratio, @scpu, @pcpu, $bad, $out);
    my ($p50, $p99) = (0, 0);
    # One short warm-up of each, not counted.
    wrk_get($static, 1);
    wrk_get($a{url}, 1, @{ $a{headers} // [] });
    for (1 .. $rounds) {
        my $t0 = server_ticks($spid);
        my $s = wrk_get($static, $secs);
        my $t1 = server_ticks($spid);
        my $u0 = server_ticks($ppid);
        my $p = wrk_get($a{url}, $secs, @{ $a{headers} // [] });
        my $u1 = server_ticks($ppid);
        push @s, $s->{rps} // 0;
        push @p, $p->{rps} // 0;
        push @ratio, ($p->{rps} // 0) / ($s->{rps} || 1);
        push @scpu, $s->{n} ? ($t1 - $t0) * 1e6 / $s->{n} : 0;
        push @pcpu, $p->{n} ? ($u1 - $u0) * 1e6 / $p->{n} : 0;
        $p50 = $p->{p50} if ($p->{p50} // 0) > $p50;
        $p99 = $p->{p99} if ($p->{p99} // 0) > $p99;
        $bad++ unless wrk_ok($s) && wrk_ok($p);
        $out .= $s->{out} . $p->{out};
    }
    my $med = sub { my @v = sort { $a <=> $b } @_; @v % 2 ? $v[$#v / 2]
                    : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 };
    return { rps => $med->(@p), static => $med->(@s), ratio => $med->(@ratio),
             p50 => $p50, p99 => $p99, cpu => $med->(@pcpu),
             static_cpu => $med->(@scpu),
             rounds => [map { [$s[$_], $p[$_]] } 0 .. $#s], bad => $bad,
             out => $out, bytes => length $a{body} };
}

# ---- the table (issue 17, item 8) ---------------------------------------

sub engine { $ENV{TEST_PGSQL} ? 'pgsql' : 'sqlite' }

# row(block => 'intake', key => 'form.rps', figure => 'what was measured',
#     value => NUMBER, show => 'how it reads', op => '>=' or '<=',
#     target => NUMBER, goal => 'the target as the issue says it',
#     against => 'the yardstick or ratio it is measured against',
#     noisy => 1 (a wall-clock rate or time on a shared machine)):
# one row of `make bench`'s table, as a diagnostic line that build/bench
# collects and prints per engine.  pass/MISS when there is a target.
sub row {
    my (%r) = @_;
    $r{engine} //= engine();
    if (defined $r{op} && defined $r{target}) {
        $r{status} = !defined $r{value} ? 'MISS'
            : ($r{op} eq '>=' ? $r{value} >= $r{target}
                              : $r{value} <= $r{target}) ? 'pass' : 'MISS';
    }
    $r{show} //= defined $r{value} ? "$r{value}" : '?';
    my $line = 'BKMROW ' . JSON::PP->new->canonical->encode(\%r);
    if (defined &Test::More::diag) { Test::More::diag($line) }
    else { print STDERR "# $line\n" }
    return \%r;
}

my %SYNCHRONOUS = (0 => 'OFF', 1 => 'NORMAL', 2 => 'FULL', 3 => 'EXTRA');

# The durability settings the portal's own database connections have, as
# its httpd read them back and logged them (BKM07380, modules/server/db.c:
# once per process, at its first request that uses the database): a hash
# (fsync, synchronous_commit on PostgreSQL; synchronous, journal_mode,
# wal_autocheckpoint on SQLite) and one line; empty when no line is
# there yet.
sub engine_settings {
    my ($log) = @_;
    $log //= Apache::Test::config()->{vars}{t_logs} . '/error_log';
    open my $fh, '<', $log or return ({}, '');
    my $last;
    while (<$fh>) {
        $last = $1 if /BKM07380: .*read back: (.*)$/;
    }
    return ({}, '') unless $last;
    my %h = map { split /=/, $_, 2 } split ' ', $last;
    $h{synchronous} = "$SYNCHRONOUS{$h{synchronous}} ($h{synchronous})"
        if defined $h{synchronous} && exists $SYNCHRONOUS{$h{synchronous}};
    my @order = engine() eq 'pgsql' ? qw(fsync synchronous_commit)
              : qw(synchronous journal_mode wal_autocheckpoint);
    return (\%h, join ', ', map { "$_=" . ($h{$_} // '?') } @order);
}

# commit_rate(SECS, \%settings): durable commits per second of a
# transaction shaped like a report's (one 48 KB incompressible row and an
# event row), 8 clients at once, on a database of its own in the suite's
# engine, through the engine's own client: pgbench on PostgreSQL (the
# server's fsync and synchronous_commit as they are), 8 sqlite3 processes
# on SQLite (synchronous=FULL, WAL, the portal's wal_autocheckpoint).
# Returns { rps, n, secs, how }.
sub commit_rate {
    my ($secs, $settings) = @_;
    my ($driver, $params, $file, $sql) = bench_database('commit', 'bkm_commit');
    my $dir = tempdir(CLEANUP => 1);
    chmod 0755, $dir;
    if ($driver eq 'pgsql') {
        $sql->(<<'SQL');
CREATE TABLE src (k int PRIMARY KEY, b bytea);
INSERT INTO src SELECT k, (SELECT decode(string_agg(lpad(to_hex(
    (random() * 4294967295)::bigint), 8, '0'), ''), 'hex')
    FROM generate_series(1, 12288) WHERE k > 0) FROM generate_series(1, 64) k;
CREATE TABLE c (id bigserial PRIMARY KEY, b bytea, t int);
CREATE TABLE e (id bigserial PRIMARY KEY, c bigint, hendelse text, t int);
SQL
        spit("$dir/commit.sql", <<'SQL');
\set k random(1, 64)
BEGIN;
INSERT INTO c (b, t) SELECT b, :k FROM src WHERE k = :k;
INSERT INTO e (c, hendelse, t) VALUES (currval('c_id_seq'), 'MOTTATT', :k);
COMMIT;
SQL
        open my $fh, '-|', 'pgbench', '-n', '-c', 8, '-j', 2, '-T', $secs,
            '-f', "$dir/commit.sql", '-h', '127.0.0.1', '-p',
            $ENV{BKM_PG_PORT}, '-U', 'bekymring', 'bkm_commit'
            or die "pgbench: $!";
        my $out = do { local $/; <$fh> };
        close $fh;
        my ($tps) = $out =~ /^tps = ([\d.]+)/m;
        my ($n) = $out =~ /number of transactions actually processed: (\d+)/;
        # Gone again, as the SQLite file below: its 48 KB rows would keep
        # autovacuum busy on its TOAST table through the blocks that
        # follow in the same cluster (the intake runs' tail, issue 17).
        system('psql', '-q', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT},
               '-U', 'postgres', '-c',
               'DROP DATABASE IF EXISTS bkm_commit WITH (FORCE)');
        return { rps => $tps, n => $n, secs => $secs,
                 how => 'pgbench, 8 clients' };
    }
    my $ckpt = $settings && $settings->{wal_autocheckpoint} // 1000;
    $sql->("PRAGMA journal_mode=WAL; CREATE TABLE c (id INTEGER PRIMARY KEY, "
           . "b BLOB, t INTEGER); CREATE TABLE e (id INTEGER PRIMARY KEY, c "
           . "INTEGER, hendelse TEXT, t INTEGER);");
    my $per = 150;
    my $tx = "BEGIN IMMEDIATE; INSERT INTO c (b, t) VALUES (randomblob(49152), 1); "
           . "INSERT INTO e (c, hendelse, t) VALUES (last_insert_rowid(), "
           . "'MOTTATT', 1); COMMIT;\n";
    spit("$dir/commit.sql", ".timeout 20000\nPRAGMA synchronous=FULL;\n"
         . "PRAGMA wal_autocheckpoint=$ckpt;\n" . ($tx x $per));
    chmod 0644, "$dir/commit.sql";
    my @as = $> == 0 ? ('runuser', '-u', 'www-data', '--') : ();
    my $t0 = time;
    my @pids;
    for (1 .. 8) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            open STDIN, '<', "$dir/commit.sql" or POSIX::_exit(1);
            open STDOUT, '>', '/dev/null';
            { exec @as, "sqlite3", "-bail", $file };
            POSIX::_exit(1);
        }
        push @pids, $pid;
    }
    my $bad = 0;
    for (@pids) { waitpid $_, 0; $bad++ if $? }
    my $t = time - $t0;
    my ($n) = $sql->('SELECT COUNT(*) FROM c');
    unlink glob("$file*");
    return { rps => $bad ? undef : $n / $t, n => $n, secs => $t,
             how => "8 sqlite3 processes, wal_autocheckpoint=$ckpt" };
}


# A wrk run (wrk_get's result) that worked: requests made, every answer
# 2xx or 3xx, and no more socket errors than the read error or two where
# wrk stops in the middle of an answer.
sub wrk_ok {
    my ($w) = @_;
    my $e = 0;
    $e += $_ for ($w->{errors} // '') =~ /(\d+)/g;
    return $w->{n} && !$w->{bad} && $e <= 2 + $w->{n} / 1000;
}

# A database of a benchmark's own, made empty: on PostgreSQL (TEST_PGSQL=1)
# the database $dbname of the suite's cluster, else t/dev/db/$name.sqlite.
# Returns mod_dbd's driver and parameters, the SQLite file (undef on
# PostgreSQL), and a function that runs an SQL script through the engine's
# own client (its last line in scalar context, all lines in list context).
sub bench_database {
    my ($name, $dbname) = @_;
    my ($driver, $params, @client, $file);
    if ($ENV{TEST_PGSQL}) {
        my @su = ('psql', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
                  '-p', $ENV{BKM_PG_PORT}, '-U', 'postgres');
        system(@su, '-c', "DROP DATABASE IF EXISTS $dbname") == 0
            && system(@su, '-c', "CREATE DATABASE $dbname OWNER bekymring") == 0
            or die "cannot create the database $dbname\n";
        ($params = $ENV{BKM_PG_PARAMS}) =~ s/dbname=\S+/dbname=$dbname/;
        $driver = 'pgsql';
        @client = ('psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h',
                   '127.0.0.1', '-p', $ENV{BKM_PG_PORT}, '-U', 'bekymring',
                   '-d', $dbname, '-c');
    }
    else {
        $file = root() . "/t/dev/db/$name.sqlite";
        unlink glob("$file*");
        ($driver, $params) = ('sqlite3', $file);
        # As httpd's User: SQLite's -wal and -shm files must stay theirs.
        @client = (($> == 0 ? ('runuser', '-u', 'www-data', '--') : ()),
                   'sqlite3', '-bail', $file);
    }
    my $sql = sub {
        my ($script) = @_;
        open my $fh, '-|', @client, $script or die "@client: $!";
        my @out = map { chomp; $_ } <$fh>;
        close $fh or die "SQL failed: " . substr($script, 0, 200) . "\n";
        return wantarray ? @out : $out[-1];
    };
    return ($driver, $params, $file, $sql);
}

1;
