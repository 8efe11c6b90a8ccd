# SPDX-License-Identifier: Apache-2.0
# The Debian package in the machine's own apache2 (issue 15, item 2): `make
# deb` builds it; it is installed with dpkg, its files are where Debian
# keeps them with the owners and modes the README promises, a conffile an
# administrator changed survives a reinstall; a portal site on a free
# loopback port (the package's a2enmod/a2ensite pair, its pages, locations
# and database.conf, the suite's ID-porten stand-in) answers /helse and
# logs a person in; a secret file made 0644 stops `apache2ctl configtest`;
# bekymring-migrate reads the package's database.conf.  Then the package is
# purged and the system's apache2 is left as it was: stopped if this test
# started it, its enabled modules and sites as before.
#
# The module's global configuration must be the one that only loads what
# the portal needs (conf/bekymring.conf of the vhost work, issue 15 item
# 1): with the old one, which configured a portal for every host,
# configtest fails for want of /etc/mod_bekymring/registry.json.
#
# Root only, with /usr/sbin/apache2ctl (CI runs as root on a throwaway
# machine); the SQLite run only (the package's default database).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root login_ua login json_of spit slurp);
use LWP::UserAgent;

my $PKG = 'libapache2-mod-bekymring';
if ($> != 0) {
    plan skip_all => 'the package is installed into the system as root only';
}
elsif (!-x '/usr/sbin/apache2ctl') {
    plan skip_all => 'no /usr/sbin/apache2ctl: Debian\'s apache2 is not here';
}
elsif ($ENV{TEST_PGSQL}) {
    plan skip_all => 'the package is tried on the SQLite run (its default)';
}
elsif (`dpkg-query -W -f '\${Status}' $PKG 2>/dev/null` =~ /installed/) {
    plan skip_all => "$PKG is installed already: not this test's to purge";
}
else {
    plan tests => 39;
}

my $root = root();
my $port = $ENV{BKM_DEB_PORT} or die "BKM_DEB_PORT: run through t/TEST\n";
my $op = $ENV{BKM_OP_PORT};
my $dev = $ENV{BKM_DEV_DIR} // "$root/t/dev";
my %env = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () } split /\n/, slurp("$dev/env");
my $site = '/etc/apache2/sites-available/bekymring-test.conf';
my $oidc = '/etc/mod_bekymring/test-oidc.conf';

sub ls { opendir my $d, $_[0] or return ''; join ' ', sort grep { !/^\./ } readdir $d }
sub mode_of { my @s = stat $_[0] or return 'none';
              sprintf '%04o %s:%s', $s[2] & 07777, scalar getpwuid($s[4]),
                  scalar getgrgid($s[5]) }
