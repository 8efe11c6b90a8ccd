# SPDX-License-Identifier: Apache-2.0
# GET /helse: 200 with driver and schema version when the database answers,
# 503 with a clear JSON error when it does not.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use lib 't/lib';
use BkmTest qw(json_of error_log pg_ctl);
use LWP::UserAgent;

plan tests => 22;

my $driver = $ENV{TEST_PGSQL} ? 'pgsql' : 'sqlite3';

my $res = GET '/helse';
is $res->code, 200, 'healthy node answers 200';
like $res->header('Content-Type'), qr{^application/json; charset=utf-8},
    'JSON';
is $res->header('Cache-Control'), 'no-store', 'not cached';
my $j = json_of($res);
is $j->{status}, 'ok', 'status ok';
is $j->{database}{driver}, $driver, "names the driver ($driver)";
cmp_ok $j->{database}{skjemaversjon}, '>=', 1, 'schema version >= 1';
is $j->{database}{skjemaversjon}, $j->{database}{forventetSkjemaversjon},
    'schema is at the version the module expects';
is $j->{register}{kommuner}, 4, 'registry: four municipalities';
is $j->{register}{aktive}, 3, 'registry: three of them active';

$res = POST '/helse', content => 'x';
is $res->code, 405, 'POST is refused';
is $res->header('Allow'), 'GET, HEAD', 'with an Allow header';
is json_of($res)->{errorId}, 'metode-ikke-tillatt', 'and a JSON error';

# The virtual host from t/conf/nodb.conf has a database that cannot open.
my $ua = LWP::UserAgent->new(timeout => 10);
$res = $ua->get("http://127.0.0.1:$ENV{BKM_NODB_PORT}/helse");
is $res->code, 503, 'database unavailable: 503';
$j = json_of($res);
is $j->{status}, 'feil', 'status feil';
like $j->{feilmelding}, qr/database does not answer/, 'says why';
like error_log(), qr/BKM00105: cannot open the sqlite3 database to migrate/,
    'start-up logged that the schema could not be migrated';
unlike error_log(), qr{/nonexistent/mod_bekymring/nodb\.sqlite.*BKM00105},
    'tagged line does not repeat the connection string';

SKIP: {
    skip 'stopping the database is tested on PostgreSQL (TEST_PGSQL=1)', 5
        unless $ENV{TEST_PGSQL};
    ok pg_ctl('stop'), 'PostgreSQL stopped';
    my $down = GET('/helse');
    is $down->code, 503, 'database down: 503';
    like $down->header('Retry-After') // '', qr/^\d+$/,
        'saying when to try again (Retry-After; issue 15)';
    ok pg_ctl('start'), 'PostgreSQL started again';
    my $code = 0;
    for (1 .. 20) {             # mod_dbd reconnects on a later request
        $code = GET('/helse')->code;
        last if $code == 200;
        select undef, undef, undef, 0.25;
    }
    is $code, 200, 'database back: 200 again without a restart';
}
