# SPDX-License-Identifier: Apache-2.0
# The chaos run's load: forked clients that send reports the way careful
# integrators and browsers do, and retry every failure with the same
# idempotency key until the report is acknowledged.
#
#   producer clients  the producer API (an agency's system): seal the two
#                     parts with openssl cms to the district's keys from
#                     .../krypteringsnokler, POST them with an
#                     Idempotency-Key; a retry sends the same parts under
#                     a new multipart boundary and the same key.
#   form clients      the reporter's pages (a browser without script):
#                     logged in through the ID-porten stand-in, GET the
#                     form for its one-time token (the report's
#                     idempotency key is derived from it), POST
#                     /privat/send; a retry posts the same form with the
#                     same token, after a new login if the session was
#                     lost (the stand-in's sessions live in the killed
#                     parent's shared memory).
#
# Every report carries its key inside the sealed content (the producer's
# parts, the form's "melding"), so the verification can tell from the
# decrypted bytes which report a stored row is.  Each client writes one
# line per request to its log (parsed by read_logs):
#   A t0 t1 kind key attempt code uuid detail   an attempt to send a report
#   G t0 t1 kind - - code - detail              another request (form page,
#                                               login, district keys)
#   D t kind key uuid                           acknowledged (201 / 303)
#   X t kind key                                given up
package ChaosLoad;
use strict;
use warnings FATAL => 'all';

use File::Path qw(make_path);
use HTTP::Cookies;
use HTTP::Request;
use IO::Handle;
use JSON::PP;
use LWP::UserAgent;
use POSIX ();
use Time::HiRes qw(time sleep);
use URI;

my $json = JSON::PP->new->utf8->canonical;

# Where a producer sends its reports, in turn: two districts on protocol V2
# and one on V1, private and public.
my @TARGETS = (['0301', '01', 'privat'], ['4601', '00', 'offentlig'],
               ['0301', '02', 'privat'], ['0301', '01', 'offentlig']);
my @PERSONS = qw(kari ola anne per);

# The sealed plaintexts of a producer's report: a function of its key, so
# that the verification can compare byte for byte.
sub producer_plaintexts {
    my ($key) = @_;
    my $pad = join '', map { sprintf "%04d chaos filler line\n", $_ } 1 .. 150;
    return ("%PDF-1.4\n% chaos print copy $key\n$pad",
            "PK\x03\x04 chaos asice $key\n$pad");
}

sub dev_token {
    my ($root, $name) = @_;
    my @lines = `$root/build/dev-token $name --ttl 14400`;
    die "dev-token $name failed\n" if $? != 0 || @lines != 3;
    return map { chomp; /^([\w-]+): (.*)$/ ? ($1, $2) : die "bad line $_" }
           @lines;
}

# start(%opt): root, base (URL), dir (logs), producers, forms, think (s),
# run (a tag for the keys).  Returns the state for stop().
sub start {
    my (%o) = @_;
    make_path("$o{dir}/clients");
    unlink "$o{dir}/stop";
    my @pids;
    my @kinds = ((map { ['P', $_] } 1 .. $o{producers}),
                 (map { ['F', $_] } 1 .. $o{forms}));
    for my $k (@kinds) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            srand($$ ^ int(time * 1000));
            my $name = "$k->[0]$k->[1]";
            my $c = bless { %o, name => $name, n => 0 }, __PACKAGE__;
            open $c->{log}, '>>', "$o{dir}/clients/$name.log" or POSIX::_exit(1);
            $c->{log}->autoflush(1);
            my $ok = eval {
                $k->[0] eq 'P' ? $c->producer_loop : $c->form_loop($k->[1]);
                1;
            };
            print { $c->{log} } "E $@" unless $ok;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return { pids => \@pids, dir => $o{dir} };
}

# Ask every client to stop after the report it is sending (which it still
# retries until acknowledged, or $grace seconds), and wait for them.
sub stop {
    my ($st) = @_;
    open my $f, '>', "$st->{dir}/stop" or die "$!";
    print $f time;
    close $f;
    waitpid $_, 0 for @{ $st->{pids} };
}

