# SPDX-License-Identifier: Apache-2.0
# The chaos run's verification: every report the database holds is fetched
# through the case systems' API (GET .../konto/{kontoId}/meldinger/{id},
# with the district's integration) and opened with `openssl cms -decrypt`
# and the district's key, as a case system would; the decrypted bytes say
# which report it is (its key is inside), so that the run can match rows
# with what the clients were told: lost (a 201 whose report is not there,
# or does not open), duplicated (one report stored twice).
package ChaosVerify;
use strict;
use warnings FATAL => 'all';

use File::Path qw(make_path);
use File::Temp qw(tempdir);
use HTTP::Request;
use IO::Uncompress::Unzip qw(unzip $UnzipError);
use JSON::PP;
use LWP::UserAgent;
use POSIX ();
use Time::HiRes qw(time sleep);
use ChaosLoad;

my $json = JSON::PP->new->utf8->canonical;

sub slurp { open my $f, '<:raw', $_[0] or die "$_[0]: $!"; local $/; <$f> }
sub spit { open my $f, '>:raw', $_[0] or die "$_[0]: $!"; print $f $_[1]; close $f }

# The dev tree's integrations: name => { id, konto }.
sub integrations {
    my ($dev) = @_;
    my $j = JSON::PP->new->decode(slurp("$dev/integrations.json"));
    return { map { ($_->{navn} => { konto => ($_->{kontoer}[0] // {})->{kontoId} }) }
             @{ $j->{integrasjoner} } };
}

sub decrypt {
    my ($dir, $der, $key, $cert) = @_;
    spit("$dir/in.der", $der);
    my $out = `openssl cms -decrypt -binary -inform DER -in $dir/in.der -inkey $key -recip $cert 2>/dev/null`;
    return $? == 0 ? $out : undef;
}

# Which report a decrypted copy is: (key, undef) or (key or undef, what is
# wrong with it).  A producer's container must be exactly the bytes the
# producer sealed for its key; a form's container must be an ASiC-E whose
# bekymringsmelding.json is a report with the key in its "melding".
sub identify {
    my ($kilde, $plain) = @_;
    if ($kilde eq 'produsent') {
        if ($plain =~ /\APK\x03\x04 chaos big (\S+)\n(z*)\z/) {
            return ($1, undef);     # the hang-up phase's (t/chaos/chaos.pl)
        }
        my ($key) = $plain =~ /\APK\x03\x04 chaos asice (\S+)\n/;
        return (undef, 'not a chaos report') unless $key;
        my (undef, $zip) = ChaosLoad::producer_plaintexts($key);
        return $plain eq $zip ? ($key, undef) : ($key, 'bytes differ');
    }
    my $doc;
    unzip(\$plain => \$doc, Name => 'bekymringsmelding.json')
        or return (undef, "not a container: $UnzipError");
    my $r = eval { $json->decode($doc) } or return (undef, 'JSON unreadable');
    my $m = ref $r->{melding} ? $r->{melding}{melding} : $r->{melding};
    my ($key) = ($m // '') =~ /\((chaos-\S+?)\)/;
    return (undef, 'no key in the report') unless $key;
    return (undef, 'routing fields missing')
        unless ($r->{kommunenummer} // '') =~ /^\d{4}$/
            && ($r->{bydelsnummer} // '') =~ /^\d\d$/;
    return ($key, undef);
}

# verify($env, $base, $workers): { uuid => { kilde, nokkel, key, ok, err } }
# for every report in the database.
sub verify {
    my ($env, $base, $workers) = @_;
    my $ints = integrations($env->{dev});
    my @rows = $env->sql(
        "SELECT m.id, m.kilde, m.kommunenummer, m.bydelsnummer, "
      . "COALESCE(m.idempotensnokkel, ''), COALESCE(l.id, '') FROM bkm_melding m "
      . "LEFT JOIN bkm_leveranse l ON l.melding_id = m.id "
      . "AND l.mottaker = 'fagsystem' ORDER BY m.mottatt");
    my $dir = tempdir("$env->{run}/verify.XXXXXX", CLEANUP => 1);
    my @pids;
    for my $w (0 .. $workers - 1) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $wd = "$dir/w$w";
            make_path($wd);
            open my $out, '>', "$dir/r$w" or POSIX::_exit(1);
            my $ua = LWP::UserAgent->new(timeout => 60, keep_alive => 1);
            my %auth;
            for my $i (grep { $_ % $workers == $w } 0 .. $#rows) {
              eval {
                my ($id, $kilde, $knr, $bnr, $nokkel, $lev) = @{ $rows[$i] };
                my $name = "fagsystem-$knr-$bnr";
                my ($ok, $key, $err) = (0, '', '');
                if (!$lev || !$ints->{$name}) {
                    $err = 'no-message-for-a-case-system';
                }
                else {
                    $auth{$name} //= [ChaosLoad::dev_token($env->{root}, $name)];
                    my $url = "$base/bekymringsmelding/api/v2/konto/"
                        . "$ints->{$name}{konto}/meldinger/$lev";
                    my $res;
                    for my $try (1 .. 5) {
                        $res = $ua->request(HTTP::Request->new(GET => $url,
                                                               $auth{$name}));
                        last if $res->code == 200 || $res->code == 404
                             || $res->code == 410;
                        sleep 0.5;
                    }
                    if ($res->code != 200) {
                        $err = 'fetch-' . $res->code;
                    }
                    else {
                        my $pki = "$env->{dev}/pki/$knr-$bnr-fagsystem";
                        my $plain = decrypt($wd, $res->content, "$pki.key",
                                            "$pki.pem");
                        if (!defined $plain) {
                            $err = 'does-not-decrypt';
                        }
                        else {
                            ($key, $err) = identify($kilde, $plain);
                            $err = $err ? ($err =~ s/\s+/-/gr) : '';
                            $err ||= 'idempotency-key-mismatch'
                                if $kilde eq 'produsent'
                                    && $nokkel ne ($key // '');
                            $ok = !$err;
                        }
                    }
                }
                print $out join(' ', $id, $kilde, $nokkel || '-', $key || '-',
                                $ok, $err || '-'), "\n";
                1;
              } or do {
                my $e = $@ =~ s/\s+/-/gr;
                print $out join(' ', $rows[$i][0], $rows[$i][1], '-', '-', 0,
                                "verifier-error:$e"), "\n";
              };
            }
            close $out;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    my %v;
    for my $w (0 .. $workers - 1) {
        open my $in, '<', "$dir/r$w" or next;
        while (<$in>) {
            chomp;
            my ($id, $kilde, $nokkel, $key, $ok, $err) = split / /;
            $v{$id} = { kilde => $kilde, nokkel => $nokkel eq '-' ? '' : $nokkel,
                        key => $key eq '-' ? '' : $key, ok => $ok,
                        err => $err eq '-' ? '' : $err };
        }
    }
    # A row no worker reported on counts as not verified.
    $v{ $_->[0] } //= { kilde => $_->[1], nokkel => $_->[4], key => '',
                        ok => 0, err => 'not-checked' } for @rows;
    return \%v;
}

# The database's own consistency, on both engines: each report has its
# ciphertexts, its message for its recipient, its first event, and nothing
# refers to a report that is not there; on SQLite also PRAGMA
# integrity_check.  ('ok' or what is wrong.)
sub integrity {
    my ($env) = @_;
    my @problems;
    my @checks = (
        ['reports without a print copy',
         "SELECT COUNT(*) FROM bkm_melding m WHERE m.slettet IS NULL AND NOT "
         . "EXISTS (SELECT 1 FROM bkm_chiffer c WHERE c.melding_id = m.id "
         . "AND c.mottaker = 'print')"],
        ["reports without their recipient's copy",
         "SELECT COUNT(*) FROM bkm_melding m WHERE m.slettet IS NULL AND NOT "
         . "EXISTS (SELECT 1 FROM bkm_chiffer c WHERE c.melding_id = m.id "
         . "AND c.mottaker = m.kanal)"],
        ['reports without a message to their account',
         "SELECT COUNT(*) FROM bkm_melding m WHERE NOT EXISTS (SELECT 1 FROM "
         . "bkm_leveranse l WHERE l.melding_id = m.id AND l.mottaker = m.kanal)"],
        ['reports without their AKSEPTERT event',
         "SELECT COUNT(*) FROM bkm_melding m WHERE NOT EXISTS (SELECT 1 FROM "
         . "bkm_hendelse h WHERE h.melding_id = m.id AND h.nr = 1 AND "
         . "h.hendelse = 'AKSEPTERT')"],
        ['ciphertexts of no report',
         "SELECT COUNT(*) FROM bkm_chiffer c WHERE NOT EXISTS (SELECT 1 FROM "
         . "bkm_melding m WHERE m.id = c.melding_id)"],
        ['messages of no report',
         "SELECT COUNT(*) FROM bkm_leveranse l WHERE NOT EXISTS (SELECT 1 FROM "
         . "bkm_melding m WHERE m.id = l.melding_id)"],
        ['ciphertexts of another size than recorded',
         "SELECT COUNT(*) FROM bkm_chiffer WHERE storrelse <> length(innhold)"],
        ['more than one print job for a report',
         "SELECT COUNT(*) FROM (SELECT melding_id FROM bkm_leveranse WHERE "
         . "mottaker = 'print' GROUP BY melding_id HAVING COUNT(*) > 1) d"],
    );
    for my $c (@checks) {
        my ($row) = $env->sql($c->[1]);
        my $n = $row ? $row->[0] : undef;
        push @problems, defined $n && $n =~ /^\d+$/
            ? ($n ? "$n $c->[0]" : ()) : "query failed: $c->[0]";
    }
    if ($env->{engine} eq 'sqlite') {
        my @r = $env->sql('PRAGMA integrity_check');
        my $res = join '; ', map { $_->[0] } @r;
        push @problems, "integrity_check: " . ($res || 'no answer')
            unless $res eq 'ok';
    }
    return @problems ? join('; ', @problems) : 'ok';
}

1;
