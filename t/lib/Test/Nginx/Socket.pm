package Test::Nginx::Socket;

# Test::Nginx::Socket -- a small, compatible SUBSET of openresty's test-nginx
# (lib/Test/Nginx/{Socket,Util}.pm), written from scratch because Test::Nginx
# is not packaged for Debian.  It reads the same `=== TEST n` / `--- section`
# format through Debian's Test::Base, drives a real nginx the same way and
# emits the same TAP tests (same count per block), so every .t file here also
# runs unchanged under the real Test::Nginx::Socket.
#
# Usage:  prove -I t/lib -r t          (use Test::Nginx::Socket 'no_plan';)
#
# Functions: plan / 'no_plan', run_tests, blocks, repeat_each, no_shuffle
#   (default here; TEST_NGINX_SHUFFLE=1 shuffles), master_on, master_off,
#   master_process_enabled, workers, worker_connections, log_level,
#   no_long_string, no_root_location, env_to_nginx, config_preamble,
#   server_port, server_port_for_client, server_name, server_addr,
#   server_root, html_dir, timeout, use_hup, add_block_preprocessor,
#   add_cleanup_handler, bail_out, check_accum_error_log.
# Sections: main_config http_config config post_main_config server_name
#   log_level init user_files must_die wait timeout abort shutdown
#   request (string, or `eval` array = one connection per request; an element
#   may be an array of packets: strings or {value, delay_before})
#   more_headers (string or array) raw_request (string or packet array)
#   raw_request_middle_delay pipelined_requests
#   error_code error_code_like response_body response_body_like
#   response_body_unlike response_headers response_headers_like
#   raw_response_headers_like raw_response_headers_unlike
#   error_log no_error_log grep_error_log grep_error_log_out
#   shutdown_error_log no_shutdown_error_log reload_fails
#   ONLY SKIP LAST (Test::Base)
# Env: TEST_NGINX_BINARY (/usr/sbin/nginx), TEST_NGINX_PORT /
#   TEST_NGINX_SERVER_PORT (1984), TEST_NGINX_CLIENT_PORT, TEST_NGINX_SERVROOT
#   (t/servroot), TEST_NGINX_LOAD_MODULES, TEST_NGINX_NO_CLEAN,
#   TEST_NGINX_VERBOSE, TEST_NGINX_MASTER_PROCESS, TEST_NGINX_TIMEOUT (3),
#   TEST_NGINX_SLEEP (0.015), TEST_NGINX_LOG_LEVEL (debug), TEST_NGINX_USE_HUP,
#   TEST_NGINX_FORCE_RESTART_ON_TEST (1), TEST_NGINX_CHECK_ACCUM_ERR_LOG;
#   TEST_NGINX_SERVER_ROOT is set to the servroot.  $TEST_NGINX_* (and
#   $TEST_NGINX_RAND_PORT_n) are expanded, like the real one, in main_config,
#   http_config, config, post_main_config and user_files only; in requests
#   and expectations use `eval` with $ENV{...}.  $ServerPort is expanded in
#   response_body / response_headers.
#
# Differences from the real one: blocks are not shuffled by default;
#   load_module lines go BEFORE main_config (real: after it); nginx gets
#   `-e logs/error.log` so [emerg] at startup lands in error.log (as with an
#   openresty-built nginx); *_temp_path lines under servroot are generated;
#   a failing start is retried for 5 s (real: 30 s); on stop, leftover
#   children of the nginx master are SIGKILLed; zombies count as dead.
# Unsupported: valgrind/stap/check-leak/benchmark modes, http2/http3/curl,
#   tcp_listen/udp_listen mock servers, access_log/no_access_log,
#   response_body_filters, skip_nginx/skip_eval/todo, TEST_NGINX_RANDOMIZE,
#   TEST_NGINX_ERROR_LOG, request_eval/response_body_eval, charset.
#
# Self-test: `prove -I t/lib t/000-runner.t` must pass and
#   `prove -I t/lib t/lib/selftest/fails.t.txt` must report "Result: FAIL".

use strict;
use warnings;

use Test::Base -base;
use Test::Nginx::Util;
use Time::HiRes qw(sleep time);
use IO::Socket::INET ();
use IO::Select ();
use HTTP::Response ();
use POSIX qw(EAGAIN EINTR);
use List::Util qw(min);

