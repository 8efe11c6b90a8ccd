# SPDX-License-Identifier: Apache-2.0
# Helpers of the benchmarks in t/bench (make bench only):
#   - a lean keep-alive HTTP/1.1 client, so that a client process costs
#     little beside httpd on the same (small) machine;
#   - run_clients: N forked clients working through a list of jobs
#     together, with each job's wall time;
#   - wrk_get: one wrk run of a GET (2 threads x 8 connections), parsed;
#   - percentiles and the millisecond formatting of the bench output;
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
use BkmTest qw(root);

our @EXPORT_OK = qw(run_clients wrk_get percentile ms_of fmt_ms
                    header_lines bench_database);

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
sub run_clients {
    my ($n, $jobs, $work, $port) = @_;
    my $dir = tempdir(CLEANUP => 1);
    pipe(my $gate_r, my $gate_w) or die "pipe: $!";
    my @pids;
    for my $w (0 .. $n - 1) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $gate_w;
            my $conn = new_conn($port);
            $conn->open_conn;
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
