# SPDX-License-Identifier: Apache-2.0
# Every directive refuses its bad values while httpd reads the configuration
# (`apache2 -t`), with a message that says what is wrong; the shipped
# configurations parse.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root run_httpd_t spit slurp);
use JSON::PP;

my $dev = root() . '/t/dev';
my $load = 'LoadModule bekymring_module ' . root()
    . '/build/out/mod_bekymring.so';

# A registry copy with one change, written beside the original so that its
# relative certificate paths still resolve.
sub registry_with {
    my ($name, $change) = @_;
    open my $fh, '<', "$dev/registry.json" or die;
    my $r = JSON::PP->new->decode(do { local $/; <$fh> });
    $change->($r);
    my $f = "$dev/$name.json";
    open my $out, '>', $f or die;
    print $out JSON::PP->new->encode($r);
    close $out;
    return $f;
}

my $bad_kommune = registry_with('bad-kommune',
    sub { $_[0]{kommuner}[0]{kommunenummer} = '9999' });
my $bad_cert = registry_with('bad-cert', sub {
    $_[0]{kommuner}[0]{bydeler}[0]{sertifikater}{fagsystem} = 'pki/none.pem' });
my $key_as_cert = registry_with('key-as-cert',
    sub { $_[0]{print}{sertifikat} = 'pki/print.key' });
my $bad_frist = registry_with('bad-frist',
    sub { $_[0]{kommuner}[0]{bydeler}[0]{svarfrist} = '40' });
# issue 14: the pages name who runs the service, so the registry must.
my $no_drift = registry_with('no-drift',
    sub { delete $_[0]{driftsansvarlig} });

# Roles files with a municipality, or a district, the registry does not
# have (mode 0600: the module refuses roles every user may read).
sub roles_with {
    my ($name, @roller) = @_;
    my $f = "$dev/$name.json";
    open my $out, '>', $f or die;
    print $out JSON::PP->new->encode({ roller => \@roller });
    close $out;
    chmod 0600, $f;
    return $f;
}
my $roles_9999 = roles_with('roles-9999',
    { fodselsnummer => '01017012345', navn => 'Kari Nordmann',
      rolle => 'administrator', kommune => '0301' },
    { fodselsnummer => '02028054321', navn => 'Ukjent Kommune',
      rolle => 'mottaker', kommune => '9999', bydeler => ['01'] });
my $roles_bydel = roles_with('roles-bydel',
    { fodselsnummer => '01017012345', navn => 'Kari Nordmann',
      rolle => 'administrator', kommune => '0301', bydeler => ['01', '77'] });

# Pages whose template is not well-formed: refused by `apache2 -t` too
# (they are loaded in the check_config hook, which it runs).
my $broken_pages = "$dev/broken-pages";
mkdir $broken_pages;
mkdir "$broken_pages/templates";
spit("$broken_pages/templates/bad.html", "<p>not closed\n");

