# SPDX-License-Identifier: Apache-2.0
# Helpers shared by the integration tests.
package BkmTest;
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use HTTP::Cookies;
use HTTP::Request::Common ();
use LWP::UserAgent;
use JSON::PP;
use Apache::Test ();
use Apache::TestRequest ();
use BkmHarness ();
use BkmOpenapiRecord ();   # the API's answers, for t/zz_openapi.t
use Cwd ();

our @EXPORT_OK = qw(root dev_token base_url json_of login_ua login
                    error_log run_httpd_t pg_ctl db_rows db_files
                    openssl_decrypt spit slurp incumbent_errors
                    incumbent_dir start_node stop_node node_pid seal_cms
                    producer_multipart privat_rapport skjema_api
                    metrics);

sub root { $ENV{BKM_ROOT} // die "BKM_ROOT unset: run through t/TEST\n" }

# A file's bytes, whole; and bytes written to a file.
sub slurp { open my $f, '<:raw', $_[0] or die "$_[0]: $!"; local $/; <$f> }
sub spit { open my $f, '>:raw', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }

sub base_url {
    my $cfg = Apache::Test::config();
    return "http://127.0.0.1:" . $cfg->{vars}{port};
}

# A private report as the form API takes it (README "The form API"), to
# Oslo's district 01 unless %over says otherwise (its members replace the
# report's).
sub privat_rapport {
    my (%over) = @_;
    return {
        kommunenummer => '0301', bydelsnummer => '01',
        privatMelder => { personnavn => 'x', telefonnummer => '99999999',
            adresse => { adresselinje1 => 'Storgata 1', postnummer => '0155',
                         poststed => 'Oslo' } },
        privatBarn => [ { personnavn => 'Ola Barn', antattAlder => '7',
            relasjon => 'nabo', adresse => { adresselinje1 => 'Storgata 3',
            postnummer => '0155', poststed => 'Oslo' } } ],
        melding => 'Jeg er bekymret for Ola.',
        %over,
    };
}

# POST a report to the form API as the logged-in browser $ua; @h are more
# headers.  Returns the response.
sub skjema_api {
    my ($ua, $report, @h) = @_;
    return $ua->post(base_url() . '/bekymringsmelding/api/v2/mottak/skjema/privat',
        'Content-Type' => 'application/json', Accept => 'application/json',
        @h, Content => JSON::PP->new->utf8->canonical->encode($report));
}

sub json_of {
    my ($res) = @_;
    my $j = eval { JSON::PP->new->utf8->decode($res->decoded_content(charset => 'none')) };
    return $j;
}

# The three headers of `build/dev-token NAME [options]`, as a list of pairs.
sub dev_token {
    my ($name, @opts) = @_;
    my $cmd = join ' ', map { quotemeta } (root() . '/build/dev-token',
                                            $name, @opts);
    my @lines = `$cmd`;
    die "dev-token $name failed\n" if $? != 0 || @lines != 3;
    return map { chomp; /^([\w-]+): (.*)$/ ? ($1, $2) : die "bad line $_" }
           @lines;
}

# A browser-less user agent that can complete an OpenID Connect login: it
# keeps cookies, follows redirects after POST, and says it accepts HTML
# (mod_auth_openidc answers 401 instead of redirecting otherwise).
sub login_ua {
    my $ua = LWP::UserAgent->new(max_redirect => 15, timeout => 20);
    $ua->cookie_jar(HTTP::Cookies->new);
    push @{ $ua->requests_redirectable }, 'POST';
    $ua->default_header(Accept => 'text/html,application/xhtml+xml');
    return $ua;
}

# Log in through the stand-in as a test person at a level of assurance,
# starting at $path of the portal (or a whole URL, for another node);
# returns the final response.
sub login {
    my ($ua, $path, $person, $acr) = @_;
    my $res = $ua->get($path =~ m{^https?://} ? $path : base_url() . $path);
    my $html = $res->decoded_content;
    my ($action) = $html =~ /<form[^>]*action="([^"]+)"/i
        or return $res;
    $action =~ s/&amp;/&/g;
    if ($action !~ m{^https?://}) {
        my $uri = $res->request->uri;
        $action = URI->new_abs($action, $uri)->as_string;
    }
    my %hidden;
    while ($html =~ /<input[^>]*type="hidden"[^>]*>/gi) {
        my $tag = $&;
        my ($n) = $tag =~ /name="([^"]+)"/;
        my ($v) = $tag =~ /value="([^"]*)"/;
        $hidden{$n} = $v // '' if defined $n;
    }
    return $ua->post($action, [%hidden, person => $person, acr => $acr]);
}

