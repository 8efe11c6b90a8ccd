# SPDX-License-Identifier: Apache-2.0
# Zero-loss failover on PostgreSQL (issue 16): a primary with a synchronous
# standby on loopback, a node of the portal on a libpq multi-host DSN
# (host=a,b target_session_attrs=read-write), reports posted under load with
# Idempotency-Key and retries, the primary killed (kill -9, its postmaster
# and every backend: a lost machine), the standby promoted.  Every report
# answered 201 must be in the promoted database and open with the case
# system's key; the writes refused meanwhile were 503 "nothing was kept";
# and the same httpd writes again without a restart.  Prints the numbers.
#
# Its own two clusters, on BKM_PG_PRIMARY_PORT and BKM_PG_STANDBY_PORT
# (55440, 55441), in t/pg-failover; its node on BKM_NODE2_PORT.  About 25 s.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root dev_token json_of slurp seal_cms start_node stop_node
               openssl_decrypt);
use BkmCaseSystem;
use HTTP::Request::Common ();
use LWP::UserAgent;
use Time::HiRes qw(time sleep);

plan skip_all => 'failover is tested on PostgreSQL (TEST_PGSQL=1)'
    unless $ENV{TEST_PGSQL};
my $bin = '/usr/lib/postgresql/15/bin';
my @missing = grep { !-x "$bin/$_" } qw(initdb pg_ctl pg_basebackup postgres);
plan skip_all => "failover needs PostgreSQL's $bin/{initdb,pg_ctl,"
    . "pg_basebackup} (missing: @missing)" if @missing;

plan tests => 14;

my $root = root();
# Beside the suite's own cluster: in the stage when the checkout is one
# the postgres user cannot enter (t/pg is then a link there, t/TEST).
my $dir = -l "$root/t/pg"
    ? do { (my $d = readlink "$root/t/pg") =~ s{/[^/]+/?$}{}; "$d/pg-failover" }
    : "$root/t/pg-failover";
