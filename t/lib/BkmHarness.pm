# SPDX-License-Identifier: Apache-2.0
# What lets the suite run wherever it is cloned, and beside another
# checkout's run on the same machine (t/TEST, README "Tests"):
#
#   free_port()       a TCP port on 127.0.0.1 that is free now and that no
#                     other run of the suite will pick while this process
#                     lives (a reservation: an abstract unix socket named
#                     after the port, held open; the kernel drops it when
#                     the process ends, however it ends).  Picked at random
#                     below the kernel's ephemeral range, so that no
#                     client's source port takes it before the server
#                     binds it.
#   run_tag()         the value of BKM_SUITE_RUN that t/TEST exports: its
#                     pid, start time and checkout.  Every process the run
#                     starts inherits it (httpd nodes that daemonize,
#                     PostgreSQL through runuser, the stand-in, Chromium),
#                     so tagged() finds all of them in /proc, and
#                     stop_processes() stops them: on every exit of t/TEST
#                     and, after a run that could not clean up (SIGKILL),
#                     at the start of the next.
#   can_reach()       whether a user (httpd's children run as www-data when
#                     the suite runs as root) can reach paths.
package BkmHarness;
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use POSIX ();
use Socket qw(PF_INET PF_UNIX SOCK_STREAM INADDR_LOOPBACK sockaddr_in
              pack_sockaddr_un);
use Time::HiRes ();

our @EXPORT_OK = qw(free_port release port_is_free port_range run_tag parse_tag
                    start_time of_run processes tagged stop_processes can_reach);

# ---- ports ---------------------------------------------------------------

