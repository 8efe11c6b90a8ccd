# SPDX-License-Identifier: Apache-2.0
# The chaos run's machinery (make chaos; t/chaos/chaos.pl): a development
# tree of its own, the ID-porten stand-in, a throwaway PostgreSQL cluster
# or SQLite on a tmpfs, and httpd nodes with the test build, each of which
# this file can start, kill -9 (children, or the parent with its children)
# and start again.  Everything lives under build/out/chaos; every process
# it stops is one it started (by its pidfile or the pid it forked).
package ChaosEnv;
use strict;
use warnings FATAL => 'all';

use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use IPC::Open3 qw(open3);
use LWP::UserAgent;
use POSIX qw(setsid WNOHANG);
use Time::HiRes qw(time sleep);

my $PGBIN = '/usr/lib/postgresql/15/bin';
my $SQLITE_TMPFS_SIZE = '2g';     # what the tmpfs may hold; only used pages cost

# ChaosEnv->new(root => ..., engine => 'sqlite'|'pgsql', out => dir)
sub new {
    my ($class, %a) = @_;
    my $self = bless { %a }, $class;
    $self->{out} //= "$a{root}/build/out/chaos";
    $self->{dev} = "$self->{out}/dev";
    $self->{run} = "$self->{out}/$a{engine}";
    $self->{port} = $ENV{BKM_HTTPD_PORT} || 8529;
    $self->{node2_port} = $ENV{BKM_NODE2_PORT} || 8597;
    $self->{op_port} = $ENV{BKM_OP_PORT} || 8539;
    $self->{pg_port} = $ENV{BKM_PG_PORT} || 55433;
    $self->{owner} = $$;
    return $self;
}

sub log_line {
    my ($self, $msg) = @_;
    printf STDERR "chaos %s %6.1f  %s\n", $self->{engine},
        time - ($self->{t0} // time), $msg if $self->{verbose};
}

sub run_or_die {
    my (@cmd) = @_;
    system(@cmd) == 0 or die "chaos: failed: @cmd\n";
}

# ---- the development tree and the ID-porten stand-in -----------------------

sub setup_dev {
    my ($self) = @_;
    make_path($self->{out});
    run_or_die("$self->{root}/build/dev-tree $self->{dev} >/dev/null");
    open my $env, '<', "$self->{dev}/env" or die "$self->{dev}/env: $!";
    while (<$env>) {
        $ENV{$1} = $2 if /^(\w+)=(.*)$/;
    }
    close $env;
    $ENV{BKM_ROOT} = $self->{root};
    $ENV{BKM_DEV_DIR} = $self->{dev};
    $ENV{BKM_OP_PORT} = $self->{op_port};
}

sub wait_for_url {
    my ($url, $secs) = @_;
    my $ua = LWP::UserAgent->new(timeout => 2);
    my $end = time + $secs;
    while (time < $end) {
        return 1 if $ua->get($url)->is_success;
        sleep 0.1;
    }
    return 0;
}

sub start_op {
    my ($self) = @_;
    my $log = "$self->{out}/idporten-dev.log";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        setsid();
        open STDOUT, '>', $log or die "$log: $!";
        open STDERR, '>&', \*STDOUT;
        $ENV{BKM_OIDC_REDIRECT_URIS} = join ',',
            map { "http://127.0.0.1:$_/oidc/redirect" }
            $self->{port}, $self->{node2_port};
        exec 'node', "$self->{root}/build/idporten-dev/op.mjs"
            or die "exec node: $!";
    }
    $self->{op_pid} = $pid;
    wait_for_url("http://127.0.0.1:$self->{op_port}"
                 . "/.well-known/openid-configuration", 30)
        or die "chaos: the ID-porten stand-in did not start (see $log)\n";
}

sub stop_op {
    my ($self) = @_;
    return unless $self->{op_pid};
    kill 'TERM', -$self->{op_pid};
    waitpid $self->{op_pid}, 0;
    delete $self->{op_pid};
}

# ---- PostgreSQL: a throwaway cluster (RECIPES §7), fsync on ---------------

sub as_pg { $> == 0 ? ('runuser', '-u', 'postgres', '--', @_) : @_ }

sub pg_ctl {
    my ($self, @args) = @_;
    my @cmd = as_pg("$PGBIN/pg_ctl", '-D', "$self->{run}/pg/data", '-l',
                    "$self->{run}/pg/server.log", @args);
    return system(join(' ', map { "'$_'" } @cmd) . ' >/dev/null 2>&1') == 0;
}