my @bad = (
    [ "BekymringRegistry $dev/none.json", qr{registry .*none\.json} ],
    [ "BekymringRegistry $bad_kommune",
      qr/unknown municipality number 9999/ ],
    [ "BekymringRegistry $bad_cert", qr/cannot read certificate file .*none\.pem/ ],
    [ "BekymringRegistry $key_as_cert", qr/holds a private key/ ],
    [ "BekymringRegistry $bad_frist", qr/svarfrist.*unit/ ],
    [ "<Location /x>\nBekymringRegistry $dev/registry.json\n</Location>",
      qr/not allowed/ ],
    [ 'BekymringReceiptDeadline 40', qr/BekymringReceiptDeadline 40: .*unit/ ],
    [ 'BekymringReceiptDeadline 40x', qr/unknown duration unit/ ],
    [ 'BekymringReceiptDeadline -1h', qr/whole number/ ],
    [ 'BekymringManualDeadline 0d', qr/greater than zero/ ],
    [ 'BekymringManualDeadline 2 d', qr/takes one argument/ ],
    [ 'BekymringRetention 1.5d', qr/one unit/ ],
    [ 'BekymringRetention 99999d', qr/too long/ ],
    [ 'BekymringEscalationInterval never', qr/BekymringEscalationInterval never/ ],
    [ 'BekymringEscalationInterval 0s', qr/greater than zero/ ],
    [ 'BekymringPostCheckRate 101', qr/BekymringPostCheckRate 101: must be/ ],
    [ 'BekymringPostCheckRate -1', qr/BekymringPostCheckRate -1: must be/ ],
    [ 'BekymringPostCheckRate 1x', qr/whole number from 0 to 100/ ],
    [ 'BekymringReconcileWithin 0', qr/BekymringReconcileWithin 0: .*1 to 60/ ],
    [ 'BekymringReconcileWithin 5d', qr/business days, 1 to 60, or off/ ],
    [ 'BekymringControlInterval never', qr/BekymringControlInterval never/ ],
    [ 'BekymringControlInterval 0s', qr/greater than zero/ ],
    [ 'BekymringReminderAt 75', qr/BekymringReminderAt 75: must be off or a share/ ],
    [ 'BekymringReminderAt 100%', qr/from 1% to 99%/ ],
    [ 'BekymringReminderAt 0%', qr/from 1% to 99%/ ],
    [ 'BekymringReminderAt -5%', qr/from 1% to 99%/ ],
    [ 'BekymringSendmail sendmail -t -i', qr/BekymringSendmail .*absolute path/ ],
    [ 'BekymringCertificateWarning soon', qr/BekymringCertificateWarning soon/ ],
    [ 'BekymringCertificateWarning 30', qr/BekymringCertificateWarning 30: .*unit/ ],
    [ "BekymringPortalCertificate $dev/pki/none.pem $dev/pki/portal.key",
      qr/cannot read certificate file/ ],
    [ "BekymringPortalCertificate $dev/pki/portal.pem $dev/pki/none.key",
      qr/cannot read a PEM private key/ ],
    [ "BekymringPortalCertificate $dev/pki/portal.pem $dev/pki/print.key",
      qr/does not belong to the certificate/ ],
    [ "<Location /meg>\nBekymringMinAcr low\n</Location>",
      qr/must be substantial or high/ ],
    [ "<Location /meg>\nBekymringMinAcr\n</Location>",
      qr/takes one argument/ ],
    [ "<Location /x>\nBekymringMaskinportenToken \" urn:x\" urn:y\n</Location>",
      qr/BekymringMaskinportenToken: .*without blanks/ ],
    [ "<Location /x>\nBekymringMaskinportenToken urn:x\n</Location>",
      qr/takes two arguments/ ],
    [ "BekymringPages $dev/none", qr/BekymringPages .*none: not a directory/ ],
    [ 'BekymringLogout ftp://h/oidc', qr/BekymringLogout .*OIDCRedirectURI/ ],
    # Pages are loaded for a portal (Bekymring On) only.
    [ "Bekymring On\nBekymringRegistry $dev/registry.json\n"
      . "BekymringSecretKey $dev/secret.key\nBekymringPages $broken_pages",
      qr/BekymringPages .*broken-pages: .*bad.*not well-formed/ ],
    # The portal's switch (issue 15, item 1).
    [ 'Bekymring yes', qr/Bekymring must be On or Off/ ],
    [ "<Location /x>\nBekymring On\n</Location>", qr/not allowed/ ],
    [ 'Bekymring On', qr/Bekymring On needs BekymringRegistry/ ],
    [ "<VirtualHost 127.0.0.1:8599>\nBekymring On\n</VirtualHost>",
      qr/virtual host at \S*httpd\.conf:\d+: Bekymring On needs BekymringRegistry/ ],
    # Roles name municipalities and districts of the registry (item 8):
    # the message names the roles file, the line that set it, the entry
    # and the unknown number, never the person's.
    [ "Bekymring On\nBekymringRegistry $dev/registry.json\n"
      . "BekymringRoles $roles_9999",
      qr{BekymringRoles \S*/roles-9999\.json \(set at \S*conf-check/httpd\.conf:\d+\), for the main server: roller\[1\] \("Ukjent Kommune"\): municipality 9999 is not in the registry \S*registry\.json} ],
    [ "Bekymring On\nBekymringRegistry $dev/registry.json\n"
      . "BekymringRoles $roles_bydel",
      qr{roller\[0\] \("Kari Nordmann"\): municipality 0301 has no district 77} ],
    # In a virtual host, against the registry it inherits.
    [ "BekymringRegistry $dev/registry.json\n<VirtualHost 127.0.0.1:8599>\n"
      . "Bekymring On\nBekymringRoles $roles_9999\n</VirtualHost>",
      qr/roller\[1\] .*municipality 9999 is not in the registry/ ],
    # issue 14
    [ "Bekymring On\nBekymringRegistry $no_drift\nBekymringPages " . root() . "/htdocs\n"
      . "BekymringSecretKey $dev/secret.key",
      qr/must name who runs the service: "driftsansvarlig"/ ],
    [ 'BekymringLogout oidc/redirect', qr/BekymringLogout oidc\/redirect: must be the OIDCRedirectURI/ ],
    [ 'BekymringLogout /oidc/redirect?logout=x', qr/BekymringLogout .*: must be the OIDCRedirectURI/ ],
    [ 'BekymringLogout javascript:alert(1)', qr/BekymringLogout .*: must be the OIDCRedirectURI/ ],
    [ 'BekymringLogout "/oidc/redirect\"><script>"', qr/must be the OIDCRedirectURI/ ],
);

