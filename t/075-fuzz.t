# A bounded, seeded fuzz of the task API: a few thousand requests made
# from valid ones by mutations (values of other types, strings with lone
# surrogates, invalid or overlong UTF-8, NULs, comments, deep nesting,
# duplicate keys, truncation, random bytes), sent one after the other to
# two workers with an 8m body limit.  Every request must be answered within
# 5 s with a JSON envelope ({"code": 200|400|500, …}, a "message" unless
# 200) in valid UTF-8; afterwards list answers, the store passes sqlite's
# integrity_check and no worker exited on a signal (no [alert]).
#
# TEST_NGINX_FUZZ_SEED (default 20261202) and TEST_NGINX_FUZZ_N (default
# 6000) change the run; a failure names the seed and the request.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use Encode ();
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use Time::HiRes qw(time);

our $Seed = $ENV{TEST_NGINX_FUZZ_SEED} || 20261202;
our $N = $ENV{TEST_NGINX_FUZZ_N} || 6000;

# one request on its own connection: the answer's body, or undef
sub post ($$) {
    my ($body, $timeout) = @_;
    my $start = time;
    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => Test::Nginx::Util::server_port_for_client(),
        Proto    => 'tcp',
        Timeout  => $timeout,
    ) or return undef;
    print $s "POST /cdc HTTP/1.0\r\nHost: localhost\r\n"
           . "Content-Type: application/json\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    my ($sel, $resp) = (IO::Select->new($s), '');
    while (1) {
        my $left = $start + $timeout - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $n = sysread $s, $resp, 65536, length $resp;
        last unless $n;
    }
    close $s;
    return $resp =~ /\r\n\r\n(.*)\z/s ? $1 : undef;
}

# --- values: a hash or array ref, or a scalar that is JSON text already

my @Ids = map { "f$_" } 1 .. 6;

sub pick { $_[int rand @_] }

sub str ($) { '"' . $_[0] . '"' }

# the content of a JSON string, sometimes hostile
sub text () {
    my @parts = (
        'c1', 'default', '*', 'keep', 'x' x 300, 'a b', 'my-coll',
        "\\udc00", "\\ud800", "\\ud800\\u0041", "\\ud83d\\ude00", "\\u0000",
        "\xed\xa0\x80", "\xed\xb0\x80", "\xff\xfe", "\xc0\xaf",
        "\xf4\x90\x80\x80", "\xe2\x82", "\xc3\xa9", "\\\"", "\\\\", "\\n",
        "http://S3cret\@127.0.0.1:1", "/dev/zero", "by-dev-rootcoord-dml_0",
    );
    return join '', map { pick(@parts) } 1 .. 1 + int rand 3;
}

sub nested ($) {
    my $d = shift;
    my $v = '1';
    $v = rand() < 0.5 ? [$v] : { a => $v } for 1 .. $d;
    return $v;
}

# a value of any type
sub any_value ();
sub any_value () {
    my $r = rand;
    return str(text()) if $r < 0.3;
    return pick('0', '-1', '1', '65536', '99999999999999999999', '1e999',
                '-0.5', '1.5e3') if $r < 0.45;
    return pick('true', 'false', 'null') if $r < 0.6;
    return [map { any_value() } 1 .. int rand 3] if $r < 0.7;
    return { map { text() => any_value() } 1 .. int rand 3 } if $r < 0.8;
    return nested(10 + int rand 15) if $r < 0.97;
    return ('[' x 20000) . '1' . (']' x 20000);
}

sub create_data () {
    my $uri = rand() < 0.03 ? target() : pick('http://127.0.0.1:1',
              'https://127.0.0.1:1', 'tcp://localhost:1', '127.0.0.1:1');
    my %cp = (uri => str($uri), connect_timeout => '1');
    $cp{token} = str('root:S3cretToken') if rand() < 0.5;
    $cp{dial_config} = { server_name => str(text()),
                         ca_pem_path => str(pick('/dev/zero', '/tmp',
                                                 '/nonexistent')) }
        if rand() < 0.3;
    my %d = (milvus_connect_param => \%cp);
    $d{task_id} = str(pick(@Ids)) if rand() < 0.8;
    if (rand() < 0.7) {
        my %info = (name => str(pick('*', 'c1', 'c2', text())));
        $info{positions} = { 'by-dev-rootcoord-dml_0_448845390234567890v0'
                             => str('CgRkbWxfMA==') } if rand() < 0.2;
        $d{collection_infos} = [\%info];
    } else {
        $d{db_collections} = { pick('db1', '*', text())
                               => [{ name => str(pick('*', 'c1')) }] };
    }
    $d{disable_auto_start} = pick('true', 'false') if rand() < 0.3;
    return \%d;
}

sub request () {
    my $type = pick(qw(create create create list get pause resume delete
                       position));
    my $data;
    if ($type eq 'create') {
        $data = create_data();
    } elsif ($type ne 'list') {
        $data = { task_id => str(pick(@Ids)) };
        $data->{ignore_not_found} = 'true' if $type eq 'delete'
                                              && rand() < 0.5;
    }
    my $req = { request_type => str($type) };
    $req->{request_data} = $data if defined $data || rand() < 0.2;
    $req->{request_data} //= '{}';
    return $req;
}