sub stopping {
    my ($c) = @_;
    return $c->{stop_at} if $c->{stop_at};
    return undef unless -e "$c->{dir}/stop";
    return $c->{stop_at} = time;
}

sub logl {
    my ($c, @f) = @_;
    print { $c->{log} } join(' ', map { defined $_ && length $_ ? $_ : '-' } @f),
        "\n";
}

# What went wrong, in one word: the status code, and for an answer that
# never came (a killed child, a refused connection) "conn".
sub outcome {
    my ($res) = @_;
    my $cw = $res->header('Client-Warning') // '';
    if ($cw eq 'Internal response') {
        my $m = $res->message // 'error';
        $m =~ s/\s+/_/g;
        return ('conn', substr($m, 0, 60));
    }
    my $detail = '';
    if (($res->header('Content-Type') // '') =~ /json/) {
        my $j = eval { $json->decode($res->content) };
        $detail = ($j->{errorId} // '') . ':'
                . (($j->{feilmelding} // '') =~ /nothing was kept/
                   ? 'nothing-was-kept' : 'no-reason')
            if ref $j eq 'HASH';
    }
    elsif ($res->code == 503 && $res->content =~ /lagringsfeil|ds-alert/) {
        $detail = 'form-shown-again';
    }
    return ($res->code, $detail);
}

# The pause before attempt $n+1 (with jitter), or longer when told.
sub backoff {
    my ($n, $res) = @_;
    my $ra = $res ? ($res->header('Retry-After') // '') : '';
    return $ra =~ /^\d+$/ && $ra < 10 ? $ra + rand 0.2
         : (0.1 * 2 ** ($n > 4 ? 4 : $n - 1)) * (0.5 + rand);
}

sub retryable {
    my ($code) = @_;
    return $code eq 'conn' || $code =~ /^(5\d\d|408|429)$/;
}

# Attempts are kept up for this long after the run asked to stop, and a
# report is given up after this long in all (the longest outage a phase
# makes is well under it).
my $GRACE = 60;
my $GIVE_UP = 180;

sub give_up {
    my ($c, $first) = @_;
    my $s = $c->stopping;
    return (defined $s && time > $s + $GRACE) || time > $first + $GIVE_UP;
}

# ---- producer -------------------------------------------------------------

sub seal {
    my ($c, $data, $pem) = @_;
    my $d = "$c->{dir}/clients/$c->{name}.tmp";
    make_path($d);
    open my $f, '>:raw', "$d/in" or die "$!";
    print $f $data;
    close $f;
    open $f, '>', "$d/cert.pem" or die "$!";
    print $f $pem;
    close $f;
    system('openssl', 'cms', '-encrypt', '-binary', '-aes-256-cbc', '-in',
           "$d/in", '-outform', 'DER', '-out', "$d/out", '-recip',
           "$d/cert.pem", '-keyopt', 'rsa_padding_mode:oaep', '-keyopt',
           'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256') == 0
        or die "openssl cms -encrypt failed\n";
    open $f, '<:raw', "$d/out" or die "$!";
    local $/;
    return scalar <$f>;
}

sub producer_loop {
    my ($c) = @_;
    my %auth = dev_token($c->{root}, 'produsent');
    my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 1);
    my $api = "$c->{base}/bekymringsmelding/api/v2/mottak/fagsystem";
    my %keys;
    for my $t (@TARGETS) {
        my $d = "$t->[0]/$t->[1]";
        next if $keys{$d};
        until ($keys{$d} || $c->stopping) {
            my $t0 = time;
            my $res = $ua->request(HTTP::Request->new(GET =>
                "$api/$d/krypteringsnokler", [%auth]));
            my ($code, $detail) = $res->code == 200 ? (200, '')
                                                    : outcome($res);
            $c->logl('G', $t0, time, 'P', '', '', $code, '', 'keys');
            $keys{$d} = eval { $json->decode($res->content) }
                if $res->code == 200;
            sleep 0.2 unless $keys{$d};
        }
    }
    my $i = $c->{n};
    until ($c->stopping) {
        my $t = $TARGETS[$i % @TARGETS];
        my $key = "chaos-$c->{run}-$c->{name}-" . ++$i;
        my ($pdf, $zip) = producer_plaintexts($key);
        my $k = $keys{"$t->[0]/$t->[1]"};
        my $pdf_der = $c->seal($pdf, $k->{printOffentligNokkel}{nokkel});
        my $zip_der = $c->seal($zip, $k->{fiksIOOffentligNokkel}{nokkel});
        my $url = "$api/910000001/$t->[0]/$t->[1]/$t->[2]";
        my ($n, $first, $done) = (0, time, 0);
        while (!$done) {
            $n++;
            my $b = 'chaos' . join '', map { int rand 10 } 1 .. 16;
            my $body = join '', map {
                "--$b\r\nContent-Disposition: form-data; name=\"$_->[0]\"; "
              . "filename=\"$_->[0].cms\"\r\nContent-Type: "
              . "application/pkcs7-mime\r\n\r\n$_->[1]\r\n" }
                ([bekymringsmelding => $pdf_der], [asice => $zip_der]);
            $body .= "--$b--\r\n";
            my $t0 = time;
            my $res = $ua->request(HTTP::Request->new(POST => $url, [%auth,
                'Idempotency-Key' => $key,
                'Content-Type' => "multipart/form-data; boundary=$b"],
                $body));
            my $t1 = time;
            if ($res->code == 201) {
                my $uuid = eval { $json->decode($res->content)->{uuid} } // '';
                $c->logl('A', $t0, $t1, 'P', $key, $n, 201, $uuid, '');
                $c->logl('D', $t1, 'P', $key, $uuid);
                $done = 1;
                last;
            }
            my ($code, $detail) = outcome($res);
            $c->logl('A', $t0, $t1, 'P', $key, $n, $code, '', $detail);
            if (!retryable($code) || $c->give_up($first)) {
                $c->logl('X', time, 'P', $key);
                last;
            }
            sleep backoff($n, $res);
        }
        sleep $c->{think} if $c->{think};
    }
}

# ---- form (the reporter's pages) ---------------------------------------

sub hidden_of {
    my ($html) = @_;
    my %f;
    $f{$1} = $2 while $html =~ /<input type="hidden" name="(\w+)" value="([^"]*)"/g;
    return \%f;
}

# GET the form, logging in through the stand-in when the portal sends us
# there; (csrf, skjema) or () after a failure.
sub form_page {
    my ($c, $ua, $person) = @_;
    my $url = "$c->{base}/privat/skjema?kommune=0301&bydel=01";
    my $t0 = time;
    my $res = $ua->get($url);
    my $html = $res->decoded_content // '';
    if ($res->code == 200 && $res->request->uri->port != $c->{port}
        && $html =~ /<form[^>]*action="([^"]+)"/i) {
        # The stand-in's login page: choose the person and the level.
        (my $action = $1) =~ s/&amp;/&/g;
        $action = URI->new_abs($action, $res->request->uri)->as_string;
        my %h;
        while ($html =~ /<input[^>]*type="hidden"[^>]*>/gi) {
            my $tag = $&;
            my ($n) = $tag =~ /name="([^"]+)"/;
            my ($v) = $tag =~ /value="([^"]*)"/;
            $h{$n} = $v // '' if defined $n;
        }
        $c->logl('G', $t0, time, 'F', '', '', $res->code, '', 'login-page');
        $t0 = time;
        $res = $ua->post($action, [%h, person => $person,
                                   acr => 'substantial']);
        $html = $res->decoded_content // '';
    }
    my $f = hidden_of($html);
    my $ok = $res->code == 200 && $f->{csrf} && $f->{skjema};
    my ($code, $detail) = $ok ? (200, '') : outcome($res);
    $c->logl('G', $t0, time, 'F', '', '', $code, '', $detail || 'form');
    return $ok ? ($f->{csrf}, $f->{skjema}) : ();
}