our @EXPORT = qw(
    plan run_tests run_test repeat_each no_shuffle master_on master_off
    master_process_enabled workers worker_connections log_level
    no_long_string no_root_location env_to_nginx config_preamble
    server_port server_port_for_client server_name server_addr server_root
    html_dir timeout use_hup add_block_preprocessor add_cleanup_handler
    bail_out check_accum_error_log is_str
);

$RunTestHelper         = \&run_test_helper;
$CheckErrorLog         = \&check_error_log;
$CheckShutdownErrorLog = \&check_shutdown_error_log;

sub run_test ($) { Test::Nginx::Util::run_test(shift) }

# ---------------------------------------------------------------- requests

sub parse_more_headers ($) {
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, shift // '') {
        next if $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $v //= '';
        $chunked = 1 if lc($k) eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }
    ($out, $chunked);
}

# "METH [URI [VER]]\nbody" (possibly split in packets) -> packets of a full
# HTTP request with Host, Connection and Content-Length added
sub build_request ($$$$$) {
    my ($name, $hdr, $chunked, $conn, $packets) = @_;
    my $all = join '', map { $_->{value} } @$packets;
    $all =~ /\A([^\n]*)(\n?)/;
    my ($first, $l1) = ($1, length($1) + length($2));
    $first =~ /^\s*(\S+)(?:\s+(\S+))?(?:\s+(\S+))?\s*$/
        or bail_out("$name - Request line is not valid. Should be 'meth [url [version]]' but got \"$first\".");
    my ($meth, $url, $ver) = ($1, $2 // '/', $3 // 'HTTP/1.1');

    my ($k0, $k1) = ($l1, length $all);    # body range kept
    my $len = '';
    if (!$chunked && $k1 > $k0 && $hdr !~ /(?:^|\n)Content-Length:/) {
        my $body = substr $all, $k0;     # the body is trimmed, like the real one
        if ($body =~ /\A\s*\z/) {
            $k0 = $k1;
        } else {
            $k0 += length $1 if $body =~ /\A(\s+)/;
            $k1 -= length $1 if $body =~ /(\s+)\z/;
        }
        $len = "Content-Length: " . ($k1 - $k0) . "\r\n";
    }
    $hdr =~ s/(?<!\r)\n/\r\n/g;
    my $headers = '';
    $headers .= "Host: $ServerName\r\n" if $hdr !~ /(?:^|\n)Host:/msi;
    $headers .= "Connection: $conn\r\n" if $hdr !~ /(?:^|\n)Connection/msi;
    my $head = "$meth $url $ver\r\n$headers$hdr$len\r\n";

    my ($pos, @out) = (0);
    for my $p (@$packets) {
        my ($s, $e) = ($pos, $pos + length $p->{value});
        $pos = $e;
        my $v = ($l1 > 0 && $s <= $l1 - 1 && $l1 - 1 < $e) || ($l1 == 0 && $s == 0) ? $head : '';
        my ($a, $b) = ($s > $k0 ? $s : $k0, $e < $k1 ? $e : $k1);
        $v .= substr($all, $a, $b - $a) if $b > $a;
        push @out, { %$p, value => $v };
    }
    \@out;
}

# list of requests, each an array of packets {value, delay_before}
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;
    my $raw = $block->raw_request;
    if (defined $raw) {
        return [[ map { ref $_ ? $_ : { value => $_ } } (ref $raw eq 'ARRAY' ? @$raw : $raw) ]];
    }
    my $more = $block->more_headers // '';
    my $hdr_for = sub {
        my $i = shift;
        return parse_more_headers($more) unless ref $more eq 'ARRAY';
        defined $more->[$i] or bail_out("$name - --- more_headers lacks data for the request $i");
        parse_more_headers($more->[$i]);
    };
    if (my $reqs = $block->pipelined_requests) {
        ref $reqs eq 'ARRAY' or bail_out("$name - invalid entries in --- pipelined_requests");
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my ($h, $c) = $hdr_for->($i);
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $all .= build_request($name, $h, $c, $conn, [{ value => $reqs->[$i] }])->[0]{value};
        }
        return [[{ value => $all }]];
    }
    my $request = $block->request;
    bail_out("$name - Request line should be non-empty") unless defined $request;
    if (!ref $request) {
        1 while $request =~ s/^\s*#[^\n]+\s+|^\s+//gs;    # leading comments
    }
    my @list = ref $request eq 'ARRAY' ? @$request : ($request);
    my @out;
    for my $i (0 .. $#list) {
        my $r = $list[$i];
        my @packets = ref $r eq 'ARRAY'
            ? map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } } @$r
            : ({ value => $r });
        my ($h, $c) = $hdr_for->($i);
        push @out, build_request($name, $h, $c, 'close', \@packets);
    }
    \@out;
}