sub start_pg {
    my ($self) = @_;
    my $dir = "$self->{run}/pg";
    remove_tree($dir);
    make_path($dir);
    run_or_die('chown', 'postgres', $dir) if $> == 0;
    run_or_die(join(' ', as_pg("$PGBIN/initdb", '-D', "$dir/data", '-U',
        'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'))
        . ' >/dev/null');
    # Loopback only, no socket file; fsync stays on (the default): the
    # immediate stop below is a crash of the server, and what it committed
    # must be there when it comes back.
    open my $conf, '>>', "$dir/data/postgresql.conf" or die "$!";
    print $conf "port = $self->{pg_port}\nlisten_addresses = '127.0.0.1'\n"
        . "unix_socket_directories = ''\nmax_connections = 200\n";
    close $conf;
    $self->pg_ctl('-w', 'start') or die "chaos: PostgreSQL did not start "
        . "(see $dir/server.log)\n";
    $self->{pg_up} = 1;
    my @psql = ('psql', '-X', '-q', '-h', '127.0.0.1', '-p', $self->{pg_port},
                '-U', 'postgres');
    run_or_die(@psql, '-c', 'CREATE ROLE bekymring LOGIN');
    run_or_die(@psql, '-c', 'CREATE DATABASE bekymring OWNER bekymring');
}

sub pg_stop_immediate { $_[0]->pg_ctl('-m', 'immediate', '-w', 'stop') }
sub pg_start { $_[0]->pg_ctl('-w', '-t', '60', 'start') }

sub stop_pg {
    my ($self) = @_;
    return unless $self->{pg_up};
    $self->pg_ctl('-m', 'fast', '-w', 'stop');
    delete $self->{pg_up};
}

# ---- SQLite on a tmpfs of its own ----------------------------------------

sub sqlite_dir { "$_[0]{run}/sqlite" }
sub sqlite_file { $_[0]->sqlite_dir . '/chaos.sqlite' }

# Mounts a tmpfs for the database (returns 1), or says why it cannot and
# keeps the database on the ordinary disk (returns 0).
sub mount_tmpfs {
    my ($self) = @_;
    my $dir = $self->sqlite_dir;
    $self->umount_tmpfs;
    remove_tree($dir);
    make_path($dir);
    my ($uid, $gid) = (getpwnam('www-data'))[2, 3];
    my $err = `mount -t tmpfs -o size=$SQLITE_TMPFS_SIZE,mode=0750,uid=$uid,gid=$gid tmpfs $dir 2>&1`;
    if ($? != 0) {
        chomp $err;
        $self->{no_tmpfs} = $err || 'mount failed';
        chown $uid, $gid, $dir;
        return 0;
    }
    $self->{tmpfs} = 1;
    return 1;
}

sub umount_tmpfs {
    my ($self) = @_;
    my $dir = $self->sqlite_dir;
    return unless -d $dir;
    if (grep { (split ' ')[1] eq abs_path($dir) } do {
            open my $m, '<', '/proc/mounts' or return; <$m> }) {
        system('umount', $dir);
    }
    delete $self->{tmpfs};
}

# Fills the tmpfs: shrinks it to what is in use plus a page, then writes a
# filler file until the device is full.  Returns the bytes in use.
sub fill_tmpfs {
    my ($self) = @_;
    my $dir = $self->sqlite_dir;
    my ($used) = `df -B1 --output=used $dir | tail -1` =~ /(\d+)/;
    my $kb = int($used / 1024) + 8;
    system('mount', '-o', "remount,size=${kb}k", $dir) == 0
        or die "chaos: cannot shrink the tmpfs\n";
    system("dd if=/dev/zero of=$dir/filler bs=4k >/dev/null 2>&1");
    my ($avail) = `df -B1 --output=avail $dir | tail -1` =~ /(\d+)/;
    return ($used, $avail);
}

# Frees the space again: the filler goes and the tmpfs gets its size back.
sub free_tmpfs {
    my ($self) = @_;
    my $dir = $self->sqlite_dir;
    unlink "$dir/filler";
    system('mount', '-o', "remount,size=$SQLITE_TMPFS_SIZE", $dir) == 0
        or die "chaos: cannot grow the tmpfs again\n";
}