sub form_loop {
    my ($c, $i) = @_;
    my $person = $PERSONS[($i - 1) % @PERSONS];
    ($c->{port}) = $c->{base} =~ /:(\d+)$/;
    my $ua = LWP::UserAgent->new(timeout => 30, max_redirect => 15,
                                 keep_alive => 1);
    $ua->cookie_jar(HTTP::Cookies->new);
    push @{ $ua->requests_redirectable }, 'POST';
    $ua->default_header(Accept => 'text/html,application/xhtml+xml');
    my $n = 0;
    until ($c->stopping) {
        my ($csrf, $skjema) = $c->form_page($ua, $person);
        if (!$skjema) {
            sleep 0.2;
            next;
        }
        my $key = "chaos-$c->{run}-$c->{name}-" . ++$n;
        my @fields = (skjema => $skjema, kommune => '0301', bydel => '01',
            handling => 'send',
            'privatMelder.telefonnummer' => '91234567',
            'privatBarn.0.personnavn' => 'Kaos Barn',
            'privatBarn.0.adresse.adresselinje1' => 'Storgata 1',
            'privatBarn.0.adresse.postnummer' => '0155',
            melding => "Jeg er bekymret ($key). " . ('Barnet er alene. ' x 20));
        my ($a, $first) = (0, time);
        while (1) {
            $a++;
            my $t0 = time;
            $ua->max_redirect(0);
            my $res = $ua->post("$c->{base}/privat/send",
                                [csrf => $csrf, @fields]);
            $ua->max_redirect(15);
            my $t1 = time;
            my $loc = $res->header('Location') // '';
            if ($res->code == 303 && $loc =~ m{^/sendt/([0-9a-f-]{36})$}) {
                $c->logl('A', $t0, $t1, 'F', $key, $a, 303, $1, '');
                $c->logl('D', $t1, 'F', $key, $1);
                last;
            }
            my ($code, $detail) = outcome($res);
            # The login is gone (the parent that held the sessions was
            # killed): the portal keeps the post as a draft and sends the
            # browser to log in.  Log in again and send the same form.
            my $relogin = $res->is_redirect;
            $detail ||= $relogin ? 'to-login' : '';
            $c->logl('A', $t0, $t1, 'F', $key, $a, $code, '', $detail);
            my $retry = retryable($code) || $relogin || $code eq '403';
            if (!$retry || $c->give_up($first)) {
                $c->logl('X', time, 'F', $key);
                last;
            }
            sleep backoff($a, $res);
            if ($relogin || $code eq '403') {
                my ($new) = $c->form_page($ua, $person);
                $csrf = $new if $new;
            }
        }
        sleep $c->{think} if $c->{think};
    }
}

