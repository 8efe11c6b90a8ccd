# SPDX-License-Identifier: Apache-2.0
# The pages' static files as served (issue 14, item 6): the pages name
# built, fingerprinted files that exist; those come with a year's immutable
# Cache-Control, in brotli or gzip by Accept-Encoding with the right
# Content-Type, Content-Encoding and Vary; a source or stale name is a 404;
# and the module refuses to start on a template that names a file the build
# did not make (conf/bekymring-locations.conf, build/assets/static,
# modules/core/bkm_static.c).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET HEAD);
use lib 't/lib';
use BkmTest qw(root base_url login_ua login run_httpd_t slurp spit);
use File::Path qw(make_path remove_tree);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;

my $root = root();
my $static = $ENV{BKM_STATIC} // "$root/build/out/static";
my $manifest = JSON::PP->new->decode(slurp("$static/manifest.json"));
my $FP = qr/\.[0-9a-f]{12}\.[a-z0-9]+$/;

# ---- the pages name built files that exist ---------------------------------

my $ua = login_ua();
my $form = login($ua, '/privat/skjema?kommune=0301&bydel=01', 'kari', 'substantial');
my %named;      # /static/NAME => the pages naming it
for my $page (['/', GET('/')], ['/privat', GET('/privat')], ['/status', GET('/status')],
              ['/privat/skjema', $form]) {
    my ($path, $res) = @$page;
    my $html = $res->decoded_content // '';
    ok $res->is_success, "$path answers" or diag $res->status_line;
    my @refs = $html =~ m{(?:href|src)="(/static/[^"]+)"}g;
    ok @refs >= 4, "$path names its static files (@refs)";
    push @{ $named{$_} }, $path for @refs;
}
for my $ref (sort keys %named) {
    like $ref, $FP, "$ref is a fingerprinted name";
    my $res = GET $ref;
    is $res->code, 200, "$ref (named by @{ $named{$ref} }) is served";
}
# What bkm.js fetches (the postal codes) is a built name as well.
my ($js) = grep { m{/bkm\.[0-9a-f]{12}\.js$} } keys %named;
my $code = $js ? GET($js)->content : '';
my ($postnr) = $code =~ m{["'`](/static/vendor/postnummer\.[0-9a-f]{12}\.json)["'`]};
ok $postnr, 'bkm.js fetches the postal codes by their built name';
is GET($postnr // '/static/x')->code, 200, 'and that name is served';

# The manifest and the folder agree: every built name is there, and
# nothing else is (but the .br and .gz beside it).
my %built = map { $_ => 1 } values %$manifest;
my @files = map { s{^\Q$static\E/public/}{}r } grep { -f } glob_r("$static/public");
my @stray = grep { !$built{ s/\.(br|gz)$//r } } @files;
is_deeply \@stray, [], 'public/ holds only the built files and their .br/.gz';
ok !grep({ !-f "$static/public/$_" } values %$manifest), 'every built name exists';
ok !grep({ /\.mjs$/ || m{(^|/)\.} } keys %$manifest), 'no .mjs source or dotfile is served';

sub glob_r {
    my ($dir) = @_;
    opendir my $d, $dir or die "$dir: $!";
    my @out;
    for my $e (sort grep { !/^\.\.?$/ } readdir $d) {
        push @out, -d "$dir/$e" ? glob_r("$dir/$e") : "$dir/$e";
    }
    return @out;
}

# ---- headers, by Accept-Encoding --------------------------------------------

my $css = "/static/$manifest->{'bkm.css'}";
my $file = "$static/public/$manifest->{'bkm.css'}";
my %cases = (
    ''                        => undef,
    'identity'                => undef,
    'gzip'                    => 'gzip',
    'x-gzip'                  => 'gzip',
    'gzip, deflate, br, zstd' => 'br',
    'br'                      => 'br',
    'BR;q=0.5, gzip;q=1'      => 'br',
    'br;q=0, gzip'            => 'gzip',
    'br;q=0.0, gzip;q=0'      => undef,
    'brotli, gzipper'         => undef,
);
for my $ae (sort keys %cases) {
    my $want = $cases{$ae};
    my $res = GET $css, $ae ne '' ? ('Accept-Encoding' => $ae) : ();
    my $label = "bkm.css with Accept-Encoding '$ae'";
    is $res->code, 200, "$label: 200";
    is $res->header('Content-Encoding'), $want, "$label: Content-Encoding " . ($want // 'none');
    like $res->header('Content-Type') // '', qr{^text/css\b}, "$label: Content-Type text/css";
    like $res->header('Vary') // '', qr/\bAccept-Encoding\b/i, "$label: Vary: Accept-Encoding";
    is $res->header('Cache-Control'), 'public, max-age=31536000, immutable',
        "$label: a year, immutable";
    my $body = $res->content;
    my $expect = slurp($file . ($want ? ($want eq 'br' ? '.br' : '.gz') : ''));
    ok $body eq $expect, "$label: the built bytes (" . length($body) . ')';
    if (($want // '') eq 'gzip') {
        gunzip(\$body => \my $plain) or die $GunzipError;
        ok $plain eq slurp($file), "$label: which gunzip to the file";
    }
}

# The other types keep theirs, compressed or not.
for my $src (sort keys %$manifest) {
    my ($ext) = $src =~ /\.([a-z0-9]+)$/;
    my %type = (css => qr{^text/css}, js => qr{^text/javascript},
                json => qr{^application/json}, woff2 => qr{^font/woff2},
                txt => qr{^text/plain}, svg => qr{^image/svg\+xml},
                ico => qr{^image/(vnd\.microsoft\.icon|x-icon)},
                png => qr{^image/png});
    next unless $type{$ext};
    my $url = "/static/$manifest->{$src}";
    my $res = GET $url, 'Accept-Encoding' => 'br, gzip';
    my $br = -f "$static/public/$manifest->{$src}.br";
    like $res->header('Content-Type') // '', $type{$ext}, "$src: Content-Type";
    is $res->header('Content-Encoding'), $br ? 'br' : undef,
        "$src: " . ($br ? 'brotli' : 'as it is (already compressed)');
}

# HEAD, and a range of the compressed file (the bytes of the .br).
my $head = HEAD $css, 'Accept-Encoding' => 'br';
is $head->header('Content-Length'), -s "$file.br", 'HEAD: the .br file\'s length';
my $range = GET $css, 'Accept-Encoding' => 'br', Range => 'bytes=0-9';
is $range->code, 206, 'a range of the brotli bytes';
is $range->content, substr(slurp("$file.br"), 0, 10), 'the first ten of them';

# ---- names that are not (or no longer) built --------------------------------

for my $stale ('/static/bkm.css', '/static/vendor/designsystemet.css',
               '/static/bkm.000000000000.css', '/static/dekrypter.mjs',
               '/static/vendor/.stamp', '/static/manifest.json',
               '/static/../manifest.json', "$css.gz/x") {
    my $res = GET $stale, 'Accept-Encoding' => 'br, gzip';
    is $res->code, 404, "$stale: 404";
    unlike $res->header('Cache-Control') // '', qr/immutable/, "$stale: not cached for a year";
}
# The pages keep their own headers (no-store, CSP), untouched by /static's.
my $page = GET '/';
like $page->header('Content-Security-Policy') // '', qr/default-src 'none'|default-src 'self'/,
    'the landing page keeps its Content-Security-Policy';
unlike $page->header('Cache-Control') // '', qr/immutable/, 'and is not cached for a year';

# ---- the start refuses a template naming a file the build did not make ------

my $pages = "$root/t/dev/static-check-pages";
remove_tree($pages);
make_path($pages);
system('cp', '-R', "$ENV{BKM_PAGES}/templates", "$ENV{BKM_PAGES}/i18n", "$pages/") == 0
    or die 'cp';
make_path("$pages/static/vendor");
system('cp', "$ENV{BKM_PAGES}/static/vendor/postnummer.json", "$pages/static/vendor/") == 0
    or die 'cp';
my $load = 'LoadModule bekymring_module ' . root() . '/build/out/mod_bekymring.so';
my @conf = ($load, 'Bekymring On', "BekymringRegistry $ENV{BKM_DEV_DIR}/registry.json",
            "BekymringPages $pages", 'BekymringSecretKey '
            . "$ENV{BKM_DEV_DIR}/secret.key", "BekymringStatic $static");
my ($rc, $out) = run_httpd_t(@conf);
is $rc, 0, 'the pages with the build\'s manifest: Syntax OK' or diag $out;
my $hode = slurp("$pages/templates/hode.html");
spit("$pages/templates/hode.html",
     $hode =~ s{</head>|(?=<link)}{<link rel="stylesheet" href="/static/finnes-ikke.css"/>}r);
($rc, $out) = run_httpd_t(@conf);
isnt $rc, 0, 'a template naming /static/finnes-ikke.css stops the start';
like $out, qr{hode\.html names /static/finnes-ikke\.css, which the build did not make},
    'and says which template and which name' or diag $out;
($rc, $out) = run_httpd_t($load, 'BekymringStatic /nonexistent/static');
like $out, qr{BekymringStatic /nonexistent/static: not a directory}, 'a missing build folder is refused';
remove_tree($pages);

done_testing();
