# SPDX-License-Identifier: Apache-2.0
# The public municipality API, in the incumbent's shape
# (bekymringsmelding-kommune-api-v2).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use lib 't/lib';
use BkmTest qw(json_of root);
use JSON::PP;

plan tests => 58;

my $api = '/bekymringsmelding/api/v2/kommuner';

my $res = GET $api;
is $res->code, 200, 'list';
my $list = json_of($res);
is_deeply [map { $_->{kommunenr} } @$list], ['0301', '4601', '5001'],
    'active municipalities only, by number (1103 is inactive)';
is_deeply [sort keys %{ $list->[0] }], ['kommunenr', 'navn'],
    'KommuneEnkel has kommunenr and navn';
is $list->[2]{navn}, 'Trondheim', 'default name';
like $res->header('Cache-Control'), qr/max-age/, 'public data may be cached';

$list = json_of(GET "$api?sprakKode=sma");
is $list->[2]{navn}, "Tr\x{e5}ante", 'sprakKode=sma gives the South Sami name';
is $list->[0]{navn}, 'Oslo', 'and the default where there is none';

$res = GET "$api/0301";
is $res->code, 200, 'one municipality';
my $oslo = json_of($res);
is $oslo->{kommunenr}, '0301', 'kommunenr';
is $oslo->{navn}, 'Oslo', 'navn';
is scalar @{ $oslo->{bydeler} }, 4, 'four districts';
is_deeply [sort keys %{ $oslo->{bydeler}[0] }],
    [qw(bydelsnavn bydelsnummer standardMottaker stottetVersjon)],
    'BydelEnkelV2 fields';
my @std = grep { $_->{standardMottaker} } @{ $oslo->{bydeler} };
is scalar @std, 1, 'exactly one default receiver';
is $std[0]{bydelsnummer}, '01', 'Gamle Oslo is the default';
ok JSON::PP::is_bool($std[0]{standardMottaker}), 'standardMottaker is boolean';
my ($gr) = grep { $_->{bydelsnummer} eq '02' } @{ $oslo->{bydeler} };
is $gr->{bydelsnavn}, "Gr\x{fc}nerl\x{f8}kka", 'UTF-8 names survive';
is $gr->{stottetVersjon}, 'V1', 'supported version per district';

$res = GET "$api/0301/bydeler";
is $res->code, 200, 'districts';
is_deeply json_of($res), $oslo->{bydeler}, 'same list as in the municipality';

$res = GET "$api/0301/bydeler/02";
is $res->code, 200, 'one district';
is json_of($res)->{bydelsnavn}, "Gr\x{fc}nerl\x{f8}kka", 'the right one';

$res = GET "$api/4601/bydeler";
is_deeply [map { $_->{bydelsnummer} } @{ json_of($res) }], ['00'],
    'a municipality without districts has district 00';

# inactive: known, but no districts
$res = GET "$api/1103";
is $res->code, 200, 'inactive municipality: 200';
is_deeply json_of($res),
    { kommunenr => '1103', navn => 'Stavanger', bydeler => [] },
    'with an empty district list';
$res = GET "$api/1103/bydeler";
is $res->code, 200, 'its districts: 200';
is_deeply json_of($res), [], 'an empty list';
is GET("$api/1103/bydeler/00")->code, 404, 'no district of an inactive one';

# unknown and malformed
$res = GET "$api/9999";
is $res->code, 404, 'unknown municipality: 404';
my $e = json_of($res);
is $e->{errorId}, 'ukjent-kommune', 'errorId';
like $e->{feilmelding}, qr/9999/, 'message names the number';
like $e->{correlationId}, qr/^[0-9a-f]{16}$/, 'correlationId';
is GET("$api/9999/bydeler")->code, 404, 'districts of unknown: 404';
is GET("$api/0301/bydeler/99")->code, 404, 'unknown district: 404';
is json_of(GET "$api/0301/bydeler/99")->{errorId}, 'ukjent-bydel', 'errorId';
for my $bad ('030', '03011', 'abcd', '03%201') {
    is GET("$api/$bad")->code, 400, "malformed number '$bad': 400";
}
is GET("$api/0301/bydeler/2")->code, 404, 'one-digit district: 404';
is GET("$api/0301/annet")->code, 404, 'unknown sub-resource: 404';
is GET("$api?sprakKode=../x")->code, 400, 'bad sprakKode: 400';
is GET("$api?foo=bar")->code, 400, 'unknown parameter: 400';
is POST($api, content => '{}')->code, 405, 'POST: 405';

# Issue 17: the answers are written once per configuration generation,
# with an ETag of their bytes; a client that holds them gets 304.
{
    my $r1 = GET $api;
    my $tag = $r1->header('ETag');
    like $tag, qr/^"[0-9a-f]{32}"$/, 'the list has a strong ETag';
    is GET($api)->header('ETag'), $tag, 'the same ETag each time';
    my $nm = GET $api, 'If-None-Match' => $tag;
    is $nm->code, 304, 'If-None-Match with it: 304';
    is $nm->content, '', 'and no body';
    is $nm->header('ETag'), $tag, 'the 304 names the ETag';
    like $nm->header('Cache-Control') // '', qr/max-age=60/,
        'and may be cached as the 200';
    is GET($api, 'If-None-Match' => '"0000"')->code, 200,
        'another ETag: 200';
    is GET($api, 'If-None-Match' => "W/$tag")->code, 304,
        'a weak comparison (If-None-Match): 304';
    my $sma = GET "$api?sprakKode=sma";
    isnt $sma->header('ETag'), $tag, 'another language, another ETag';
    is GET("$api?sprakKode=xx")->header('ETag'), $tag,
        'a language without names: the default answer and its ETag';
    is GET("$api/0301", 'If-None-Match' => GET("$api/0301")->header('ETag'))
        ->code, 304, 'a municipality: 304';
    my $d = GET "$api/0301/bydeler/02";
    is GET("$api/0301/bydeler/02", 'If-None-Match' => $d->header('ETag'))
        ->code, 304, 'a district: 304';
    is GET("$api/0301/bydeler/02", 'If-Match' => '"0000"')->code, 412,
        'If-Match with another ETag: 412';
    is GET("$api/0301/bydeler", 'If-None-Match' => $d->header('ETag'))
        ->code, 200, 'another path\'s ETag: 200';
}

SKIP: {
    my $ref = root() . '/../shared/reference/fiks-bekymringsmelding-api/'
        . 'bekymringsmelding-kommune-api-v2.json';
    skip "reference API description absent ($ref): not compared", 1
        unless -r $ref;
    open my $fh, '<', $ref or die;
    my $spec = JSON::PP->new->decode(do { local $/; <$fh> });
    my $s = $spec->{components}{schemas};
    is_deeply [[sort keys %{ $s->{KommuneV2}{properties} }],
               [sort keys %{ $s->{BydelEnkelV2}{properties} }]],
        [[sort keys %$oslo], [sort keys %{ $oslo->{bydeler}[0] }]],
        'field names are exactly the incumbent\'s KommuneV2/BydelEnkelV2';
}
