# SPDX-License-Identifier: Apache-2.0
# A case system (or print provider) as a vendor would write one, for the
# delivery tests: it lists its account's messages, fetches one, opens it
# with `openssl cms -decrypt` and its own key, unzips the ASiC-E container,
# and answers with a receipt -- a stored-receipt signed with its own key
# by `openssl dgst` (schema/lagringskvittering/README.md), so nothing of
# the portal's code is on this side.
package BkmCaseSystem;
use strict;
use warnings FATAL => 'all';

use File::Temp qw(tempdir);
use HTTP::Request;
use JSON::PP;
use LWP::UserAgent;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use BkmTest qw(root dev_token json_of spit slurp openssl_decrypt db_rows);

my $json = JSON::PP->new->utf8->canonical;

# NAME is an integration of t/dev/integrations.json, e.g. fagsystem-0301-01.
# base: the portal's URL; key/cert: what opens its messages.
sub new {
    my ($class, %a) = @_;
    my $self = bless { %a }, $class;
    $self->{auth} = [dev_token($a{name})];
    my $ints = JSON::PP->new->decode(slurp(root() . '/t/dev/integrations.json'));
    my ($me) = grep { $_->{navn} eq $a{name} } @{ $ints->{integrasjoner} };
    $self->{konto} = $me->{kontoer}[0]{kontoId};
    $self->{ua} = LWP::UserAgent->new(timeout => 60);
    $self->{dir} = tempdir(CLEANUP => 1);
    return $self;
}

sub konto { $_[0]{konto} }

sub url {
    my ($self, $rest) = @_;
    return "$self->{base}/bekymringsmelding/api/v2/konto/$self->{konto}"
         . "/meldinger$rest";
}