# send packets over a fresh connection, read until EOF; returns raw response
sub send_request ($$$) {
    my ($packets, $timeout, $block) = @_;
    my $name = $block->name;
    local $SIG{PIPE} = 'IGNORE';
    my $sock;
    for my $try (1 .. 50) {
        $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        my $wait = (sleep_time() + sleep_time() * $try) * $try / 2;
        $wait = 1 if $wait > 1;
        warn "$name - Can't connect to $ServerAddr:$ServerPortForClient: $!\n" if $wait >= 0.6;
        sleep $wait;
    }
    if (!$sock) {
        Test::More::fail("$name - Can't connect to $ServerAddr:$ServerPortForClient: $! (aborted)");
        return '';
    }
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    my $middle = $block->raw_request_middle_delay;
    my $first = 1;
  PACKET:
    for my $p (@$packets) {
        my $delay = $p->{delay_before} // ($first ? undef : $middle);
        sleep $delay if $delay;
        $first = 0;
        my ($buf, $off) = ($p->{value}, 0);
        while ($off < length $buf) {
            if (!$sel->can_write($timeout)) { timed_out($block, $sock); return '' }
            my $n = syswrite $sock, $buf, length($buf) - $off, $off;
            if (!defined $n) {
                next if $! == EAGAIN || $! == EINTR;
                warn "write failed: $!\n";
                last PACKET;
            }
            $off += $n;
        }
    }
    if (defined(my $how = $block->shutdown)) {
        shutdown $sock, ($how =~ /^\s*$/ ? 1 : $how);
    }
    my $resp = '';
    while (1) {
        if (!$sel->can_read($timeout)) { timed_out($block, $sock); return $resp }
        my $n = sysread $sock, my $buf, 65536;
        if (!defined $n) {
            next if $! == EAGAIN || $! == EINTR;
            warn "WARNING: $name - HTTP response read failure: $!\n";
            last;
        }
        last if $n == 0;
        $resp .= $buf;
    }
    close $sock;
    $resp;
}

sub timed_out ($$) {
    my ($block, $sock) = @_;
    close $sock;
    Test::More::fail("ERROR: client socket timed out - " . $block->name)
        unless defined $block->abort;
}

# for the HUP config-version probe: body of GET $uri with the given Host
sub simple_get ($$) {
    my ($uri, $host) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
        PeerPort => $ServerPortForClient, Proto => 'tcp', Timeout => 2) or return undef;
    print $sock "GET $uri HTTP/1.0\r\nHost: $host\r\n\r\n";
    my $resp = do { local $/; <$sock> } // '';
    close $sock;
    $resp =~ /\r\n\r\n(.*)\z/s ? $1 : undef;
}

# -> (HTTP::Response, raw headers, bytes left over after this response)
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';
    my $res = HTTP::Response->parse($raw);
    my $code = $res->code;
    $res->code(undef) if $code && $code !~ /^\d+$/;
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);
    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my $left;
    if (defined $enc && $enc eq 'chunked') {
        my $in = $res->content // '';
        my $decoded = '';
        while (1) {
            if ($in =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $in =~ /\G(.+)/gcs;
                last;
            }
            if ($in =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                if ($in !~ /\G(.{$size})\r\n/gcs) {
                    Test::More::fail("$name - invalid chunked data received");
                    return ($res, $raw_headers);
                }
                $decoded .= $1;
            } else {
                Test::More::fail("$name - invalid chunked body received or no last chunk found");
                return ($res, $raw_headers);
            }
        }
        $res->content($decoded);
    } elsif (defined $len && $len =~ /^\d+$/) {
        my $body = $res->content // '';
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, but got ",
                 length $body, "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }
    ($res, $raw_headers, $left);
}

# ---------------------------------------------------------------- checks

sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results should be arrays as well.");
    }
    return ref $value eq 'ARRAY' ? $value->[0] : $value;
}