# ---- httpd nodes ----------------------------------------------------------

sub db_params {
    my ($self) = @_;
    return $self->{engine} eq 'pgsql'
        ? ('pgsql', "host=127.0.0.1 port=$self->{pg_port} dbname=bekymring "
                    . "user=bekymring connect_timeout=5")
        : ('sqlite3', $self->sqlite_file);
}

sub node_dir { "$_[0]{run}/$_[1]" }

# Writes NAME's configuration: the portal of conf/dev/portal.conf (as the
# suite's), the test build (Bkm-Test-Klokke), no watchdog and no
# post-delivery challenges (passes run at the chaos run's own times).
sub write_node {
    my ($self, $name, $port) = @_;
    my $dir = $self->node_dir($name);
    remove_tree($dir);
    make_path($dir);
    my ($driver, $params) = $self->db_params;
    my $root = $self->{root};
    my $user = $> == 0 ? "User www-data\nGroup www-data\n" : '';
    open my $fh, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $fh <<"CONF";
# made by t/chaos/ChaosEnv.pm
ServerRoot $dir
DefaultRuntimeDir $dir
PidFile $dir/pid
ErrorLog $dir/error_log
LogLevel warn bekymring:info
LogFormat "%h %t \\"%m %U\\" %>s %b %Dus %P" bkm
CustomLog $dir/access_log bkm
Listen 127.0.0.1:$port
ServerName 127.0.0.1
${user}Include $root/t/conf/modules.conf
TypesConfig /etc/mime.types
StartServers 2
ServerLimit 3
ThreadsPerChild 10
MaxRequestWorkers 30
MinSpareThreads 10
MaxSpareThreads 30
Mutex file:$dir
Define BKM_ROOT $root
Define BKM_DEV_DIR $self->{dev}
Define BKM_PORT $port
Define BKM_MODULE $root/build/out/test/mod_bekymring.so
@{[ $driver eq 'sqlite3' ? 'Define BKM_SQLITE' : '' ]}
Define BKM_DB_DRIVER $driver
Define BKM_DB_PARAMS "$params"
Include $root/conf/dev/portal.conf
BekymringEscalationInterval off
BekymringPostCheckRate 0
CONF
    close $fh;
    system('chown', 'www-data', $dir) if $> == 0;
    $self->{nodes}{$name} = { dir => $dir, port => $port };
}

sub node_url { "http://127.0.0.1:$_[0]{nodes}{$_[1]}{port}" }

sub start_node {
    my ($self, $name) = @_;
    my $dir = $self->{nodes}{$name}{dir};
    system('/usr/sbin/apache2', '-f', "$dir/httpd.conf", '-k', 'start') == 0
        or die "chaos: node $name did not start (see $dir/error_log)\n";
}

sub wait_helse {
    my ($self, $name, $secs) = @_;
    my $ua = LWP::UserAgent->new(timeout => 2);
    my $url = $self->node_url($name) . '/helse';
    my $end = time + $secs;
    while (time < $end) {
        return time if $ua->get($url)->code == 200;
        sleep 0.05;
    }
    return undef;
}

sub parent_pid {
    my ($self, $name) = @_;
    open my $f, '<', "$self->{nodes}{$name}{dir}/pid" or return undef;
    my $pid = <$f>;
    return undef unless defined $pid && $pid =~ /^(\d+)/;
    $pid = $1;
    # Only if it is this node's httpd (a stale pidfile names someone else).
    open my $c, '<', "/proc/$pid/cmdline" or return undef;
    my $cmd = do { local $/; <$c> } // '';
    return index($cmd, "$self->{nodes}{$name}{dir}/httpd.conf") >= 0
        ? $pid : undef;
}

# The pids whose parent is $ppid.
sub children_of {
    my ($ppid) = @_;
    my @kids;
    opendir my $d, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $d) {
        open my $s, '<', "/proc/$p/stat" or next;
        my $stat = <$s> // next;
        push @kids, $p if $stat =~ /^\d+ \(.*\) \S (\d+)/ && $1 == $ppid;
    }
    return @kids;
}

sub node_children {
    my ($self, $name) = @_;
    my $ppid = $self->parent_pid($name) or return ();
    return children_of($ppid);
}

# kill -9 one child of NAME, chosen at random; returns its pid.
sub kill_random_child {
    my ($self, $name) = @_;
    my @kids = $self->node_children($name) or return undef;
    my $victim = $kids[int rand @kids];
    kill 'KILL', $victim;
    return $victim;
}