# Ports from 20000 to just below the ephemeral range (Linux: 32768-60999),
# where connect() takes source ports; BKM_PORT_RANGE=LO-HI sets another.
sub port_range {
    return ($1, $2) if ($ENV{BKM_PORT_RANGE} // '') =~ /^(\d+)-(\d+)$/;
    my ($lo, $hi) = (32768, 60999);
    if (open my $f, '<', '/proc/sys/net/ipv4/ip_local_port_range') {
        ($lo, $hi) = split ' ', scalar <$f>;
    }
    return (20000, $lo - 1) if $lo > 21000;
    return ($hi + 1, 65535) if $hi < 64000;
    return (20000, 30000);                  # no room: the probe must do
}

sub port_is_free {
    my ($port) = @_;
    socket(my $s, PF_INET, SOCK_STREAM, 0) or return 0;
    return bind($s, sockaddr_in($port, INADDR_LOOPBACK)) ? 1 : 0;
}

my %reserved;   # port => the socket that reserves it (this process's)

sub reserve {
    my ($port) = @_;
    socket(my $s, PF_UNIX, SOCK_STREAM, 0) or return undef;
    return bind($s, pack_sockaddr_un("\0bkm-suite-port-$port")) ? $s : undef;
}

# Gives up a reservation of this process (the port may then be picked by
# another run, or by this one again).
sub release {
    my ($port) = @_;
    close delete $reserved{$port} if $reserved{$port};
}

sub free_port {
    my ($lo, $hi) = port_range();
    for (1 .. 500) {
        my $port = $lo + int rand($hi - $lo + 1);
        next if $reserved{$port};
        my $r = reserve($port) or next;     # another run's
        next unless port_is_free($port);
        $reserved{$port} = $r;
        return $port;
    }
    die "BkmHarness: no free port in $lo-$hi\n";
}

# ---- the run's processes -------------------------------------------------

# A process's start time (clock ticks since boot), or undef if it is gone
# (or a zombie, which has stopped all but being reaped).
sub start_time {
    my ($pid) = @_;
    open my $f, '<', "/proc/$pid/stat" or return undef;
    my $stat = <$f> // return undef;
    my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
    return undef if $f[0] eq 'Z' || $f[0] eq 'X';
    return $f[19];
}

sub run_tag {
    my ($root) = @_;
    return join ':', $$, start_time($$), $root;
}

# (pid, start time, checkout) of a tag.  A tag may carry a name before it,
# NAME@TAG: processes of the run that can be told from the others (t/harness.t
# stops its own that way), which the run stops with the rest.
sub parse_tag {
    my ($tag) = @_;
    return ($tag // '') =~ /^(?:[^\@:]*\@)?(\d+):(\d+):(.+)$/ ? ($1, $2, $3)
                                                             : ();
}

# Whether a process's tag is the run's, named or not.
sub of_run {
    my ($ptag, $run) = @_;
    return defined $ptag && ($ptag eq $run || $ptag =~ /^[^\@:]*\@\Q$run\E$/);
}

# Every process we may read: { pid, ppid, comm, cmd, tag }.
sub processes {
    my @p;
    opendir my $d, '/proc' or return;
    for my $pid (grep { /^\d+$/ } readdir $d) {
        open my $st, '<', "/proc/$pid/stat" or next;
        my $stat = <$st> // next;
        my ($comm) = $stat =~ /\((.*)\)/s;
        my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
        next if $f[0] eq 'Z';
        my $cmd = '';
        if (open my $c, '<', "/proc/$pid/cmdline") {
            local $/;
            $cmd = join ' ', split /\0/, <$c> // '';
        }
        my $tag;
        if (open my $e, '<', "/proc/$pid/environ") {
            local $/ = "\0";
            while (my $v = <$e>) {
                chomp $v;
                if ($v =~ /^BKM_SUITE_RUN=(.*)$/s) { $tag = $1; last }
            }
        }
        push @p, { pid => $pid, ppid => $f[1], comm => $comm, cmd => $cmd,
                   tag => $tag };
    }
    return @p;
}

# The processes of the runs that $want (a tag, or a code ref given the tag)
# selects, never this process.
sub tagged {
    my ($want) = @_;
    my $match = ref $want ? $want : sub { $_[0] eq $want };
    return grep { $_->{pid} != $$ && defined $_->{tag}
                  && $match->($_->{tag}) } processes();
}

# Stops processes (from tagged() or processes()): first the ones whose
# parent is not among them (httpd's parent stops its children, PostgreSQL's
# postmaster its backends; a postmaster gets SIGINT, its fast shutdown),
# then whatever is left, with SIGKILL in the end.  Returns their
# descriptions.
sub stop_processes {
    my (@p) = @_;
    return () unless @p;
    my %in = map { ($_->{pid} => 1) } @p;
    my @top = grep { !$in{ $_->{ppid} } } @p;
    for (@top) {
        kill($_->{comm} eq 'postgres' ? 'INT' : 'TERM', $_->{pid});
    }
    my $alive = sub { grep { defined start_time($_->{pid}) } @p };
    for my $round (1 .. 3) {
        my $until = Time::HiRes::time() + ($round == 1 ? 15 : 3);
        while (Time::HiRes::time() < $until) {
            last unless $alive->();
            Time::HiRes::sleep(0.1);
        }
        my @left = $alive->() or last;
        kill($round == 1 ? 'TERM' : 'KILL', map { $_->{pid} } @left);
    }
    return map { "$_->{pid} $_->{cmd}" } @top;
}

# ---- users ---------------------------------------------------------------

# Whether $user can reach each path (a directory: enter it; a file: read
# it).  Run as root only: a child takes the user's identity and looks.
sub can_reach {
    my ($user, @paths) = @_;
    my ($uid, $gid) = (getpwnam $user)[2, 3];
    return 0 unless defined $uid;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my @groups = ($gid);
        while (my @g = getgrent) {
            push @groups, $g[2] if grep { $_ eq $user } split ' ', $g[3];
        }
        endgrent();
        $) = join ' ', $gid, @groups;
        $( = $gid;
        POSIX::setuid($uid) or POSIX::_exit(2);
        for (@paths) {
            POSIX::_exit(1) unless -d $_ ? -x $_ : -r $_;
        }
        POSIX::_exit(0);
    }
    waitpid $pid, 0;
    return $? == 0;
}

1;