sub run_test_helper ($$$) {
    my ($block, $dry_run, $rep) = @_;
    my $name = $block->name;
    my $reqs = get_req_from_block($block);
    my $timeout = parse_time($block->timeout) // timeout();
    my $n = $block->pipelined_requests ? scalar @{ $block->pipelined_requests } : 0;
    my $need_array = $n ? 1 : @$reqs > 1;
    my $res;
    my $idx = 0;
    for my $ri (0 .. $#$reqs) {
        my $head_req = (join '', map { $_->{value} } @{ $reqs->[$ri] }) =~ /^\s*HEAD\s+/;
        my $raw = send_request($reqs->[$ri], $timeout, $block);
        my $count = $n || 1;
        for my $k (1 .. $count) {
            $raw //= '';
            my ($r, $raw_headers, $left) = parse_response($name, $raw, $head_req);
            $res = $r;
            if ($n) { $raw = $left }
            elsif (defined $left && length $left) {
                (my $l = $left) =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                warn "WARNING: $name - unexpected extra bytes after last chunk in response: \"$l\"\n";
            }
            check_error_code($block, $res, $idx, $need_array);
            check_raw_response_headers($block, $raw_headers, $idx, $need_array);
            check_response_headers($block, $res, $raw_headers, $idx, $need_array);
            check_response_body($block, $res, $idx, $rep, $need_array);
            if ($k < $count || $ri < $#$reqs) {   # real: log checked after every request
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $rep, $need_array);
            }
            $idx++;
        }
    }
    sleep $block->wait if $block->wait;
    check_error_log($block, $res, $dry_run, $rep, $need_array);
}

sub check_error_code ($$$$) {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->code) || '';
    if (defined $block->error_code_like) {
        my $v = get_indexed_value($name, $block->error_code_like, $idx, $need_array);
        Test::More::like($code, qr/$v/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        Test::More::is($code, get_indexed_value($name, $block->error_code, $idx, $need_array),
                       "$name - status code ok");
    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}

sub check_raw_response_headers ($$$$) {
    my ($block, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->raw_response_headers_like) {
        my $v = get_indexed_value($name, $block->raw_response_headers_like, $idx, $need_array);
        Test::More::like($raw_headers, qr/$v/s, "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $v = get_indexed_value($name, $block->raw_response_headers_unlike, $idx, $need_array);
        Test::More::unlike($raw_headers, qr/$v/s, "$name - raw resp headers unlike");
    }
}

sub check_response_headers ($$$$$) {
    my ($block, $res, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->response_headers) {
        my $h = parse_headers(get_indexed_value($name, $block->response_headers, $idx, $need_array));
        for (@$h) {
            my ($key, $val) = @$_;
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                                   "$name - header $key not present in the raw headers");
                next;
            }
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            my $actual = ($res ? $res->header($key) : undef) // '';
            Test::More::is($actual, $val, "$name - header $key ok");
        }
    } elsif (defined $block->response_headers_like) {
        my $h = parse_headers(get_indexed_value($name, $block->response_headers_like, $idx, $need_array));
        for (@$h) {
            my ($key, $val) = @$_;
            my $actual = ($res ? $res->header($key) : undef) // '';
            Test::More::like($actual, qr/^$val$/, "$name - header $key like ok");
        }
    }
}

sub check_response_body ($$$$$) {
    my ($block, $res, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->content : undef;
    if (defined $content) {
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
        $content =~ s/^Connection: TE, close\r\n//gms;
    }
    if (defined $block->response_body) {
        my $expected = get_indexed_value($name, $block->response_body, $idx, $need_array);
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }
        my $desc = "$name - response_body - response is expected (repeated req $rep, req $idx)";
        if (ref $expected) {
            Test::More::like($content, $expected, "$name - response_body - like (repeated req $rep, req $idx)");
        } else {
            is_str($content, $expected, $desc);
        }
    } elsif (defined $block->response_body_like || defined $block->response_body_unlike) {
        my $like = defined $block->response_body_like;
        my $pat = get_indexed_value($name,
            $like ? $block->response_body_like : $block->response_body_unlike, $idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content) // '';
        my $type = $like ? 'like' : 'unlike';
        my $cmp = $like ? \&Test::More::like : \&Test::More::unlike;
        $cmp->($content, qr/$pat/s, "$name - response_body_$type - response is expected ($summary)");
    }
}

sub fmt_str {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    $s;
}

sub pats_of {
    my $p = shift;
    return [ref $p eq 'Regexp' ? $p : @$p] if ref $p;
    chomp $p;
    [split /\n+/, $p];
}

sub line_matches {
    my ($line, $pat) = @_;
    ref $pat ? $line =~ /$pat/ : index($line, $pat) >= 0;
}