# replaces one value somewhere in the tree by any value
sub mutate_tree ($) {
    my $v = shift;
    my @path;
    while (ref $v && rand() < 0.7) {
        if (ref $v eq 'HASH') {
            my @k = keys %$v or last;
            my $k = pick(@k);
            if (!ref $v->{$k} || rand() < 0.4) {
                $v->{$k} = any_value();
                return;
            }
            $v = $v->{$k};
        } else {
            @$v or last;
            my $i = int rand @$v;
            if (!ref $v->[$i] || rand() < 0.4) {
                $v->[$i] = any_value();
                return;
            }
            $v = $v->[$i];
        }
    }
    if (ref $v eq 'HASH') {
        $v->{rand() < 0.5 ? text() : 'extra'} = any_value();
    } elsif (ref $v eq 'ARRAY') {
        push @$v, any_value();
    }
}

sub encode_value ($);
sub encode_value ($) {
    my $v = shift;
    return $v unless ref $v;
    return '[' . join(',', map { encode_value($_) } @$v) . ']'
        if ref $v eq 'ARRAY';
    return '{' . join(',', map { str($_) . ':' . encode_value($v->{$_}) }
                               sort keys %$v) . '}';
}

# byte-level mutations of the text
sub mutate_text ($) {
    my $t = shift;
    my $r = rand;
    my $at = int rand(length($t) + 1);
    return substr($t, 0, $at) if $r < 0.15;
    if ($r < 0.3) {
        substr($t, $at, 0) = pick('/* c */', '// c', '/*"*/', "\0", "\xff",
                                  "\xed\xa0\x80", '"', '\\', ',', '}', ']',
                                  '{', '[', ':');
        return $t;
    }
    if ($r < 0.4) {
        # a duplicate key at the top level
        $t =~ s/^\{/{"request_type":"list",/;
        return $t;
    }
    if ($r < 0.41) {
        return ('[' x 120000) . $t;
    }
    if ($r < 0.415) {
        return '{"request_type":"list","request_data":/*"*/'
               . ('[' x 120000) . (']' x 120000) . '}';
    }
    return $t;
}

# $n requests; returns the number of failures and the first three of each
# kind
sub fuzz ($$) {
    my ($seed, $n) = @_;
    srand $seed;
    my (@fail, $failed, %kinds);
    my $json = JSON::PP->new->allow_nonref(0);
    for my $i (1 .. $n) {
        my $req = request();
        mutate_tree($req) for 1 .. int rand 3;
        my $text = encode_value($req);
        $text = mutate_text($text) if rand() < 0.4;

        my $body = post($text, 5);
        my $why;
        if (!defined $body || $body eq '') {
            $why = 'no answer';
        } else {
            my $chars = eval {
                Encode::decode('UTF-8', my $copy = $body, Encode::FB_CROAK)
            };
            if (!defined $chars) {
                $why = 'not UTF-8';
            } else {
                my $v = eval { $json->decode($chars) };
                if (ref $v ne 'HASH' || !defined $v->{code}) {
                    $why = 'not a JSON envelope';
                } elsif ($v->{code} !~ /^(?:200|400|500)\z/
                         || ($v->{code} != 200
                             && !length($v->{message} // '')))
                {
                    $why = 'unexpected code or no message';
                }
            }
        }
        next unless defined $why;
        $failed++;
        push @fail, "seed $seed, request $i: $why: "
                    . substr($text, 0, 200) . ' => '
                    . substr($body // '', 0, 200) if $kinds{$why}++ < 3;
    }
    return ($failed // 0, @fail);
}

{
    no strict 'refs';
    *{"Test::Base::Filter::$_"} = \&{"main::$_"} for qw(fuzz);
}

workers(2);
master_on();
log_level('warn');
timeout(10);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: fuzzed requests are all answered in JSON and UTF-8; the store stays sound
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc {
        milvus_cdc on;
        milvus_cdc_max_body_size 8m;
        client_max_body_size 8m;
    }
--- init
my $start = Time::HiRes::time();
my ($failed, @fail) = main::fuzz($main::Seed, $main::N);
Test::More::diag($_) for @fail;
Test::More::is($failed, 0, "$main::N fuzzed requests (seed $main::Seed) "
               . sprintf("in %.0f s", Time::HiRes::time() - $start)
               . ": every one answered in JSON and UTF-8");
my $db = Test::Nginx::Util::server_root() . "/cdc_temp/tasks.db";
my $check = `sqlite3 '$db' 'pragma integrity_check'`;
Test::More::is($check, "ok\n", "the task store passes integrity_check");
--- request eval
cdc('list')
--- response_body_like
^\{"code":200,"data":\{"tasks":\[.*\]\}\}$
--- no_error_log
[alert]
[crit]