my %port = (primary => $ENV{BKM_PG_PRIMARY_PORT} // 55440,
            standby => $ENV{BKM_PG_STANDBY_PORT} // 55441);
my $node_port = $ENV{BKM_NODE2_PORT} // 8597;
my $WORKERS = 4;

# As t/TEST: initdb refuses to run as root, so the clusters are postgres's.
sub as_pg { $> == 0 ? ('runuser', '-u', 'postgres', '--', @_) : @_ }
sub sh_quote { map { (my $q = $_) =~ s/'/'\\''/g; "'$q'" } @_ }
sub quiet {
    system(join(' ', sh_quote(@_)) . " >>$dir/setup.log 2>&1") == 0;
}
sub psql {
    my ($which, $sql, $db) = @_;
    my $out = `psql -XAtq -h 127.0.0.1 -p $port{$which} -U postgres -d ${\($db // 'postgres')} -c "$sql" 2>>$dir/setup.log`;
    chomp $out;
    return $out;
}
sub pg_ctl {
    my ($which, @args) = @_;
    return quiet(as_pg("$bin/pg_ctl", '-D', "$dir/$which", '-l',
                       "$dir/$which.log", '-w', @args));
}
sub server_opts {
    my ($which) = @_;
    # fsync=off as the suite's cluster: the test kills processes, not the
    # machine, and what a process wrote survives it in the page cache.
    return ('-o', "-p $port{$which} -c listen_addresses=127.0.0.1 "
        . "-c unix_socket_directories='' -c fsync=off -c wal_level=replica "
        . "-c max_wal_senders=4 -c synchronous_commit=on "
        . "-c cluster_name=$which");
}
sub wait_until {
    my ($what, $secs) = @_;
    for (1 .. $secs * 10) { return 1 if $what->(); sleep 0.1 }
    return 0;
}

# ---- the clusters: a primary, and a standby that is synchronous ----------
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";
system('chown', 'postgres', $dir) if $> == 0;
my $ok = quiet(as_pg("$bin/initdb", '-D', "$dir/primary", '-U',
        'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '-N'))
    && pg_ctl('primary', server_opts('primary'), 'start');
$ok &&= psql('primary', 'CREATE ROLE bekymring LOGIN') eq ''
    && psql('primary', 'CREATE DATABASE bekymring OWNER bekymring') eq '';
# The standby: a base backup with the primary's address (-R writes
# standby.signal and primary_conninfo); its cluster_name is the name the
# primary waits for.
$ok &&= quiet(as_pg("$bin/pg_basebackup", '-h', '127.0.0.1', '-p',
        $port{primary}, '-U', 'postgres', '-D', "$dir/standby", '-R', '-c', 'fast', '-X',
        'stream'))
    && pg_ctl('standby', server_opts('standby'), 'start');
# Synchronous from now on, on the primary only (ALTER SYSTEM after the base
# backup): an acknowledged COMMIT is on the standby too.  The standby,
# once promoted, has no standby of its own to wait for.
$ok &&= psql('primary', "ALTER SYSTEM SET synchronous_standby_names = "
             . "'FIRST 1 (standby)'") eq ''
    && psql('primary', 'SELECT pg_reload_conf()') eq 't'
    && wait_until(sub { psql('primary', 'SELECT sync_state FROM '
                             . 'pg_stat_replication') eq 'sync' }, 20);
ok $ok, 'a primary and a synchronous standby on loopback'
    or diag slurp("$dir/setup.log");
unless ($ok) { cleanup(); exit 0 }

# ---- a node on the multi-host DSN ----------------------------------------
my $dsn = "host=127.0.0.1,127.0.0.1 port=$port{primary},$port{standby} "
    . "dbname=bekymring user=bekymring connect_timeout=2 "
    . "target_session_attrs=read-write";
my $node = start_node('failover', $node_port, { db => ['pgsql', $dsn] });
ok $node, "a node on DBDParams \"$dsn\"";
my $pid_of_node = slurp("$root/t/dev/failover/pid");

my $pki = "$root/t/dev/pki";
my $zip = "PK\x03\x04 failover container";
my $zip_der = seal_cms($zip, slurp("$pki/0301-01-fagsystem.pem"));
my $pdf_der = seal_cms("%PDF-1.4 failover\n", slurp("$pki/print.pem"));
my %prod = dev_token('produsent');
my $url = "$node/bekymringsmelding/api/v2/mottak/fagsystem/910000001/0301"
    . "/01/offentlig";

# A producer: posts reports one after another, each until it is answered
# 201 (the same Idempotency-Key on every retry), until told to stop.
# Every answer is a line: key code start end uuid-or-errorId.
sub producer {
    my ($w) = @_;
    open my $log, '>', "$dir/worker$w" or die "$dir/worker$w: $!";
    $log->autoflush(1);
    my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
    for (my $i = 0; !-e "$dir/stop"; $i++) {
        my $key = "failover-$w-$i";
        my $deadline = time + 60;
        while (time < $deadline) {
            my $req = HTTP::Request::Common::POST($url,
                Content_Type => 'form-data',
                Content => [
                    bekymringsmelding => [undef, 'b.cms', 'Content-Type' =>
                        'application/pkcs7-mime', Content => $pdf_der],
                    asice => [undef, 'a.cms', 'Content-Type' =>
                        'application/pkcs7-mime', Content => $zip_der]]);
            $req->header(%prod, 'Idempotency-Key' => $key);
            my $t0 = time;
            my $res = $ua->request($req);
            my $j = json_of($res) // {};
            my $what = $res->code == 201 ? $j->{uuid}
                : join ':', $j->{errorId} // '-',
                            ($j->{feilmelding} // '') =~ /nothing was kept/
                                ? 'nothing-kept' : 'unclear';
            printf $log "%s %d %.3f %.3f %s\n", $key, $res->code, $t0, time,
                $what // '-';
            last if $res->code == 201;
            sleep 0.05;
        }
    }
    exit 0;
}

my @kids;
for my $w (1 .. $WORKERS) {
    my $pid = fork // die "fork: $!";
    producer($w) unless $pid;
    push @kids, $pid;
}
sub answers {
    map { [split] } map { split /\n/, slurp("$dir/worker$_") }
        grep { -e "$dir/worker$_" } 1 .. $WORKERS;
}
sub acked_after { scalar grep { $_->[1] == 201 && $_->[2] > $_[0] } answers() }

# Load for a while, then lose the primary's machine: its postmaster and
# every backend, kill -9.
wait_until(sub { acked_after(0) >= 60 }, 30);
my $t_kill = time;
my $pm = (split /\n/, slurp("$dir/primary/postmaster.pid"))[0];
my @procs = ($pm, split ' ', `ps -o pid= --ppid $pm`);
kill 'KILL', @procs;
# A failover manager notices after a moment (Patroni: its TTL); promote.
sleep 1;
ok pg_ctl('standby', 'promote'), 'the standby is promoted';
my $t_promoted = time;
wait_until(sub { acked_after($t_promoted) >= 60 }, 40);
open my $stop, '>', "$dir/stop" or die "$dir/stop: $!";
close $stop;
waitpid $_, 0 for @kids;

# ---- the numbers ---------------------------------------------------------
my @all = answers();
my %uuid_of;                            # key => uuid of its 201s
my ($mismatch, $refused, $unclear) = (0, 0, 0);
for my $a (@all) {
    if ($a->[1] == 201) {
        $mismatch++ if $uuid_of{$a->[0]} && $uuid_of{$a->[0]} ne $a->[4];
        $uuid_of{$a->[0]} = $a->[4];
    }
    else {
        $refused++;
        $unclear++ unless $a->[1] == 503 && $a->[4] eq 'database:nothing-kept';
    }
}
my @acked = sort values %uuid_of;
my %stored = map { $_ => 1 } split /\n/, psql('standby',
    "SELECT id FROM bkm_melding WHERE idempotensnokkel LIKE 'failover-%'",
    'bekymring');
my @lost = grep { !$stored{$_} } @acked;
my ($first_after) = sort { $a <=> $b } map { $_->[3] }
    grep { $_->[1] == 201 && $_->[2] > $t_promoted } @all;
my ($last_before) = sort { $b <=> $a } map { $_->[3] }
    grep { $_->[1] == 201 && $_->[3] < $t_kill } @all;
my $recovery = defined $first_after ? $first_after - $t_promoted : -1;
# A COMMIT in flight when the primary died is in doubt: the standby may
# have it although the portal could not hear so and answered 503.  Its
# client's retry with the same key is then answered with it (checked
# above: none stored twice); counted here.
my @not_kept = slurp("$root/t/dev/failover/error_log")
    =~ /BKM00602: report ([0-9a-f-]{36}) not stored/g;
my $in_doubt = grep { $stored{$_} } @not_kept;
my $in_flight = grep { $_->[2] < $t_kill && $_->[3] > $t_kill } @all;
diag sprintf "failover: %d reports acknowledged (%d before the kill), "
    . "lost %d; %d answers refused meanwhile (503), %d in flight at the "
    . "kill, %d of them kept though answered 503 (in doubt); first write "
    . "%.2f s after the promotion, %.2f s after the last before the kill",
    scalar(@acked),
    scalar(grep { $_->[1] == 201 && $_->[3] < $t_kill } @all),
    scalar(@lost), $refused, $in_flight, $in_doubt, $recovery,
    defined $first_after && defined $last_before
        ? $first_after - $last_before : -1;

cmp_ok scalar(grep { $_->[1] == 201 && $_->[3] < $t_kill } @all), '>=', 60,
    'reports acknowledged before the kill';
is scalar(@lost), 0, 'no acknowledged report is lost'
    or diag "lost: @lost";
is scalar(keys %stored), scalar(@acked),
    'and none stored twice or unanswered';
is $mismatch, 0, 'a retried key is answered with its first report';
cmp_ok $refused, '>', 0, 'writes were refused while there was no primary';
is $unclear, 0, 'each of them 503 "nothing was kept"';
ok defined $first_after, 'the portal writes again after the promotion';
cmp_ok $recovery, '<', 10, 'within 10 s';
is slurp("$root/t/dev/failover/pid"), $pid_of_node, 'without a restart';

# ---- each acknowledged report, from the promoted database ----------------
# The case system fetches every one through the node and opens it.
my $cs = BkmCaseSystem->new(name => 'fagsystem-0301-01', base => $node,
                            key => "$pki/0301-01-fagsystem.key",
                            cert => "$pki/0301-01-fagsystem.pem");
my %mid = map { split /\|/ } split /\n/, psql('standby',
    "SELECT melding_id || '|' || id FROM bkm_leveranse WHERE mottaker = "
    . "'fagsystem' AND melding_id IN (" . join(',', map { "'$_'" } @acked)
    . ')', 'bekymring');
my @unreadable = grep {
    my $res = $mid{$_} ? $cs->request('GET', $cs->url("/$mid{$_}")) : undef;
    !($res && $res->code == 200
      && ($cs->open_message($res->content) // '') eq $zip)
} @acked;
is scalar(@unreadable), 0,
    'every acknowledged report is fetched and opens with the case '
    . "system's key" or diag "unreadable: @unreadable";
is json_of(LWP::UserAgent->new(timeout => 10)->get("$node/helse"))->{status},
    'ok', '/helse: ok on the promoted database';

my $main = $$;
END { local $?; cleanup() if $main && $$ == $main }

sub cleanup {
    stop_node('failover');
    for my $which (qw(standby primary)) {
        pg_ctl($which, '-m', 'immediate', 'stop')
            if -e "$dir/$which/postmaster.pid";
    }
}
