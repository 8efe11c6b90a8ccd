# SPDX-License-Identifier: Apache-2.0
# Runs last: after the other tests logged in test persons and used the
# integrations, no national id number, name or password is in httpd's logs;
# and what t/pages.t typed into the forms (sent, kept as drafts, copied) is
# neither in the logs nor readable in the database's files.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use lib 't/lib';
use BkmTest qw(root error_log db_files slurp);
use JSON::PP;

my $logs = Apache::Test::config()->{vars}{t_logs};
my $text = error_log();
# user_log has %u (t/conf/extra.conf.in, t/access_log.t).
for my $f ("$logs/access_log", "$logs/user_log") {
    open my $fh, '<', $f or next;
    local $/;
    $text .= <$fh>;
}

open my $fh, '<', root() . '/t/dev/integrations.json' or die;
my $integrations = JSON::PP->new->decode(do { local $/; <$fh> });
my @passwords = map { $_->{passord} } @{ $integrations->{integrasjoner} };
my @pids = qw(01017012345 02028054321 03039098765 04041155555);
my @names = ('Kari Nordmann', 'Ola Nordmann', 'Nora Noname');
# Typed into the web forms by t/pages.t.
my @typed = ('Storgata 1', 'Bryggen 3', 'Skrevet i 45 minutter',
             "\x{c5}se \x{d8}deg\x{e5}rd");
my $db = join '', map { slurp($_) } db_files();

plan tests => 3 + @pids + @passwords + @names + 2 * @typed;

cmp_ok length($text), '>', 1000, 'the logs have content';
like $text, qr/BKM\d{5}: /, 'our tagged lines are there';
ok index($text, $_) < 0, "no national id $_ in the logs" for @pids;
ok index($text, $_) < 0, "no name '$_' in the logs" for @names;
ok index($text, $_) < 0, 'no integration password in the logs'
    for @passwords;
cmp_ok length($db), '>', 10000, 'the database files have content';
for my $t (@typed) {
    my $bytes = $t;
    utf8::encode($bytes);
    ok index($text, $bytes) < 0, "'$bytes' typed in a form: not in the logs";
    ok index($db, $bytes) < 0, "'$bytes' typed in a form: not readable in the database";
}
