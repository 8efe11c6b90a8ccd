# SPDX-License-Identifier: Apache-2.0
# Records the machine API's answers that the Apache::Test files get, for
# t/zz_openapi.t, which checks them against schema/openapi.yaml (issue 15,
# item 3): every LWP request of a test file (Apache::TestRequest's and the
# test's own user agents alike) to a path the OpenAPI file describes is
# written as one JSON line (method, path, status, content type, body when
# it is JSON) to t/logs/openapi/answers-RUN-PID.jsonl (the run's t_logs).  Loaded by BkmTest, so
# every test file that uses the helpers records; nothing else changes.
package BkmOpenapiRecord;
use strict;
use warnings FATAL => 'all';

use JSON::PP ();
use LWP::UserAgent ();
use File::Path qw(make_path);
use Apache::Test ();
use BkmHarness ();

# Paths of the machine API (schema/openapi.yaml's "paths").
my $api = qr{^/(?:bekymringsmelding/api/v2/|helse$|bekymring-drift/)};
my $dir;
my ($fh, $fh_pid);
my $json = JSON::PP->new->utf8->canonical;

# This t/TEST run (its pid and start time): zz_openapi.t checks the files
# of its own run only.
sub run_id {
    my ($pid, $start) = BkmHarness::parse_tag($ENV{BKM_SUITE_RUN});
    return defined $pid ? "$pid.$start" : 'norun';
}

sub out {
    return $fh if $fh && $fh_pid == $$;   # a forked client writes its own
    $fh_pid = $$;
    $dir //= Apache::Test::config()->{vars}{t_logs} . '/openapi';
    make_path($dir);
    open $fh, '>>', "$dir/answers-" . run_id() . "-$$.jsonl" or return;
    $fh->autoflush(1);
    return $fh;
}

# Set (with local) around requests that are the harness's, not a test's:
# start_node's wait for /helse may reach a server that is no portal.
our $off;

sub record {
    my ($req, $res) = @_;
    return if $off;
    my $uri = $req->uri;
    return unless ($uri->scheme // '') =~ /^https?$/
        && ($uri->host // '') eq '127.0.0.1' && $uri->path =~ $api;
    # A request to another name-based virtual host (t/vhost.t) may reach a
    # site that is not the portal at all: not the API's answer.
    my $host = $req->header('Host');
    return if defined $host && $host !~ /^127\.0\.0\.1(?::\d+)?$/;
    # Answers made by LWP itself (connection refused, timeouts) are not the
    # portal's.
    return if ($res->header('Client-Warning') // '') eq 'Internal response';
    my $ct = $res->header('Content-Type') // '';
    my $body;
    # Bodies over 1 MB (reconciliation pages of 10,000) are checked by
    # status and type only: their items are those of smaller pages.
    my $big = length($res->content // '') > 1_000_000;
    if ($ct =~ m{^application/json}i && $req->method ne 'HEAD' && !$big) {
        $body = eval { $json->decode($res->content) };
        $body = { '$unparsable' => $res->content } if $@;
    }
    my $f = out() or return;
    print $f $json->encode({
        file => $0, method => $req->method, path => $uri->path,
        query => $uri->query // '', status => $res->code + 0,
        contentType => $ct, (defined $body ? (body => $body) : ()),
        length => length($res->content // ''), ($big ? (big => 1) : ()),
        retryAfter => scalar($res->header('Retry-After')),
        allow => scalar($res->header('Allow')),
    }) . "\n";
}

{
    no warnings 'redefine';
    my $orig = \&LWP::UserAgent::send_request;
    *LWP::UserAgent::send_request = sub {
        my ($self, $req, @rest) = @_;
        my $res = $orig->($self, $req, @rest);
        if ($res && !eval { record($req, $res); 1 }) {
            warn "BkmOpenapiRecord: an answer not recorded: $@";
        }
        return $res;
    };
}

1;