# The node's metrics page (GET /bekymring-drift/metrics): the answer, and
# name{labels} => value of every sample.
sub metrics {
    my $res = LWP::UserAgent->new(timeout => 60)
        ->get(base_url() . '/bekymring-drift/metrics');
    my %m;
    for (split /\n/, $res->decoded_content // '') {
        next if /^#/;
        $m{$1} = $2 if /^(\S+(?:\{[^}]*\})?) (\S+)$/;
    }
    return ($res, \%m);
}

sub error_log {
    my $f = Apache::Test::config()->{vars}{t_logs} . '/error_log';
    open my $fh, '<', $f or return '';
    local $/;
    return scalar <$fh>;
}

# `apache2 -t` on a configuration made of @lines after the suite's module
# set; returns (exit code, output).
sub run_httpd_t {
    my (@lines) = @_;
    my $dir = root() . '/t/dev/conf-check';
    mkdir $dir;
    my $conf = "$dir/httpd.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh "ServerRoot $dir\nDefaultRuntimeDir $dir\nPidFile $dir/pid\n"
        . "ErrorLog $dir/error_log\nListen 127.0.0.1:8599\n"
        . "ServerName 127.0.0.1\n"
        . "Include " . root() . "/t/conf/modules.conf\n"
        . "TypesConfig /etc/mime.types\n"
        . join("\n", @lines) . "\n";
    close $fh;
    my $out = `/usr/sbin/apache2 -t -f $conf 2>&1`;
    return ($? >> 8, $out);
}

# Rows of a query on the suite's database (SQLite file or the PostgreSQL
# cluster), through the engines' own command-line clients.
sub db_rows {
    my ($sql) = @_;
    my @cmd = $ENV{TEST_PGSQL}
        ? ('psql', '-At', '-F', '|', '-h', '127.0.0.1', '-p', $ENV{BKM_PG_PORT},
           '-U', 'bekymring', '-d', 'bekymring', '-c', $sql)
        : ('sqlite3', '-separator', '|',
           root() . '/t/dev/db/test.sqlite', $sql);
    open my $fh, '-|', @cmd or die "@cmd: $!";
    my @rows = map { chomp; [split /\|/, $_, -1] } <$fh>;
    close $fh or die "query failed: $sql\n";
    return @rows;
}

# Every file the database engine keeps (the SQLite file with its WAL, or
# the whole PostgreSQL data directory with its WAL).
sub db_files {
    my @files;
    my @dirs = $ENV{TEST_PGSQL} ? (root() . '/t/pg/data') : ();
    push @files, glob(root() . '/t/dev/db/test.sqlite*') unless $ENV{TEST_PGSQL};
    while (my $d = shift @dirs) {
        opendir my $dh, $d or next;
        for my $e (grep { !/^\.\.?$/ } readdir $dh) {
            my $f = "$d/$e";
            if (-d $f) { push @dirs, $f } elsif (-f $f) { push @files, $f }
        }
    }
    return @files;
}

# openssl cms -decrypt, the independent decrypter: DER in, plaintext out.
sub openssl_decrypt {
    my ($der, $key, $cert) = @_;
    my $dir = root() . '/t/dev/work';
    mkdir $dir;
    my $in = "$dir/in.der";
    spit($in, $der);
    my $out = `openssl cms -decrypt -binary -inform DER -in $in -inkey $key -recip $cert 2>/dev/null`;
    return $? == 0 ? $out : undef;
}

# The incumbent's message schemas (absent in a clone without ../shared).
sub incumbent_dir {
    return root() . '/../shared/reference/fiks-bekymringsmelding-protokoll'
         . '/schema/domain';
}