sub mentions {
    my ($val, $needle) = @_;
    return 0 unless defined $val;
    return index("$val", $needle) >= 0 unless ref $val eq 'ARRAY';
    for (@$val) { return 1 if mentions($_, $needle) }
    0;
}

sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $rep, $need_array) = @_;
    my $name = $block->name;
    my $lines;

    my $grep = $block->grep_error_log;
    if (defined $grep) {
        $grep = $grep->[$rep] if ref $grep eq 'ARRAY';
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined")
            unless defined $expected;
        $expected = $expected->[$rep] if ref $expected eq 'ARRAY';
        $lines ||= error_log_data();
        my $out = '';
        for my $line (@$lines) {
            my $m = ref $grep ? ($line =~ $grep ? $& : undef)
                              : (index($line, $grep) >= 0 ? $grep : undef);
            $out .= "$m\n" if defined $m && $m !~ /\n/;
        }
        if (ref $expected eq 'Regexp') {
            Test::More::like($out, $expected, "$name - grep_error_log_out (req $rep)");
        } else {
            is_str($out, $expected, "$name - grep_error_log_out (req $rep)");
        }
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but --- grep_error_log_out is defined");
    }

    my %warn_on = map { $_ => 1 } qw(alert crit emerg);
    for my $sec (qw(error_log no_error_log)) {
        my $v = $block->$sec;
        next unless defined $v;
        for my $lvl (keys %warn_on) { delete $warn_on{$lvl} if mentions($v, "[$lvl") }
    }

    if (defined $block->error_log) {
        my $pats = pats_of($block->error_log);
        $lines ||= error_log_data();
        for my $line (@$lines) {
            for my $pat (@$pats) {
                next unless defined $pat && line_matches($line, $pat);
                Test::More::pass("$name - pattern \"$pat\" matches a line in error.log (req $rep)");
                undef $pat;
            }
        }
        for my $pat (grep { defined } @$pats) {
            Test::More::fail("$name - pattern \"$pat\" should match a line in error.log (req $rep)");
        }
    }

    if (defined $block->no_error_log) {
        my $pats = pats_of($block->no_error_log);
        $lines ||= error_log_data();
        my %found;
        for my $i (0 .. $#$lines) {
            for my $pat (@$pats) {
                next unless line_matches($lines->[$i], $pat);
                $found{$pat} = 1;
                my @more = @$lines[$i + 1 .. min($i + 9, $#$lines)];
                Test::More::fail("$name - pattern \"" . fmt_str($pat)
                    . "\" should not match any line in error.log but matches line \""
                    . fmt_str($lines->[$i]) . "\" (req $rep)\n" . join('', @more));
            }
        }
        for my $pat (grep { !$found{$_} } @$pats) {
            Test::More::pass("$name - pattern \"" . fmt_str($pat) . "\" does not match a line in error.log (req $rep)");
        }
    }

    if (!$dry_run) {
        $lines ||= error_log_data();
        for my $line (@$lines) {
            for my $lvl (sort keys %warn_on) {
                warn "WARNING: $name - " . fmt_str($line) . "\n" if $line =~ /\[$lvl\]/;
            }
            if ($line =~ /\bAssertion .*?failed\b/) {
                chomp(my $l = $line);
                Test::More::fail("$name - $l");
            }
        }
    }
}

# patterns that must (not) appear in the log written while the previous
# block's nginx shut down; checked when the next block stops it, or at END
sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines = error_log_data();
    my $skip = sub {
        my ($desc, $code) = @_;
        if ($dry_run) {
            SKIP: { Test::More::skip("$name - $desc - tests skipped due to dry_run", 1) }
        } else { $code->() }
    };
    if (defined $block->no_shutdown_error_log) {
        for my $pat (@{ pats_of($block->no_shutdown_error_log) }) {
            my ($hit) = grep { line_matches($_, $pat) } @$lines;
            $skip->('no_shutdown_error_log', sub {
                Test::More::ok(!defined $hit, "$name - pattern \"" . fmt_str($pat)
                    . "\" does not match a line in error.log"
                    . (defined $hit ? " (matches \"" . fmt_str($hit) . "\")" : ''));
            });
        }
    }
    for my $pat (@{ pats_of($block->shutdown_error_log) }) {
        my $hit = grep { line_matches($_, $pat) } @$lines;
        $skip->('shutdown_error_log', sub {
            Test::More::ok($hit, "$name - pattern \"$pat\" matches a line in error.log");
        });
    }
}

1;