plan tests => 2 * @bad + 6 + 6 + 2;
my ($rc, $out);

for my $case (@bad) {
    my ($line, $expect) = @$case;
    my ($rc, $out) = run_httpd_t($load, $line);
    isnt $rc, 0, "refused: $line";
    like $out, $expect, "message for: $line";
}
for my $roles ($roles_9999, $roles_bydel) {
    my (undef, $out) = run_httpd_t($load, 'Bekymring On',
        "BekymringRegistry $dev/registry.json", "BekymringRoles $roles");
    unlike $out, qr/0101701234|0202805432/,
        'the roles error names no national id';
}

# Loading the module with its Debian conf (mods-available) and no
# "Bekymring On" changes nothing and says nothing; a registry left where
# no portal runs (an older release's layout) is pointed out.
($rc, $out) = run_httpd_t($load,
    'Include ' . root() . '/conf/bekymring.conf',
    '<VirtualHost 127.0.0.1:8599>', 'ServerName annen.example',
    '</VirtualHost>');
is $rc, 0, 'the module and its mods-available conf, no portal: accepted';
unlike $out, qr/BKM|bekymring|AH\d+/i, 'and nothing is said' or diag $out;
($rc, $out) = run_httpd_t($load, "BekymringRegistry $dev/registry.json");
is $rc, 0, 'a registry without a portal is accepted';
like $out, qr/BKM06500: BekymringRegistry \S+ is set \(in the main server\) but no server uses it/,
    'with a warning that names "Bekymring On"';

($rc, $out) = run_httpd_t($load,
    'Bekymring On', 'Bekymring Off', 'Bekymring On',
    "BekymringRegistry $dev/registry.json",
    "BekymringPortalCertificate $dev/pki/portal.pem $dev/pki/portal.key",
    'BekymringReceiptDeadline 40h', 'BekymringManualDeadline 2d',
    'BekymringRetention 30d', 'BekymringEscalationInterval off',
    'BekymringPostCheckRate 3', 'BekymringPostCheckRate off',
    'BekymringReminderAt 75%', 'BekymringReminderAt off',
    'BekymringSendmail /usr/sbin/sendmail -t -i',
    'BekymringCertificateWarning 14d', 'BekymringCertificateWarning off',
    'BekymringLogout /oidc/redirect',
    "<VirtualHost 127.0.0.1:8598>\nBekymringLogout https://bekymring.example.no/oidc/redirect\n</VirtualHost>",
    "<VirtualHost 127.0.0.1:8599>\nBekymringEscalationInterval 90s\n</VirtualHost>",
    "<Location /meg>\nBekymringMinAcr high\n</Location>",
    "<Location /x>\nBekymringMaskinportenToken urn:x urn:y\n</Location>");
is $rc, 0, 'good values are accepted';
like $out, qr/Syntax OK/, 'Syntax OK';

# The production files in conf/ parse as shipped (with placeholders).
($rc, $out) = run_httpd_t($load, 'Include ' . secret_copies() . '/idporten.conf',
    'Include ' . secret_copies() . '/maskinporten.conf',
    'Include ' . root() . '/conf/bekymring-locations.conf');
is $rc, 0, 'conf/idporten.conf, maskinporten.conf and the locations parse'
    or diag $out;

# The development configuration that `make run` uses parses.
local $ENV{BKM_PORT} = 8080;
local $ENV{BKM_DB_DRIVER} = 'sqlite3';
local $ENV{BKM_DB_PARAMS} = "$dev/db/check.sqlite";
($rc, $out) = run_httpd_t('Define BKM_SQLITE',
    'Include ' . root() . '/conf/dev/portal.conf');
is $rc, 0, 'conf/dev/portal.conf parses' or diag $out;