sub request {
    my ($self, $method, $url, $headers, $body) = @_;
    my $req = HTTP::Request->new($method, $url,
                                 [@{ $self->{auth} }, @{ $headers // [] }],
                                 $body);
    return $self->{ua}->request($req);
}

# GET .../meldinger[?query]; (response, decoded list or undef).
sub list {
    my ($self, $query, @h) = @_;
    my $res = $self->request('GET', $self->url($query ? "?$query" : ''), \@h);
    my $j = json_of($res);
    return ($res, $j ? $j->{meldinger} : undef);
}

# GET one message.  A whole answer (200) is recorded by the portal once
# its last byte has gone out, a moment after this side may have read it:
# wait for that, as a test that looks at the database next needs to.
sub fetch {
    my ($self, $id, @h) = @_;
    my $res = $self->request('GET', $self->url("/$id"), \@h);
    if ($res->code == 200 && $id =~ /^[0-9a-f-]{36}$/) {
        for (1 .. 50) {
            last if (db_rows("SELECT COUNT(*) FROM bkm_leveranse WHERE "
                . "id = '$id' AND hentet IS NOT NULL"))[0][0];
            select undef, undef, undef, 0.05;
        }
    }
    return $res;
}

# Decrypt a fetched ciphertext with this system's key: the plaintext.
sub open_message {
    my ($self, $der) = @_;
    return openssl_decrypt($der, $self->{key}, $self->{cert});
}

# The report JSON inside a decrypted ASiC-E container.
sub report_of {
    my ($self, $zip) = @_;
    my $f = "$self->{dir}/c.zip";
    spit($f, $zip);
    my $text = `unzip -p $f bekymringsmelding.json 2>/dev/null`;
    return eval { $json->decode($text) };
}

sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# A compact JWS (RS256) over the payload, signed by openssl with $key.
sub sign_receipt {
    my ($self, $payload, $key) = @_;
    my $input = b64url($json->encode({ alg => 'RS256',
        typ => 'bekymringsmelding-lagringskvittering+jws' }))
        . '.' . b64url($json->encode($payload));
    spit("$self->{dir}/input", $input);
    my $sig = `openssl dgst -sha256 -sign $key $self->{dir}/input`;
    die "openssl dgst failed\n" if $?;
    return "$input." . b64url($sig);
}

# The stored-receipt for message $m ({meldingId, bekymringsmeldingId}) of
# the bytes $der, as the case system's record $arkiv.
sub stored_receipt {
    my ($self, $m, $der, $arkiv, %over) = @_;
    my $key = delete $over{key} // $self->{receipt_key};
    return $self->sign_receipt({
        meldingId => $m->{meldingId},
        bekymringsmeldingId => $m->{bekymringsmeldingId},
        sha256 => sha256_hex($der), arkivreferanse => $arkiv,
        lagret => '2026-11-23T10:00:00Z', %over,
    }, $key);
}

# ---- proof of possession (schema/lagringskvittering/v2.md) ------------

# A file of a decrypted ASiC-E container ($zip: its bytes), or undef.
sub zip_member {
    my ($self, $zip, $name) = @_;
    my $f = "$self->{dir}/c.zip";
    spit($f, $zip);
    my $out = `unzip -p $f '$name' 2>/dev/null`;
    return $? == 0 ? $out : undef;
}

# The names in a container, in order.
sub zip_names {
    my ($self, $zip) = @_;
    my $f = "$self->{dir}/c.zip";
    spit($f, $zip);
    return map { (split ' ', $_, 4)[3] // () }
           grep { /^\s*\d+\s+\S+\s+\S+\s+\S/ }
           split /\n/, `unzip -l $f 2>/dev/null`;
}

# The secret of message $id, as a vendor finds it: inside the container
# the portal sealed, or (a producer's container) in the CMS message at
# .../besittelse.  (secret or undef, the ciphertext).
sub secret_for {
    my ($self, $id) = @_;
    my $res = $self->fetch($id);
    return (undef, undef) unless $res->code == 200;
    my $der = $res->content;
    my $zip = $self->open_message($der);
    my $doc = $zip && $self->zip_member($zip,
        'META-INF/bekymring-besittelse.json');
    if (!defined $doc) {
        my $b = $self->request('GET', $self->url("/$id/besittelse"));
        $doc = $b->code == 200 ? $self->open_message($b->content) : undef;
    }
    my $j = defined $doc ? eval { $json->decode($doc) } : undef;
    return ($j ? $j->{hemmelighet} : undef, $der);
}

# (undef fields count as empty: a test of a broken portal fails, not dies)
sub hmac_hex {
    my ($secret, @fields) = @_;
    return hmac_sha256_hex(join("\n", map { $_ // '' } @fields),
                           pack('H*', $secret // ''));
}

# besittelsesbevis of a stored-receipt v2.
sub proof {
    my ($secret, $melding_id, $sha256, $arkiv) = @_;
    return hmac_hex($secret, 'bekymringsmelding-lagringskvittering-v2',
                    $melding_id, $sha256, $arkiv);
}

# A stored-receipt v2; $over{besittelsesbevis} replaces the proof (a liar's).
sub stored_receipt_v2 {
    my ($self, $m, $der, $arkiv, $secret, %over) = @_;
    return $self->stored_receipt($m, $der, $arkiv, versjon => 2,
        besittelsesbevis => proof($secret, $m->{meldingId},
                                  sha256_hex($der // ''), $arkiv), %over);
}

sub kontroll_url {
    my ($self, $rest) = @_;
    return "$self->{base}/bekymringsmelding/api/v2/konto/$self->{konto}"
         . "/kontroller" . ($rest // '');
}

# GET .../kontroller: (response, list or undef).
sub challenges {
    my ($self) = @_;
    my $res = $self->request('GET', $self->kontroll_url);
    my $j = json_of($res);
    return ($res, $j ? $j->{kontroller} : undef);
}

# The honest answer to challenge $c: the secret from the message again.
sub challenge_answer {
    my ($self, $c) = @_;
    my ($secret) = $self->secret_for($c->{meldingId});
    return undef unless $secret;
    return hmac_hex($secret, 'bekymringsmelding-kontroll-v1',
                    $c->{kontrollId}, $c->{meldingId}, $c->{nonce});
}

# POST .../kontroller/{kontrollId} with {"svar": $svar}.
sub answer_challenge {
    my ($self, $kontroll_id, $svar, @h) = @_;
    return $self->request('POST', $self->kontroll_url("/$kontroll_id"),
        ['Content-Type' => 'application/json', @h],
        $json->encode({ svar => $svar }));
}

# POST .../svar: type mottatt or feilet; body optional.
sub answer {
    my ($self, $id, $type, $body, @h) = @_;
    my @ct = !defined $body ? ()
           : $type eq 'feilet' ? ('Content-Type' => 'application/json')
           : ('Content-Type' => 'application/jose');
    return $self->request('POST', $self->url("/$id/svar"),
        ['meldingType' => "no.ks.fiks.bekymringsmelding.$type.v1", @ct, @h],
        $body // '');
}

# ---- lying and broken case systems (issue 12) ----------------------------
# Each behaves as a vendor's system that cuts a corner; the portal must
# notice, refuse the receipt, and deliver the report anyway (after a proper
# fetch, or by letter post).

# Says "received" for message $m without ever fetching it.
sub receipt_without_fetch {
    my ($self, $m) = @_;
    return $self->answer($m->{meldingId}, 'mottatt');
}

# Fetches one byte of $m (Range: bytes=0-0), then sends a stored-receipt
# whose sha256 it copied from the listing: the hash is public, so it
# proves nothing.  (response of the fetch, response of the receipt)
sub fetch_one_byte {
    my ($self, $m, $arkiv) = @_;
    my $res = $self->fetch($m->{meldingId}, Range => 'bytes=0-0');
    my $jws = $self->stored_receipt($m, '', $arkiv // 'LOGN-1',
                                    sha256 => $m->{sha256});
    return ($res, $self->answer($m->{meldingId}, 'mottatt', $jws));
}

# Asks for message $m and hangs up at once with a reset (SO_LINGER 0), as
# a system that crashes mid-download: the portal's write fails.
sub hang_up {
    my ($self, $m) = @_;
    require IO::Socket::INET;
    require Socket;
    my ($host, $port) = $self->{base} =~ m{//([^:/]+):(\d+)};
    # A small receive window (set before connecting, so the handshake
    # offers it), and a reset only once the answer has begun: then the
    # server has read the request (a reset before that discards it unread,
    # which a busy machine made likely) and cannot have handed the whole
    # message to the kernel.
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 1024);
    $s->connect(Socket::pack_sockaddr_in($port, Socket::inet_aton($host)))
        or die "connect: $!";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_LINGER(),
               pack('ii', 1, 0));
    my %h = @{ $self->{auth} };
    my $path = $self->url("/$m->{meldingId}") =~ s{^https?://[^/]+}{}r;
    my $req = "GET $path HTTP/1.1\r\nHost: $host:$port\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
        . "Connection: close\r\n\r\n";
    syswrite($s, $req) == length($req) or die "send: $!";
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    if (select(my $rout = $rin, undef, undef, 10)) {
        sysread($s, my $first, 1);
    }
    CORE::close($s);
}

# The honest way: fetch all of $m, open it, and answer with a stored-
# receipt of the bytes it got (or a plain mottatt without a receipt key).
sub deliver {
    my ($self, $m, $arkiv) = @_;
    my $res = $self->fetch($m->{meldingId});
    return $res if $res->code != 200;
    my $der = $res->content;
    return $self->answer($m->{meldingId}, 'mottatt') if !$self->{receipt_key};
    return $self->answer($m->{meldingId}, 'mottatt',
        $self->stored_receipt($m, $der, $arkiv // 'SAK-1'));
}

# ---- automatic reconciliation (issue 12) ----------------------------------

sub avstemming_url {
    my ($self, $query) = @_;
    return "$self->{base}/bekymringsmelding/api/v2/konto/$self->{konto}"
         . '/avstemming' . (defined $query ? "?$query" : '');
}

# What the portal counts as delivered to this account in [fra, til), every
# page: (last response, list of entries).
sub delivered {
    my ($self, $fra, $til, @h) = @_;
    my (@all, $res, $etter);
    for (;;) {
        my $q = "fra=$fra&til=$til" . ($etter ? "&etter=$etter" : '');
        $res = $self->request('GET', $self->avstemming_url($q), \@h);
        my $j = json_of($res) or last;
        last unless $res->code == 200;
        push @all, @{ $j->{meldinger} };
        $etter = $j->{neste} or last;
    }
    return ($res, \@all);
}

# POST the answer: $entries are {meldingId, arkivreferanse}.
sub reconcile {
    my ($self, $fra, $til, $entries, @h) = @_;
    return $self->request('POST', $self->avstemming_url,
        ['Content-Type' => 'application/json', @h],
        $json->encode({ fra => $fra, til => $til, meldinger => $entries }));
}

# A case system that receipts and then "loses" these messages: its
# reconciliation leaves them out.
sub lose {
    my ($self, @ids) = @_;
    $self->{lost}{$_} = 1 for @ids;
}

# Reconcile [fra, til) as this system does: every delivered message it
# still holds, with the record id it gave it (if it gave one).
sub reconcile_held {
    my ($self, $fra, $til, @h) = @_;
    my ($res, $list) = $self->delivered($fra, $til, @h);
    return $res if $res->code != 200;
    my @held = map { { meldingId => $_->{meldingId},
                       ($self->{arkiv}{ $_->{meldingId} }
                        ? (arkivreferanse => $self->{arkiv}{ $_->{meldingId} })
                        : ()) } }
               grep { !$self->{lost}{ $_->{meldingId} } } @$list;
    return $self->reconcile($fra, $til, \@held, @h);
}

# The honest case system's loop: every waiting message fetched, opened
# and answered with a stored-receipt (a plain mottatt without a receipt
# key).  Control messages (no.ks.fiks.bekymringsmelding.kontroll.v1) are
# handled as any message: stored, and receipted -- never treated as a
# child welfare case.  Returns the messages answered.
sub handle_all {
    my ($self, @h) = @_;
    my ($res, $list) = $self->list('', @h);
    my @done;
    for my $m (@{ $list // [] }) {
        my $f = $self->fetch($m->{meldingId}, @h);
        next unless $f->code == 200;
        my $der = $f->content;
        my $zip = $self->open_message($der);
        my $arkiv = ($m->{meldingType} =~ /kontroll/ ? 'KONTROLL-' : 'SAK-')
            . substr($m->{meldingId}, 0, 8);
        my $r = $self->{receipt_key}
            ? $self->answer($m->{meldingId}, 'mottatt',
                  $self->stored_receipt($m, $der, $arkiv), @h)
            : $self->answer($m->{meldingId}, 'mottatt', undef, @h);
        $self->{arkiv}{ $m->{meldingId} } = $arkiv if $self->{receipt_key};
        push @done, { %$m, status => $r->code, zip => $zip };
    }
    return \@done;
}

1;
