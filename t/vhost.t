# SPDX-License-Identifier: Apache-2.0
# One virtual host among many (issue 15, item 1): an httpd of its own with
# the module loaded, another site and two portals on one port, told apart
# by the Host header (name-based, as a farm's sites are).
#   - 127.0.0.1 and a2.example: portal A (the same portal under two names),
#     its database set in the main server and inherited, as mod_dbd's
#     settings are: both share mod_dbd's record, which once got every
#     statement twice (AH02653 "conflicting SQL statements");
#   - annen.example: another site, with its own /static, /helse and 404s;
#   - b.example: portal B, with its own registry and its own database.
# A report sent to one portal is not visible in the other; the escalation
# pass runs for each portal's database.  On SQLite two files, on
# PostgreSQL two databases of the suite's cluster.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root dev_token json_of slurp spit start_node stop_node seal_cms);
use BkmHarness ();
use HTTP::Request::Common ();
use LWP::UserAgent;
use JSON::PP;

plan tests => 38;

my $dev = $ENV{BKM_DEV_DIR} // root() . '/t/dev';
my $files = "$dev/vhost-files";
system('rm', '-rf', $files);
mkdir $files or die "$files: $!";
system('chown', 'www-data', $files) if $> == 0;

# ---- the two databases --------------------------------------------------

my ($driver, $db_a, $db_b);
if ($ENV{TEST_PGSQL}) {
    $driver = 'pgsql';
    local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
    for my $name (qw(bekymring_a bekymring_b)) {
        system('psql', '-q', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT},
               '-U', 'postgres', '-c', "DROP DATABASE IF EXISTS $name",
               '-c', "CREATE DATABASE $name OWNER bekymring") == 0
            or die "cannot create the database $name\n";
    }
    ($db_a = $ENV{BKM_PG_PARAMS}) =~ s/dbname=\w+/dbname=bekymring_a/;
    ($db_b = $ENV{BKM_PG_PARAMS}) =~ s/dbname=\w+/dbname=bekymring_b/;
}
else {
    $driver = 'sqlite3';
    ($db_a, $db_b) = ("$files/a.sqlite", "$files/b.sqlite");
}

# Rows of a query on one portal's database.
sub rows_of {
    my ($db, $sql) = @_;
    my @cmd = $driver eq 'pgsql'
        ? ('psql', '-At', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT}, '-U',
           'bekymring', '-d', ($db =~ /dbname=(\w+)/)[0], '-c', $sql)
        : ('sqlite3', $db, $sql);
    open my $fh, '-|', @cmd or die "@cmd: $!";
    my @rows = map { chomp; $_ } <$fh>;
    close $fh;
    return @rows;
}

# ---- the configuration --------------------------------------------------

# Portal B's registry: the suite's with another name for 4601, beside it
# so that its relative certificate paths resolve.
my $reg = JSON::PP->new->utf8->decode(slurp("$dev/registry.json"));
$_->{navn} = "Bj\x{f8}rgvin" for grep { $_->{kommunenummer} eq '4601' }
    @{ $reg->{kommuner} };
spit("$dev/registry-b.json", JSON::PP->new->utf8->encode($reg));

# Portal A without database lines: it takes the main server's.
my $portal = slurp(root() . '/conf/dev/portal.conf');
$portal =~ s/^\s*DBD\w+ .*$//mg;
spit("$files/portal-a.conf", $portal);

# The other site's own files.
mkdir "$files/annen";
mkdir "$files/annen/static";
spit("$files/annen/static/site.css", "body { color: teal }\n");
spit("$files/annen/helse", "annen: ok\n");

my $port = BkmHarness::free_port();
my $sqlite_init = $driver eq 'sqlite3'
    ? "DBDInitSQL \"PRAGMA synchronous=FULL\"\n" : '';
