# SPDX-License-Identifier: Apache-2.0
# Backup and restore as the README's "Backup and restore" says (issue 15,
# item 7): a report is sent; the database is backed up with the engine's
# own tool (pg_dump -Fc on PostgreSQL, sqlite3's .backup on SQLite) and
# restored into a fresh place (on PostgreSQL a fresh cluster, initdb'd here,
# with pg_restore); bekymring-migrate --check finds it at this build's
# version; a portal node on the restored database answers /helse, and a
# case system fetches the report from it and opens it with openssl cms.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login base_url json_of db_rows start_node
               stop_node privat_rapport skjema_api);
use BkmCaseSystem;
use BkmHarness ();
use JSON::PP;

my $bin = '/usr/lib/postgresql/15/bin';
my $pg = $ENV{TEST_PGSQL};
plan skip_all => "restoring a dump needs $bin/initdb and pg_ctl"
    if $pg && !-x "$bin/initdb";
plan tests => 10;

my $root = root();
my $base = base_url();
my $pki = "$root/t/dev/pki";
my $dev = $ENV{BKM_DEV_DIR} // "$root/t/dev";
my $marker = 'KOPI' . join('', map { int rand 10 } 1 .. 12) . 'X';
my $json = JSON::PP->new->utf8->canonical;

# A report to a case-system district.
my $ua = login_ua();
login($ua, '/meg', 'kari', 'substantial');
my $res = skjema_api($ua,
    privat_rapport(melding => "Jeg er bekymret for Ola. $marker"));
is $res->code, 201, 'a report is stored';
my $id = (json_of($res) // {})->{uuid} // '';

# ---- back up, restore into a fresh place ----------------------------------
my ($dir, @db, $port, $stop);
if ($pg) {
    # Beside the suite's cluster (t/TEST's stage when t/pg is a link).
    $dir = -l "$root/t/pg"
        ? do { (my $d = readlink "$root/t/pg") =~ s{/[^/]+/?$}{}; "$d/pg-restore" }
        : "$root/t/pg-restore";
    system('rm', '-rf', $dir);
    mkdir $dir or die "$dir: $!";
    system('chown', 'postgres', $dir) if $> == 0;
    my @as_pg = $> == 0 ? ('runuser', '-u', 'postgres', '--') : ();
    my $dump = "$dir/bekymring.dump";
    is system('pg_dump', '-Fc', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT},
              '-U', 'bekymring', '-d', 'bekymring', '-f', $dump), 0,
        'pg_dump -Fc';
    $port = BkmHarness::free_port();
    my $log = "$dir/setup.log";
    my $ok = system(join ' ', @as_pg, "$bin/initdb", '-D', "$dir/data",
        '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8',
        "-N >>$log 2>&1") == 0
      && system(join ' ', @as_pg, "$bin/pg_ctl", '-D', "$dir/data", '-l',
        "$dir/pg.log", '-w', '-o', "\"-p $port -c listen_addresses=127.0.0.1 "
        . "-c unix_socket_directories=''\"", "start >>$log 2>&1") == 0;
    $stop = sub {
        system(join ' ', @as_pg, "$bin/pg_ctl", '-D', "$dir/data", '-m',
               'immediate', "stop >>$log 2>&1");
    };
    my @psql = ('psql', '-XAtq', '-h', '127.0.0.1', '-p', $port, '-U',
                'postgres', '-d', 'postgres', '-c');
    $ok &&= system(@psql, 'CREATE ROLE bekymring LOGIN') == 0
        && system(@psql, 'CREATE DATABASE bekymring OWNER bekymring') == 0;
    ok $ok, 'a fresh cluster, its role and an empty database';
    is system("pg_restore -h 127.0.0.1 -p $port -U bekymring -d bekymring "
              . "--no-owner --exit-on-error $dump >>$log 2>&1"), 0,
        'pg_restore into it';
    @db = ('pgsql', "host=127.0.0.1 port=$port dbname=bekymring user=bekymring");
}
else {
    $dir = "$dev/restore";
    system('rm', '-rf', $dir);
    mkdir $dir or die "$dir: $!";
    my $copy = "$dir/backup.sqlite";
    is system('sqlite3', "$dev/db/test.sqlite", ".backup '$copy'"), 0,
        'sqlite3 .backup while the portal runs';
    mkdir "$dir/db" or die;
    is system('cp', $copy, "$dir/db/bekymring.sqlite"), 0,
        'restored: the copy put in place';
    system('chown', '-R', 'www-data:www-data', "$dir/db") if $> == 0;
    ok -s "$dir/db/bekymring.sqlite", 'a file of its own';
    @db = ('sqlite3', "$dir/db/bekymring.sqlite");
}
END { local $?; stop_node('restored'); $stop->() if $stop }

my $out = `$root/build/out/bkm-migrate --check '$db[0]' '$db[1]' 2>&1`;
is $? >> 8, 0, 'bekymring-migrate --check: at this build\'s version'
    or diag $out;

# ---- a node on the restored database ---------------------------------------
my $node = start_node('restored', undef, { db => \@db },
                      'BekymringEscalationInterval off');
is((json_of(LWP::UserAgent->new(timeout => 10)->get("$node/helse")) // {})
   ->{status}, 'ok', '/helse on the restored database');
my $cs = BkmCaseSystem->new(base => $node, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem");
my ($l, $list) = $cs->list;
my ($m) = grep { $_->{bekymringsmeldingId} eq $id } @{ $list // [] };
ok $m, 'the report waits for its case system there';
$res = $m ? $cs->request('GET', $cs->url("/$m->{meldingId}")) : undef;
is $res && $res->code, 200, 'fetched from the restored node';
my $zip = $res ? $cs->open_message($res->content) : undef;
ok defined $zip, 'openssl cms opens it with the case system\'s key';
like(($cs->report_of($zip // '') // {})->{melding} // '', qr/\Q$marker\E/,
     'the report as it was sent');
stop_node('restored');

# The suite's own node delivers it, as other tests expect nothing waiting.
my $main = BkmCaseSystem->new(base => $base, name => 'fagsystem-0301-01',
    key => "$pki/0301-01-fagsystem.key", cert => "$pki/0301-01-fagsystem.pem");
if ($m) {
    $main->fetch($m->{meldingId});
    $main->answer($m->{meldingId}, 'mottatt');
}