# ---- reading the logs -------------------------------------------------

# { attempts => [ {t0,t1,kind,key,n,code,uuid,detail} ], others => [...],
#   done => { key => [uuid, ...] }, gaveup => { key => 1 }, first => { key
#   => t0 of its first attempt }, kind => { key => P|F }, errors => [...] }
sub read_logs {
    my ($dir) = @_;
    my %r = (attempts => [], others => [], done => {}, gaveup => {},
             first => {}, kind => {}, errors => []);
    for my $f (glob "$dir/clients/*.log") {
        open my $fh, '<', $f or next;
        while (my $l = <$fh>) {
            chomp $l;
            my @f = split / /, $l;
            if ($f[0] eq 'A' || $f[0] eq 'G') {
                my %a;
                @a{qw(t0 t1 kind key n code uuid detail)} = @f[1 .. 8];
                $a{$_} = '' for grep { ($a{$_} // '-') eq '-' } keys %a;
                if ($f[0] eq 'A') {
                    push @{ $r{attempts} }, \%a;
                    $r{first}{ $a{key} } //= $a{t0};
                    $r{kind}{ $a{key} } = $a{kind};
                }
                else {
                    push @{ $r{others} }, \%a;
                }
            }
            elsif ($f[0] eq 'D') {
                push @{ $r{done}{ $f[3] } }, $f[4];
            }
            elsif ($f[0] eq 'X') {
                $r{gaveup}{ $f[3] } = 1;
            }
            elsif ($f[0] eq 'E') {
                push @{ $r{errors} }, "$f: $l";
            }
        }
    }
    return \%r;
}

1;