my $body = <<"EOF";
# The module's Debian conf, as a2enmod makes it (global only).
LoadModule bekymring_module \${BKM_MODULE}
Include ${\ root()}/conf/bekymring.conf
# A log with the person's identity field (%u), as Debian's combined.
LogFormat "%v %u \\"%m %U\\" %>s" withuser
CustomLog $files/access_log withuser
# Inherited by every virtual host that does not set its own.
BekymringEscalationInterval 1s
DBDriver $driver
DBDParams "$db_a"
$sqlite_init
<VirtualHost 127.0.0.1:$port>
    ServerName 127.0.0.1
    Include $files/portal-a.conf
    BekymringPostCheckRate 0
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName a2.example
    Include $files/portal-a.conf
    BekymringPostCheckRate 0
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName annen.example
    DocumentRoot "$files/annen"
    <Directory "$files/annen">
        Require all granted
    </Directory>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName b.example
    ErrorLog $files/b_error_log
    Define BKM_DB_PARAMS "$db_b"
    Include ${\ root()}/conf/dev/portal.conf
    BekymringRegistry $dev/registry-b.json
    BekymringPostCheckRate 0
</VirtualHost>
EOF
my $base = start_node('vhost', $port, { body => $body });
ok $base, 'an httpd with another site and two portals starts';
my $ua = LWP::UserAgent->new(timeout => 20);

sub at {
    my ($host, $path, @h) = @_;
    return $ua->get("$base$path", Host => $host, @h);
}

# Each portal's pass logs its own database's trail head from the start
# (a clock shared by the passes once kept the second portal's out).
my ($a_head, $b_head);
for (1 .. 40) {
    $a_head = slurp("$dev/vhost/error_log") =~ /BKM05000: trail anchor/;
    $b_head = -e "$files/b_error_log"
        && slurp("$files/b_error_log") =~ /BKM05000: trail anchor/;
    last if $a_head && $b_head;
    select undef, undef, undef, 0.25;
}
ok $a_head && $b_head, "both portals' passes log their trail heads";

# ---- the other site is its own -----------------------------------------

my $res = at('annen.example', '/static/site.css');
is $res->code, 200, 'the other site: its own /static/site.css';
is $res->decoded_content, "body { color: teal }\n", 'with its own content';
$res = at('annen.example', '/helse');
is $res->decoded_content, "annen: ok\n", 'its own /helse';
for my $path ('/privat', '/kommune', '/meg', '/oidc/redirect', '/status',
              '/bekymringsmelding/api/v2/kommuner', '/bekymring-feil',
              '/static/bkm.js') {
    is at('annen.example', $path)->code, 404, "its 404 for $path";
}
$res = $ua->post("$base/bekymring-drift/eskalering", Host => 'annen.example');
isnt $res->code, 200, 'no escalation pass through it';

# ---- the portals answer under their names ------------------------------