# The example registry in conf/ is complete and follows the rules (its
# certificates are placeholders, so only that error may remain).
($rc, $out) = run_httpd_t($load,
    'BekymringRegistry ' . root() . '/conf/registry.example.json');
like $out, qr/cannot read certificate file .*print\.pem/,
    'conf/registry.example.json is valid up to its placeholder certificates';
unlike $out, qr/unknown member|is missing|must be/,
    'and has no structural error';

# The shipped configuration files that hold secrets, as an installation
# keeps them (0640; README "Secret files"): the module refuses them
# readable by every user, as the checkout has them.  The database's lines
# point at the development tree.
sub secret_copies {
    my $to = "$dev/conf-check/etc";
    mkdir $to;
    for my $f (qw(idporten maskinporten bekymring-locations database)) {
        my $text = slurp(root() . "/conf/$f.conf");
        $text =~ s{/var/lib/mod_bekymring/}{$dev/db/}g;
        spit("$to/$f.conf", $text);
        chmod 0640, "$to/$f.conf";
    }
    return $to;
}

# The shipped site file (conf/bekymring-site.conf) and the module's Debian
# conf parse together, with the installation's paths pointed at the
# development tree: every location, the /static alias and the OIDC and
# database settings are inside its virtual hosts, and the portal's
# registry, roles and pages check out.
{
    my $site = slurp(root() . '/conf/bekymring-site.conf');
    my $conf = secret_copies();
    my $pages = $ENV{BKM_PAGES} // root() . '/htdocs';
    $site =~ s{/etc/mod_bekymring/(idporten|maskinporten|bekymring-locations|database)\.conf}{$conf/$1.conf}g;
    $site =~ s{/etc/mod_bekymring/portal\.}{$dev/pki/portal.}g;
    $site =~ s{/etc/ssl/certs/\S+\.pem}{$dev/pki/portal.pem}g;
    $site =~ s{/etc/ssl/private/\S+\.key}{$dev/pki/portal.key}g;
    $site =~ s{/etc/mod_bekymring/}{$dev/}g;
    $site =~ s{/usr/share/mod_bekymring/htdocs}{$pages}g;
    $site =~ s{/usr/share/mod_bekymring/static}{${\ root()}/build/out/static}g;
    $site =~ s{/var/lib/mod_bekymring/}{$dev/db/}g;
    $site =~ s{<VirtualHost \*:(80|443)>}{<VirtualHost 127.0.0.1:8599>}g;
    my $file = "$dev/conf-check/bekymring-site.conf";
    spit($file, $site);
    ($rc, $out) = run_httpd_t($load,
        'LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so',
        "Define APACHE_LOG_DIR $dev/conf-check",
        'Include ' . root() . '/conf/bekymring.conf', "Include $file");
    is $rc, 0, 'conf/bekymring-site.conf parses with conf/bekymring.conf'
        or diag $out;
}

# On a farm without mod_dbd, mod_auth_openidc and the others enabled, the
# module's conf loads what the portal needs (a2enmod enables nothing else,
# so a2dismod leaves the farm as it was): the site's directives parse with
# only an MPM loaded besides.
{
    my $dir = "$dev/conf-check";
    my $conf = "$dir/bare.conf";
    spit($conf, "ServerRoot $dir\nDefaultRuntimeDir $dir\nPidFile $dir/pid\n"
        . "ErrorLog $dir/error_log\nListen 127.0.0.1:8599\n"
        . "ServerName 127.0.0.1\n"
        . "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
        . "$load\nInclude " . root() . "/conf/bekymring.conf\n"
        . "Define BKM_PAGES " . ($ENV{BKM_PAGES} // root() . '/htdocs') . "\n"
        . "Define BKM_MASKINPORTEN_ISSUER urn:x\n"
        . "Define BKM_MASKINPORTEN_AUDIENCE urn:y\n"
        . "Define BKM_MASKINPORTEN_SCOPE ks:fiks\n"
        . "<VirtualHost 127.0.0.1:8599>\nBekymring On\n"
        . "BekymringRegistry $dev/registry.json\n"
        . "DBDriver sqlite3\nDBDParams $dir/bare.sqlite\n"
        . "Include " . secret_copies() . "/idporten.conf\n"
        . "Include " . root() . "/conf/bekymring-locations.conf\n"
        . "</VirtualHost>\n");
    my $out = `/usr/sbin/apache2 -t -f $conf 2>&1`;
    is $? >> 8, 0, 'conf/bekymring.conf loads the modules the portal needs'
        or diag $out;
}
