# SPDX-License-Identifier: Apache-2.0
# Every directive refuses its bad values while httpd reads the configuration
# (`apache2 -t`), with a message that says what is wrong; the shipped
# configurations parse.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root run_httpd_t spit);
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
    # The administration's logout (issue 14, item 4): mod_auth_openidc's
    # OIDCRedirectURI, without a query (?logout= is added).
    [ 'BekymringLogout oidc/redirect', qr/BekymringLogout oidc\/redirect: must be the OIDCRedirectURI/ ],
    [ 'BekymringLogout /oidc/redirect?logout=x', qr/BekymringLogout .*OIDCRedirectURI/ ],
    [ 'BekymringLogout ftp://h/oidc', qr/BekymringLogout .*OIDCRedirectURI/ ],
    [ "BekymringPages $broken_pages",
      qr/BekymringPages .*broken-pages: .*bad.*not well-formed/ ],
);

plan tests => 2 * @bad + 6;

for my $case (@bad) {
    my ($line, $expect) = @$case;
    my ($rc, $out) = run_httpd_t($load, $line);
    isnt $rc, 0, "refused: $line";
    like $out, $expect, "message for: $line";
}

my ($rc, $out) = run_httpd_t($load,
    "BekymringRegistry $dev/registry.json",
    "BekymringPortalCertificate $dev/pki/portal.pem $dev/pki/portal.key",
    'BekymringReceiptDeadline 40h', 'BekymringManualDeadline 2d',
    'BekymringRetention 30d', 'BekymringEscalationInterval off',
    'BekymringPostCheckRate 3', 'BekymringPostCheckRate off',
    'BekymringReminderAt 75%', 'BekymringReminderAt off',
    'BekymringSendmail /usr/sbin/sendmail -t -i',
    'BekymringCertificateWarning 14d', 'BekymringCertificateWarning off',
    'BekymringLogout /oidc/redirect',
    'BekymringLogout https://bekymringsmelding.example.no/oidc/redirect',
    "<VirtualHost 127.0.0.1:8599>\nBekymringEscalationInterval 90s\n</VirtualHost>",
    "<Location /meg>\nBekymringMinAcr high\n</Location>",
    "<Location /x>\nBekymringMaskinportenToken urn:x urn:y\n</Location>");
is $rc, 0, 'good values are accepted';
like $out, qr/Syntax OK/, 'Syntax OK';

# The production files in conf/ parse as shipped (with placeholders).
($rc, $out) = run_httpd_t($load, 'Include ' . root() . '/conf/idporten.conf',
    'Include ' . root() . '/conf/maskinporten.conf',
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
