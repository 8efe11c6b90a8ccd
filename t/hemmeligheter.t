# SPDX-License-Identifier: Apache-2.0
# Secret files (issue 15, item 2; README "Secret files"): following the old
# README the role key, idporten.conf (client secret, passphrase) and the
# database's password were 0644.  The module refuses to start (also under
# `apache2 -t`) while a file that holds a secret of a portal server is
# readable beyond root and httpd's User and Group; 0640 root:www-data and
# 0600 pass; a value taken from the environment is not in the file; a
# farm's other sites are not ours to refuse.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root run_httpd_t spit);

plan tests => 22;

my $dev = root() . '/t/dev';
my $dir = "$dev/hemmeligheter";
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";
my $load = 'LoadModule bekymring_module ' . root() . '/build/out/mod_bekymring.so';
my $user = $> == 0 ? "User www-data\nGroup www-data" : '';
my $root = $> == 0;

spit("$dir/role.key", 'k' x 32);
spit("$dir/oidc.conf", "OIDCCryptoPassphrase not-from-the-environment-0123456789\n");
spit("$dir/env.conf", "OIDCCryptoPassphrase \${BKM_TEST_PASSPHRASE}\n");
spit("$dir/db.conf", "DBDriver pgsql\nDBDParams \"host=x dbname=y password=hemmelig\"\n");
$ENV{BKM_TEST_PASSPHRASE} = 'x' x 40;

sub portal {
    my (@lines) = @_;
    return run_httpd_t($load, $user, '<VirtualHost 127.0.0.1:8599>',
        "BekymringRegistry $dev/registry.json", @lines, '</VirtualHost>');
}
sub mode { chmod $_[0], "$dir/$_[1]" or die "chmod $_[1]: $!" }

mode(0644, 'role.key');
my ($rc, $out) = portal("BekymringRoleKey $dir/role.key");
isnt $rc, 0, 'a role key 0644: refused (the directive, of old)';
like $out, qr/readable by every user/, 'says so';

mode(0644, 'oidc.conf');
($rc, $out) = portal("Include $dir/oidc.conf");
isnt $rc, 0, 'the crypto passphrase in a 0644 file: refused';
like $out, qr{BKM06603: \Q$dir\E/oidc.conf \(OIDCCryptoPassphrase, line 1 of \Q$dir\E/oidc.conf\) holds a secret but the file it is written in mode 0644: other users may read it},
    'names the file, the directive and what to do';
unlike $out, qr/not-from-the-environment/, 'and not the secret';
mode(0660, 'oidc.conf');
($rc, $out) = portal("Include $dir/oidc.conf");
like $out, qr/its group may write it/, '0660: refused too';
mode(0640, 'oidc.conf');
($rc, $out) = portal("Include $dir/oidc.conf");
unlike $out, qr/BKM06603/, '0640: accepted';

mode(0644, 'env.conf');
($rc, $out) = portal("Include $dir/env.conf");
unlike $out, qr/BKM06603/, 'a value from the environment is not in the file';

mode(0644, 'db.conf');
($rc, $out) = portal("Include $dir/db.conf");
like $out, qr/db.conf \(DBDParams, line 2/, "the database's password in a 0644 file: refused";
mode(0640, 'db.conf');
($rc, $out) = portal("Include $dir/db.conf");
unlike $out, qr/BKM06603/, '0640: accepted';

mode(0604, 'role.key');
($rc, $out) = portal("BekymringRoleKey $dir/role.key");
isnt $rc, 0, 'a key that others may read: refused';
mode(0640, 'role.key');
SKIP: {
    skip 'groups and owners are checked as root', 3 unless $root;
    system('chgrp', 'daemon', "$dir/role.key") == 0 or die 'chgrp';
    ($rc, $out) = portal("BekymringRoleKey $dir/role.key");
    like $out, qr/role.key.*group \d+ may read it, neither root's nor httpd's Group/,
        "a group other than root's and www-data's: refused";
    system('chown', 'root:www-data', "$dir/role.key") == 0 or die 'chown';
    ($rc, $out) = portal("BekymringRoleKey $dir/role.key");
    unlike $out, qr/BKM06603/, 'root:www-data 0640: accepted';
    system('chown', 'daemon:root', "$dir/role.key") == 0 or die 'chown';
    ($rc, $out) = portal("BekymringRoleKey $dir/role.key");
    like $out, qr/owned by uid \d+, neither root nor httpd's User/,
        'owned by another user: refused';
    system('chown', 'root:root', "$dir/role.key");
}

# libpq's password file (DBDParams passfile=, as README "PostgreSQL"
# says) and a client key (sslkey=): files with secrets that DBDParams
# names.  Before, a pgpass every user could read passed configtest (and
# libpq ignored it at run time: a login failure instead of a clear error).
spit("$dir/pgpass", "db.example:5432:bekymring:bekymring:pg-pass-xyzzy\n");
spit("$dir/client.key", "not a real key\n");
my $pass = "DBDParams \"host=db.example dbname=bekymring user=bekymring passfile=$dir/pgpass sslmode=verify-full\"";
mode(0644, 'pgpass');
($rc, $out) = portal('DBDriver pgsql', $pass);
isnt $rc, 0, 'a passfile every user may read: refused';
like $out, qr{BKM06603: \Q$dir\E/pgpass \(DBDParams, line \d+ of [^)]+\) holds a secret but the password file mode 0644: its group or other users may access it \(and libpq ignores it then\): chown www-data: and chmod 0600 it},
    'names the password file and what to do';
unlike $out, qr/pg-pass-xyzzy/, 'and not the password';
if ($root) { system('chown', 'www-data:www-data', "$dir/pgpass") == 0 or die 'chown' }
mode(0640, 'pgpass');
($rc, $out) = portal('DBDriver pgsql', $pass);
like $out, qr/pgpass.*libpq ignores it then/, '0640: refused too (libpq would ignore it)';
mode(0600, 'pgpass');
($rc, $out) = portal('DBDriver pgsql', $pass);
unlike $out, qr/BKM06603/, "0600, httpd's User's: accepted";
mode(0644, 'client.key');
($rc, $out) = portal('DBDriver pgsql',
    "DBDParams \"host=db.example dbname=bekymring sslkey='$dir/client.key' sslcert=$dir/x.pem\"");
like $out, qr{BKM06603: \Q$dir\E/client.key \(DBDParams.*the client key mode 0644},
    'a client key (sslkey=, quoted) every user may read: refused';

# Another site of the farm: not the portal's to refuse.
mode(0644, 'oidc.conf');
($rc, $out) = run_httpd_t($load, $user, '<VirtualHost 127.0.0.1:8599>',
    "Include $dir/oidc.conf", '</VirtualHost>');
unlike $out, qr/BKM06603/, "another site's secrets are its own business";
is $rc, 0, 'and it starts';
system('rm', '-rf', $dir);
