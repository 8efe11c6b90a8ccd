# SPDX-License-Identifier: Apache-2.0
# Runs last: after the other tests logged in test persons and used the
# integrations, no national id number, name or password is in httpd's logs.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root error_log);
use JSON::PP;

my $logs = Apache::Test::config()->{vars}{t_logs};
my $text = error_log();
for my $f ("$logs/access_log") {
    open my $fh, '<', $f or next;
    local $/;
    $text .= <$fh>;
}

open my $fh, '<', root() . '/t/dev/integrations.json' or die;
my $integrations = JSON::PP->new->decode(do { local $/; <$fh> });
my @passwords = map { $_->{passord} } @{ $integrations->{integrasjoner} };
my @pids = qw(01017012345 02028054321 03039098765 04041155555);
my @names = ('Kari Nordmann', 'Ola Nordmann');

plan tests => 2 + @pids + @passwords + @names;

cmp_ok length($text), '>', 1000, 'the logs have content';
like $text, qr/BKM\d{5}: /, 'our tagged lines are there';
ok index($text, $_) < 0, "no national id $_ in the logs" for @pids;
ok index($text, $_) < 0, "no name '$_' in the logs" for @names;
ok index($text, $_) < 0, 'no integration password in the logs'
    for @passwords;