sub kill_children {
    my ($self, $name) = @_;
    my @kids = $self->node_children($name);
    kill 'KILL', @kids if @kids;
    return scalar @kids;
}

# kill -9 the parent alone.  Its children go on serving, orphaned (no one
# replaces those that end), and hold the port: `apache2 -k start` fails
# (AH00072, address already in use) until they are gone.  After $orphan
# seconds they are killed too, as a service manager cleans up a unit
# whose main process died (systemd's KillMode=control-group).  Returns
# the number of orphans that were still alive then.
sub kill_parent {
    my ($self, $name, $orphan) = @_;
    my $ppid = $self->parent_pid($name) or die "chaos: no parent for $name\n";
    my @kids = children_of($ppid);
    kill 'KILL', $ppid;
    sleep $orphan if $orphan;
    my @alive = grep { kill 0, $_ } @kids;
    kill 'KILL', @alive if @alive;
    for (1 .. 100) {
        last unless grep { kill 0, $_ } $ppid, @kids;
        sleep 0.02;
    }
    return scalar @alive;
}

sub stop_node {
    my ($self, $name) = @_;
    my $node = $self->{nodes}{$name} or return;
    my $ppid = $self->parent_pid($name) or return;
    system('/usr/sbin/apache2', '-f', "$node->{dir}/httpd.conf", '-k', 'stop');
    for (1 .. 100) {
        last unless kill 0, $ppid;
        sleep 0.1;
    }
    if (kill 0, $ppid) {
        my @kids = children_of($ppid);
        kill 'KILL', $ppid, @kids;
    }
}

sub error_log {
    my ($self, $name) = @_;
    open my $f, '<', "$self->{nodes}{$name}{dir}/error_log" or return '';
    local $/;
    return scalar <$f>;
}

# ---- SQL through the engines' own clients ---------------------------------

sub sql_cmd {
    my ($self) = @_;
    return $self->{engine} eq 'pgsql'
        ? ('psql', '-X', '-q', '-At', '-F', '|', '-v', 'ON_ERROR_STOP=0',
           '-h', '127.0.0.1', '-p', $self->{pg_port}, '-U', 'bekymring',
           '-d', 'bekymring')
        # As httpd's User: SQLite's -wal and -shm files must stay theirs.
        : (($> == 0 ? ('runuser', '-u', 'www-data', '--') : ()),
           'sqlite3', '-batch', '-separator', '|', $self->sqlite_file);
}

# Rows (array refs) of one query, in a process of its own.
sub sql {
    my ($self, $query) = @_;
    my @cmd = $self->sql_cmd;
    push @cmd, ($self->{engine} eq 'pgsql' ? ('-c', $query) : ($query));
    open my $fh, '-|', @cmd or die "@cmd: $!";
    my @rows = map { chomp; [split /\|/, $_, -1] } <$fh>;
    close $fh;
    return @rows;
}

# A client that stays open, for quick looks while something runs (the
# escalation phase polls every fraction of a millisecond): ->query(SQL)
# gives rows.
# Error messages come in the rows too (stderr joins stdout).
sub session {
    my ($self) = @_;
    my @cmd = $self->sql_cmd;
    my $in;
    my $pid = open3($in, my $out, undef, @cmd);
    return bless { pid => $pid, out => $out, in => $in }, 'ChaosEnv::Session';
}

package ChaosEnv::Session;

sub query {
    my ($s, $sql) = @_;
    $sql =~ s/;?\s*$/;/;
    print { $s->{in} } "$sql\nSELECT '__chaos_end__';\n";
    $s->{in}->flush;
    my @rows;
    while (defined(my $l = readline $s->{out})) {
        chomp $l;
        last if $l eq '__chaos_end__';
        push @rows, [split /\|/, $l, -1];
    }
    return @rows;
}

sub close {
    my ($s) = @_;
    close $s->{in};
    waitpid $s->{pid}, 0;
}

package ChaosEnv;

# Everything this run started, stopped (nodes, cluster, stand-in, tmpfs).
sub cleanup {
    my ($self) = @_;
    return unless $$ == $self->{owner};
    local $?;
    $self->stop_node($_) for keys %{ $self->{nodes} // {} };
    $self->stop_pg;
    $self->umount_tmpfs if $self->{tmpfs};
}

1;