# The incumbent's schema of a message type validates a report (JSON::Validator,
# an independent implementation).  Its $ref "../adresse.json" resolves
# against its $id to a web address; tests never go to the network, so the
# local copy is inlined.
sub incumbent_errors {
    my ($file, $doc) = @_;
    require JSON::Validator;
    my $refdir = incumbent_dir();
    my $dec = JSON::PP->new;
    my $load = sub { open my $f, '<', $_[0] or die "$_[0]: $!";
                     $dec->decode(do { local $/; <$f> }) };
    my $adresse = $load->("$refdir/adresse.json");
    delete @{$adresse}{'$id', '$schema'};
    my $inline;
    $inline = sub {
        my ($x) = @_;
        if (ref $x eq 'HASH') {
            return $adresse if ($x->{'$ref'} // '') =~ /adresse\.json$/;
            return { map { ($_ => $inline->($x->{$_})) } keys %$x };
        }
        return [map { $inline->($_) } @$x] if ref $x eq 'ARRAY';
        return $x;
    };
    my $schema = $inline->($load->("$refdir/$file"));
    delete $schema->{'$id'};
    my $jv = JSON::Validator->new;
    $jv->schema($schema);
    return $jv->validate($doc);
}

# Another httpd node with the portal's configuration on its own port, for
# farm, watchdog and benchmark tests: start_node(NAME, PORT, [\%opt,] LINES)
# with LINES added after the portal's.  PORT undef: a free one
# (BkmHarness::free_port; t/TEST gives BKM_NODE2_PORT and the like free
# too).  By default it uses the suite's database and the test build;
# $opt{db} = [DRIVER, PARAMS] names another database (which its start
# migrates), $opt{production} loads the module `make` builds, $opt{body}
# replaces the portal's configuration (its text).  Returns its
# base URL; stop_node(NAME) stops it, and so does the end of the test that
# started it, however it ends (a die included); a node that outlives its
# test (a signal) is stopped by t/TEST, which stops every process of its
# run (BKM_SUITE_RUN).
my %started;    # name => the pid of the test that started it

# The development tree as httpd's children reach it: t/TEST's stage for a
# checkout they cannot enter (t/dev links there), else t/dev.
sub dev_dir { $ENV{BKM_DEV_DIR} // root() . '/t/dev' }

sub start_node {
    my ($name, $port, @lines) = @_;
    my %opt = ref $lines[0] eq 'HASH' ? %{ shift @lines } : ();
    $port //= BkmHarness::free_port();
    my $dev = dev_dir();
    my $dir = "$dev/$name";
    system('rm', '-rf', $dir);
    mkdir $dir or die "$dir: $!";
    my ($driver, $params) = $opt{db} ? @{ $opt{db} }
        : $ENV{TEST_PGSQL} ? ('pgsql', $ENV{BKM_PG_PARAMS})
        : ('sqlite3', "$dev/db/test.sqlite");
    if ($driver eq 'sqlite3' && $params =~ m{^(.*)/([^/]+)$}) {
        my $d = Cwd::abs_path($1);          # the stage, not a link to it
        $params = "$d/$2" if defined $d;
    }
    my $module = $opt{module} // (root() . ($opt{production}
        ? '/build/out/mod_bekymring.so' : '/build/out/test/mod_bekymring.so'));
    my $user = $> == 0 ? "User www-data\nGroup www-data\n" : '';
    my $pages = $ENV{BKM_PAGES} ? "Define BKM_PAGES $ENV{BKM_PAGES}\n" : '';
    $pages .= "Define BKM_STATIC $ENV{BKM_STATIC}\n" if $ENV{BKM_STATIC};
    my $conf = "$dir/httpd.conf";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh "ServerRoot $dir\nDefaultRuntimeDir $dir\nPidFile $dir/pid\n"
        . "ErrorLog $dir/error_log\nLogLevel info\nListen 127.0.0.1:$port\n"
        . "ServerName 127.0.0.1\n$user"
        . "Include " . root() . "/t/conf/modules.conf\n"
        . "TypesConfig /etc/mime.types\n"
        . "Define BKM_ROOT " . root() . "\n"
        . "Define BKM_DEV_DIR $dev\n"
        . "Define BKM_PORT $port\n"
        . "Define BKM_MODULE $module\n"
        . $pages
        . ($driver eq 'sqlite3' ? "Define BKM_SQLITE\n" : '')
        . "Define BKM_DB_DRIVER $driver\n"
        . "Define BKM_DB_PARAMS \"$params\"\n"
        . "Mutex file:$dir\n"
        # $opt{body}: the rest of the configuration instead of the portal
        # in the main server (t/vhost.t: virtual hosts).
        . ($opt{body} // "Include " . root() . "/conf/dev/portal.conf\n"
        # As the suite's server (t/conf/extra.conf.in): no post-delivery
        # challenges unless @lines ask for them.
        . "BekymringPostCheckRate 0\n")
        . join("\n", @lines) . "\n";
    close $fh;
    system('chown', 'www-data', $dir) if $> == 0;
    $started{$name} = $$;
    system('/usr/sbin/apache2', '-f', $conf, '-k', 'start') == 0
        or die "node $name did not start (see $dir/error_log)\n";
    # $opt{no_wait}: a node that is not meant to be healthy (t/oppgradering.t:
    # a schema left to bekymring-migrate): back once httpd runs.
    if ($opt{no_wait}) {
        for (1 .. 40) {
            last if node_pid($name);
            select undef, undef, undef, 0.25;
        }
        return "http://127.0.0.1:$port";
    }
    my $ua = LWP::UserAgent->new(timeout => 2);
    my $ran;
    # The harness's own probe, not an answer of the API under test.
    local $BkmOpenapiRecord::off = 1;
    for my $i (1 .. 120) {
        return "http://127.0.0.1:$port"
            if $ua->get("http://127.0.0.1:$port/helse")->code == 200;
        # Gone (its pid file comes a moment after `-k start`): no waiting
        # out the rest of the minute.
        my $runs = node_pid($name);
        die "node $name stopped (see $dir/error_log)\n"
            if !$runs && ($ran || $i > 20);
        $ran ||= $runs;
        select undef, undef, undef, 0.25;
    }
    die "node $name does not answer (see $dir/error_log)\n";
}