for my $host ('127.0.0.1', 'a2.example', 'b.example') {
    $res = at($host, '/helse');
    is $res->code, 200, "portal at $host: /helse 200"
        or diag $res->decoded_content;
}
# The built file's name (build/assets/static: named by its content).
my $built = JSON::PP->new->decode(
    slurp(($ENV{BKM_STATIC} // root() . '/build/out/static') . '/manifest.json'))->{'bkm.js'};
is at('a2.example', "/static/$built")->code, 200,
    'a portal serves its /static';

sub kommune_4601 {
    my ($host) = @_;
    my $list = json_of(at($host, '/bekymringsmelding/api/v2/kommuner'));
    my ($k) = grep { $_->{kommunenr} eq '4601' } @{ $list // [] };
    return $k ? $k->{navn} : undef;
}
is kommune_4601('127.0.0.1'), 'Bergen', 'portal A: its registry';
is kommune_4601('b.example'), "Bj\x{f8}rgvin", 'portal B: its own registry';

# ---- each portal its own database ---------------------------------------

my $pki = "$dev/pki";
my $pdf = seal_cms("%PDF-1.4 vhost\n", slurp("$pki/print.pem"));
my $zip = seal_cms("PK\x03\x04 vhost", slurp("$pki/0301-01-fagsystem.pem"));
my %prod = dev_token('produsent');
my $api = '/bekymringsmelding/api/v2/mottak/fagsystem/910000001';

sub post_report {
    my ($host) = @_;
    my $req = HTTP::Request::Common::POST("$base$api/0301/01/privat",
        Content_Type => 'form-data',
        Content => [
            bekymringsmelding => [undef, 'b.cms', 'Content-Type' =>
                'application/pkcs7-mime', Content => $pdf],
            asice => [undef, 'a.cms', 'Content-Type' =>
                'application/pkcs7-mime', Content => $zip]]);
    $req->header(%prod, Host => $host);
    my $r = $ua->request($req);
    return $r->code == 201 ? json_of($r)->{uuid} : undef;
}
sub status_code {
    my ($host, $id) = @_;
    return at($host, "$api/bekymringsmelding/$id/status", %prod)->code;
}
my $id_a = post_report('127.0.0.1');
ok $id_a, 'a report sent to portal A';
my $id_b = post_report('b.example');
ok $id_b, 'a report sent to portal B';
SKIP: {
    skip 'a report was refused', 5 unless $id_a && $id_b;
    is status_code('127.0.0.1', $id_a), 200, 'A has its report';
    is status_code('a2.example', $id_a), 200, 'under its other name too';
    is status_code('b.example', $id_a), 404, 'B does not see it';
    is status_code('b.example', $id_b), 200, 'B has its report';
    is status_code('127.0.0.1', $id_b), 404, 'A does not see it';
}

# ---- the escalation pass, once per portal database ----------------------

# Each pass anchors its database's new events and logs the chain's head
# (BKM05000) in the virtual host's error log: B's in its own.
my $log = "$dev/vhost/error_log";
my ($a_anchored, $b_anchored);
for (1 .. 40) {
    $a_anchored = (slurp($log) =~ /BKM05000: trail anchor: .*\(([1-9]\d*) events anchored\)/);
    $b_anchored = -e "$files/b_error_log"
        && (slurp("$files/b_error_log") =~ /BKM05000: trail anchor: .*\(([1-9]\d*) events anchored\)/);
    last if $a_anchored && $b_anchored;
    select undef, undef, undef, 0.25;
}
ok $a_anchored, "the watchdog's pass ran on A's database";
ok $b_anchored, "and on B's, logged in B's error log";
is scalar(rows_of($db_a, 'SELECT id FROM bkm_melding')), 1,
    "A's database holds one report";
is scalar(rows_of($db_b, 'SELECT id FROM bkm_melding')), 1,
    "B's database holds one report";

# ---- what the error log does not say ------------------------------------

stop_node('vhost');
my $errors = slurp($log) . (-e "$files/b_error_log"
                            ? slurp("$files/b_error_log") : '');
unlike $errors, qr/AH02653/,
    'no "conflicting SQL statements" (AH02653)';
unlike $errors, qr/BKM00001|ikke-konfigurert/,
    'no request reached the portal where it is not configured';

# ---- loaded, but no portal anywhere -------------------------------------

# The module and its Debian conf, as `a2enmod bekymring` leaves them before
# any site says "Bekymring On": the other site answers as before, and the
# module makes nothing (no database, mutex, watchdog) and says nothing.
my $none = start_node('vhost-none', undef, { body => <<"EOF" });
LoadModule bekymring_module \${BKM_MODULE}
Include ${\ root()}/conf/bekymring.conf
LogLevel info
DocumentRoot "$files/annen"
<Directory "$files/annen">
    Require all granted
</Directory>
EOF
ok $none, 'an httpd with the module loaded and no portal starts';
# (Named as the other site, as a browser would: these are not the API's
# answers, and t/zz_openapi.t's recorder leaves them out.)
my @annen = (Host => 'annen.example');
is $ua->get("$none/static/site.css", @annen)->decoded_content,
    "body { color: teal }\n", 'its site keeps its /static';
is $ua->get("$none/helse", @annen)->decoded_content, "annen: ok\n", 'and /helse';
is $ua->get("$none/bekymringsmelding/api/v2/kommuner", @annen)->code, 404,
    'and its 404s';
stop_node('vhost-none');
unlike slurp("$dev/vhost-none/error_log"), qr/BKM\d|\[bekymring:/,
    'the module said nothing';
