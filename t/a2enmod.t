# SPDX-License-Identifier: Apache-2.0
# Debian's a2enmod/a2ensite and a2dismod/a2dissite on a copy of this
# machine's /etc/apache2 (APACHE_CONFDIR): enabling the module and the
# site links only their own files, and disabling them leaves the farm's
# enabled modules, sites and confs as they were (issue 15, item 8).  With
# a "# Depends:" line, as earlier releases shipped, a2dismod left mod_dbd
# enabled: shown at the end.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root spit slurp);
use File::Find ();

plan skip_all => 'no /etc/apache2 or a2enmod here'
    unless -d '/etc/apache2/mods-available' && -x '/usr/sbin/a2enmod';
plan tests => 11;

my $dir = ($ENV{BKM_DEV_DIR} // root() . '/t/dev') . '/a2enmod';
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";
system('cp', '-a', '/etc/apache2', "$dir/etc") == 0 or die "cp failed\n";
mkdir "$dir/state";
local $ENV{APACHE_CONFDIR} = "$dir/etc";
local $ENV{APACHE_STATE_DIRECTORY} = "$dir/state";

# What is enabled: every link under *-enabled and where it points.
sub enabled {
    my %links;
    for my $d (qw(mods-enabled sites-enabled conf-enabled)) {
        opendir my $dh, "$dir/etc/$d" or next;
        for my $f (grep { !/^\./ } readdir $dh) {
            $links{"$d/$f"} = readlink("$dir/etc/$d/$f") // 'file';
        }
    }
    return \%links;
}
sub run_quiet {
    my $out = `@_ 2>&1`;
    return ($? >> 8, $out);
}

# The farm serves https already (the site file's virtual host uses TLS).
run_quiet('/usr/sbin/a2enmod', 'ssl');
my $farm = enabled();
system('cp', root() . '/conf/bekymring.load', root() . '/conf/bekymring.conf',
       "$dir/etc/mods-available/") == 0 or die;
system('cp', root() . '/conf/bekymring-site.conf',
       "$dir/etc/sites-available/bekymring.conf") == 0 or die;

my ($rc, $out) = run_quiet('/usr/sbin/a2enmod', 'bekymring');
is $rc, 0, 'a2enmod bekymring' or diag $out;
($rc, $out) = run_quiet('/usr/sbin/a2ensite', 'bekymring');
is $rc, 0, 'a2ensite bekymring' or diag $out;
my $now = enabled();

# Debian's own `apache2ctl configtest` on the farm with the module and the
# site: Debian's apache2.conf, ports.conf, envvars and its default sites,
# with the installation's paths pointed at the build and the development
# tree (the module is not installed here) and the run-time directories
# at the copy.
{
    my $dev = $ENV{BKM_DEV_DIR} // root() . '/t/dev';
    my $conf = root() . '/conf';
    my $pages = $ENV{BKM_PAGES} // root() . '/htdocs';
    my $f = "$dir/etc/mods-available/bekymring.load";
    (my $load = slurp($f)) =~ s{/usr/lib/apache2/modules/mod_bekymring\.so}{${\ root()}/build/out/mod_bekymring.so};
    spit($f, $load);
    $f = "$dir/etc/sites-available/bekymring.conf";
    my $site = slurp($f);
    # The files that hold secrets as an installation keeps them (0640;
    # README "Secret files"), the database's lines at the copy.
    mkdir "$dir/mod_bekymring";
    for my $c (qw(idporten maskinporten bekymring-locations database)) {
        (my $text = slurp("$conf/$c.conf")) =~ s{/var/lib/mod_bekymring/}{$dir/}g;
        spit("$dir/mod_bekymring/$c.conf", $text);
        chmod 0640, "$dir/mod_bekymring/$c.conf";
    }
    $site =~ s{/etc/mod_bekymring/(idporten|maskinporten|bekymring-locations|database)\.conf}{$dir/mod_bekymring/$1.conf}g;
    $site =~ s{/etc/mod_bekymring/portal\.}{$dev/pki/portal.}g;
    $site =~ s{/etc/ssl/certs/\S+\.pem}{$dev/pki/portal.pem}g;
    $site =~ s{/etc/ssl/private/\S+\.key}{$dev/pki/portal.key}g;
    $site =~ s{/etc/mod_bekymring/}{$dev/}g;
    $site =~ s{/usr/share/mod_bekymring/htdocs}{$pages}g;
    $site =~ s{/usr/share/mod_bekymring/static}{${\ root()}/build/out/static}g;
    $site =~ s{/var/lib/mod_bekymring/}{$dir/}g;
    spit($f, $site);
    $f = "$dir/etc/envvars";
    (my $env = slurp($f)) =~ s{/var/(run|lock|log)/apache2}{$dir/$1}g;
    spit($f, $env);
    mkdir "$dir/$_" for qw(run lock log);
    my ($rc, $out) = run_quiet('/usr/sbin/apache2ctl', 'configtest');
    is $rc, 0, "Debian's apache2ctl configtest with the module and the site"
        or diag $out;
    like $out, qr/Syntax OK/, 'Syntax OK';
}
my @added = sort grep { !exists $farm->{$_} } keys %$now;
is_deeply \@added, ['mods-enabled/bekymring.conf',
                    'mods-enabled/bekymring.load',
                    'sites-enabled/bekymring.conf'],
    'only the module\'s two files and the site are linked'
    or diag "@added";
is_deeply [grep { !exists $now->{$_} } keys %$farm], [],
    'nothing of the farm was disabled';

($rc, $out) = run_quiet('/usr/sbin/a2dissite', 'bekymring');
is $rc, 0, 'a2dissite bekymring' or diag $out;
($rc, $out) = run_quiet('/usr/sbin/a2dismod', 'bekymring');
is $rc, 0, 'a2dismod bekymring' or diag $out;
is_deeply enabled(), $farm, 'the farm is as it was';

# The trap of a "# Depends:" line: a2enmod enables the dependencies, and
# a2dismod never disables them.
SKIP: {
    skip 'this machine enables mod_dbd already', 2
        if exists $farm->{'mods-enabled/dbd.load'};
    spit("$dir/etc/mods-available/bekymring.load",
         "# Depends: dbd\n" . slurp(root() . '/conf/bekymring.load'));
    run_quiet('/usr/sbin/a2enmod', 'bekymring');
    run_quiet('/usr/sbin/a2dismod', 'bekymring');
    my $after = enabled();
    ok exists $after->{'mods-enabled/dbd.load'},
        'with "# Depends: dbd", a2dismod leaves dbd enabled';
    isnt scalar(keys %$after), scalar(keys %$farm),
        'so the farm is not as it was: hence no Depends line';
}