# The pid of a node's httpd parent, if it runs: from its pid file, and only
# if that process is the node's httpd (not a reused pid).
sub node_pid {
    my ($name) = @_;
    my $dir = dev_dir() . "/$name";
    open my $f, '<', "$dir/pid" or return undef;
    my ($pid) = (<$f> // '') =~ /^(\d+)/ or return undef;
    open my $c, '<', "/proc/$pid/cmdline" or return undef;
    my $cmd = do { local $/; <$c> } // '';
    return index($cmd, "$dir/httpd.conf") >= 0
        && defined BkmHarness::start_time($pid) ? $pid : undef;
}

# Stops a node: SIGTERM to its httpd (no configuration to parse, so it
# works without the environment that started it), then waits until it is
# gone.
sub stop_node {
    my ($name) = @_;
    delete $started{$name};
    my $pid = node_pid($name) or return;
    kill 'TERM', $pid;
    for (1 .. 120) {
        return unless defined BkmHarness::start_time($pid);
        select undef, undef, undef, 0.25;
    }
    kill 'KILL', $pid;
}

END {
    local $?;
    for my $name (keys %started) {
        stop_node($name) if $started{$name} == $$;
    }
}

# openssl cms -encrypt with the incumbent's profile (AES-256-CBC,
# RSAES-OAEP SHA-256) to a PEM certificate (its text): the DER.
sub seal_cms {
    my ($data, $pem) = @_;
    my $dir = root() . '/t/dev/work';
    mkdir $dir;
    spit("$dir/seal.in", $data);
    spit("$dir/seal.pem", $pem);
    system('openssl', 'cms', '-encrypt', '-binary', '-aes-256-cbc', '-in',
           "$dir/seal.in", '-outform', 'DER', '-out', "$dir/seal.der",
           '-recip', "$dir/seal.pem", '-keyopt', 'rsa_padding_mode:oaep',
           '-keyopt', 'rsa_oaep_md:sha256', '-keyopt',
           'rsa_mgf1_md:sha256') == 0 or die "openssl cms -encrypt failed\n";
    return slurp("$dir/seal.der");
}

# A producer's multipart body (bekymringsmelding = the PDF for print,
# asice = the container for the case system), the parts sealed with the
# district's keys from .../krypteringsnokler ($keys, decoded): (body,
# boundary).  The payloads are stand-ins of $size bytes.
sub producer_multipart {
    my ($keys, $size) = @_;
    my %part = (
        bekymringsmelding => seal_cms("%PDF-1.4\n" . ('x' x ($size // 30000)),
                                      $keys->{printOffentligNokkel}{nokkel}),
        asice => seal_cms("PK\x03\x04" . ('y' x ($size // 40000)),
                          $keys->{fiksIOOffentligNokkel}{nokkel}),
    );
    my $b = 'bkm' . join '', map { int rand 10 } 1 .. 12;
    my $body = join '', map {
        "--$b\r\nContent-Disposition: form-data; name=\"$_\"; "
      . "filename=\"$_.cms\"\r\nContent-Type: application/pkcs7-mime\r\n"
      . "\r\n$part{$_}\r\n" } qw(bekymringsmelding asice);
    return ($body . "--$b--\r\n", $b);
}

sub pg_ctl {
    my ($what) = @_;
    return system("$ENV{BKM_PG_CTL} -m fast $what >/dev/null 2>&1") == 0;
}

1;