sub running {
    open my $f, '<', '/var/run/apache2/apache2.pid' or return 0;
    my ($pid) = (<$f> // '') =~ /(\d+)/ or return 0;
    return kill 0, $pid;
}
sub ctl { my $out = `/usr/sbin/apache2ctl @_ 2>&1`; return ($? >> 8, $out) }

# What the system had before, to leave it so.
my %before = (mods => ls('/etc/apache2/mods-enabled'),
              sites => ls('/etc/apache2/sites-enabled'),
              running => running(), varlib => -e '/var/lib/mod_bekymring');
my $started = 0;

END {
    local $?;
    return unless %before;
    unlink "/etc/apache2/sites-enabled/bekymring-test.conf", $site, $oidc;
    system("dpkg --purge $PKG >/dev/null 2>&1");
    if ($started) {
        system('/usr/sbin/apache2ctl stop >/dev/null 2>&1');
        for (1 .. 40) { last unless running(); select undef, undef, undef, 0.25 }
    }
    elsif ($before{running}) {
        system('/usr/sbin/apache2ctl graceful >/dev/null 2>&1');
    }
    system('rm', '-rf', '/var/lib/mod_bekymring') unless $before{varlib};
    unlink '/var/log/apache2/bekymring-test-error.log';
}

# ---- build and install ----------------------------------------------------
my $out = `make -s -C $root deb 2>&1`;
is $?, 0, 'make deb builds the package' or diag $out;
my ($deb) = glob("$root/build/out/deb/${PKG}_*.deb");
ok $deb, 'build/out/deb has the .deb';
$out = `dpkg -i $deb 2>&1`;
is $?, 0, 'dpkg -i installs it' or diag $out;

ok -f '/usr/lib/apache2/modules/mod_bekymring.so', 'the module where apache2 loads modules';
ok -f '/usr/share/mod_bekymring/htdocs/templates/skjema.html'
    && -f '/usr/share/mod_bekymring/htdocs/static/vendor/designsystemet.css',
    'the pages, with their built static files';
ok -f '/usr/share/mod_bekymring/schema/sql/0001_schema.sql', 'the schema';
ok -f '/etc/apache2/mods-available/bekymring.load'
    && -f '/etc/apache2/mods-available/bekymring.conf', "a2enmod's pair";
ok -x '/usr/sbin/bekymring-migrate', 'bekymring-migrate';
is mode_of('/etc/mod_bekymring'), '0750 root:www-data', '/etc/mod_bekymring 0750 root:www-data';
is join(' ', map { mode_of("/etc/mod_bekymring/$_") }
                 qw(idporten.conf database.conf role.key secret.key)),
   join(' ', ('0640 root:www-data') x 4),
   'secrets (idporten.conf, database.conf, the keys) 0640 root:www-data';
is mode_of('/var/lib/mod_bekymring'), '0750 www-data:www-data',
    "the database's directory www-data's, 0750";
my $conffiles = `dpkg-query --control-show $PKG conffiles 2>/dev/null`;
like $conffiles, qr{^/etc/mod_bekymring/idporten\.conf$}m, 'idporten.conf is a conffile';

# An administrator's changes survive a reinstall (an upgrade), and so do
# the keys.
my $key = slurp('/etc/mod_bekymring/secret.key');
open my $fh, '>>', '/etc/mod_bekymring/idporten.conf' or die;
print $fh "# the administrator's line\n";
close $fh;
$out = `dpkg -i $deb 2>&1`;
is $?, 0, 'installed again' or diag $out;
like slurp('/etc/mod_bekymring/idporten.conf'), qr/the administrator's line/,
    "the changed conffile is kept";
is mode_of('/etc/mod_bekymring/idporten.conf'), '0640 root:www-data', 'still 0640';
like `dpkg-statoverride --list /etc/mod_bekymring/database.conf`,
    qr{^root www-data 0?640 /etc/mod_bekymring/database.conf$}m,
    'dpkg unpacks it so on an upgrade (dpkg-statoverride)';
is slurp('/etc/mod_bekymring/secret.key'), $key, 'the key is kept';

# ---- a portal site in the system's apache2 --------------------------------
spit($oidc, <<"EOF");
# t/deb.t: the suite's ID-porten stand-in, with a literal secret
OIDCProviderMetadataURL http://127.0.0.1:$op/.well-known/openid-configuration
OIDCClientID $env{BKM_OIDC_CLIENT_ID}
OIDCClientSecret $env{BKM_OIDC_CLIENT_SECRET}
OIDCRedirectURI http://127.0.0.1:$port/oidc/redirect
OIDCCryptoPassphrase $env{BKM_OIDC_PASSPHRASE}
OIDCScope "openid profile"
OIDCPKCEMethod S256
OIDCRemoteUserClaim sub
OIDCPassClaimsAs environment
OIDCPassUserInfoAs json
OIDCAuthRequestParams acr_values=idporten-loa-substantial
OIDCOAuthVerifyCertFiles bkm-dev-maskinporten#$dev/pki/maskinporten.pem
OIDCOAuthRemoteUserClaim client_id
EOF
system('chown', 'root:www-data', $oidc);
chmod 0640, $oidc;
spit($site, <<"EOF");
# t/deb.t: a portal site of the package on a loopback port
Listen 127.0.0.1:$port
<VirtualHost 127.0.0.1:$port>
    ServerName 127.0.0.1
    <IfDirective Bekymring>
        Bekymring On
    </IfDirective>
    BekymringRegistry $dev/registry.json
    BekymringRoles $dev/roles.json
    BekymringRoleKey /etc/mod_bekymring/role.key
    BekymringSecretKey /etc/mod_bekymring/secret.key
    Define BKM_PAGES /usr/share/mod_bekymring/htdocs
    BekymringPages \${BKM_PAGES}
    BekymringLoginOrigin http://127.0.0.1:$op
    BekymringPortalCertificate $dev/pki/portal.pem $dev/pki/portal.key
    BekymringEscalationInterval off
    Include /etc/mod_bekymring/database.conf
    Include $oidc
    Define BKM_MASKINPORTEN_ISSUER urn:bekymring:dev-maskinporten
    Define BKM_MASKINPORTEN_AUDIENCE urn:bekymring:dev-api
    Define BKM_MASKINPORTEN_SCOPE ks:fiks
    Include /etc/mod_bekymring/bekymring-locations.conf
    ErrorLog /var/log/apache2/bekymring-test-error.log
</VirtualHost>
EOF
$out = `a2enmod -q bekymring 2>&1 && a2ensite -q bekymring-test 2>&1`;
is $?, 0, 'a2enmod bekymring, a2ensite' or diag $out;

chmod 0644, $oidc;
my ($rc, $t) = ctl('configtest');
isnt $rc, 0, 'a secret file made 0644: configtest refuses';
like $t, qr{BKM06603: \Q$oidc\E \(OIDC\w+, line \d+ of \Q$oidc\E\) holds a secret},
    'and names it';
chmod 0640, $oidc;
($rc, $t) = ctl('configtest');
is $rc, 0, '0640: configtest passes' or diag $t;

($rc, $t) = $before{running} ? ctl('graceful') : ctl('start');
$started = !$before{running} && $rc == 0;
is $rc, 0, $before{running} ? 'apache2ctl graceful' : 'apache2ctl start'
    or diag $t;

my $ua = LWP::UserAgent->new(timeout => 5);
my $res;
for (1 .. 60) {
    $res = $ua->get("http://127.0.0.1:$port/helse");
    last if $res->code == 200;
    select undef, undef, undef, 0.25;
}
is $res->code, 200, '/helse: 200' or diag $res->decoded_content;
is((json_of($res) // {})->{database}{driver}, 'sqlite3',
   "on the package's SQLite database");
is mode_of('/var/lib/mod_bekymring/bekymring.sqlite'), '0640 www-data:www-data',
    'its file 0640, www-data\'s';

my $person = login_ua();
$res = login($person, "http://127.0.0.1:$port/meg", 'kari', 'substantial');
is $res->code, 200, 'a login through the stand-in';
like $res->decoded_content, qr{<dd id="navn">Kari Nordmann</dd>},
    'the portal sees the person';
$res = $person->get("http://127.0.0.1:$port/privat/skjema?kommune=0301&bydel=01");
like $res->decoded_content, qr{name="csrf"}, 'the form, from the installed pages';
# The stylesheet by the built name the page gives (fingerprinted).
my ($css) = $res->decoded_content =~ m{href="(/static/bkm\.[0-9a-f]{12}\.css)"};
$res = $person->get("http://127.0.0.1:$port" . ($css // '/static/bkm.css'));
is $res->code, 200, '/static from the installed files';

$out = `/usr/sbin/bekymring-migrate --check 2>&1`;
is $?, 0, "bekymring-migrate --check reads the package's database.conf"
    or diag $out;
like $out, qr/^schema version (\d+), this build's \1$/m, 'at the version of the build';

# ---- purge: the system as it was ------------------------------------------
# The test's portal site is a copy of the site file under another name, as
# the README has a second portal be: removing the package disables it too
# (before, it stayed enabled and configtest failed on its Bekymring lines,
# so httpd would not have started again).
$out = `dpkg --remove $PKG 2>&1`;
is $?, 0, 'dpkg --remove' or diag $out;
ok !-e '/etc/apache2/sites-enabled/bekymring-test.conf',
    'the other portal site is disabled too';
($rc, $t) = ctl('configtest');
is $rc, 0, 'configtest passes without the module' or diag $t;
unlink "/etc/apache2/sites-enabled/bekymring-test.conf", $site, $oidc;
$out = `dpkg --purge $PKG 2>&1`;
is $?, 0, 'dpkg --purge' or diag $out;
ok !-e '/etc/mod_bekymring' && !-e '/usr/lib/apache2/modules/mod_bekymring.so',
    'the package is gone';
is ls('/etc/apache2/mods-enabled'), $before{mods}, 'the enabled modules as before';
is ls('/etc/apache2/sites-enabled'), $before{sites}, 'the enabled sites as before';
is `dpkg-statoverride --list 2>/dev/null` =~ m{/etc/mod_bekymring} ? 1 : 0, 0,
    "dpkg's record of owners and modes is gone too";
