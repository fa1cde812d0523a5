# Secrets: the token, username and password of milvus_connect_param and the
# key and certificate paths of its dial_config are kept for the connection
# to the target only.  They never appear in create, get or list answers, nor
# in the error log (at the runner's debug level, which logs a lot), also
# when the create fails.
#
# Every secret below holds "S3cret"; each block's log is checked for all of
# them.  The worker and the helper process run under a master process, as
# in production; "--- wait" lets the helper start the task (and log) before
# the log is checked.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

our @Secrets = qw(
    S3cretTokenA S3cretUserB S3cretPassC S3cretTokenD S3cretUserE S3cretPassF
    /tmp/S3cretCaPath.pem /tmp/S3cretServerPemPath.pem
    /tmp/S3cretClientPemPath.pem /tmp/S3cretClientKeyPath.pem S3cretCert
);

# the get answer for a Task object
sub got ($) {
    my $t = shift;
    return qq({"code":200,"data":{"Task":$t,"task":$t}}\n);
}

# a Task with a dial_config of which only server_name is public
sub tls_task ($$) {
    my ($id, $scope) = @_;
    return qq({"task_id":"$id","milvus_connect_param":{"uri":") . target()
         . qq(","connect_timeout":5,"dial_config":{"server_name":"milvus.example"}},)
         . qq($scope,"state":"Running"});
}

# "--- … eval" sections run in package Test::Base::Filter
{
    no strict 'refs';
    *{"Test::Base::Filter::$_"} = \&{"main::$_"} for qw(got tls_task html_dir);
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value(http_config => "    milvus_cdc_store cdc_temp;\n")
        unless defined $block->http_config;
    $block->set_value(config => "    location = /cdc { milvus_cdc on; }\n")
        unless defined $block->config;
    $block->set_value(no_error_log => ['[alert]', '[crit]', @Secrets])
        unless defined $block->no_error_log;
    $block->set_value(wait => 0.5) unless defined $block->wait;
});

master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a token: not in create, get nor list answers, nor in the log
--- request eval
[create("tok", extra => ',"token":"root:S3cretTokenA"'),
 cdc('get', '{"task_id":"tok"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"tok"}}\n),
 got(task("tok", "Running")),
 tasks(task("tok", "Running"))]



=== TEST 2: a username and password, with uri
--- request eval
[create("up", extra => ',"username":"S3cretUserB","password":"S3cretPassC"'),
 cdc('get', '{"task_id":"up"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"up"}}\n),
 got(task("up", "Running")),
 tasks(task("up", "Running"))]



=== TEST 3: a username and password with the legacy host and port
--- request eval
my ($host, $port) = target() =~ m{^https?://([^:/]+):(\d+)};
[cdc('create', qq({"task_id":"legacy","milvus_connect_param":{"host":"$host","port":$port,"username":"S3cretUserB","password":"S3cretPassC","connect_timeout":7},"collection_infos":[{"name":"c1"}]})),
 cdc('get', '{"task_id":"legacy"}'),
 cdc('list')]
--- response_body eval
my $t = task("legacy", "Running", timeout => 7,
             scope => '"collection_infos":[{"name":"c1"}]');
[qq({"code":200,"data":{"task_id":"legacy"}}\n), got($t), tasks($t)]



=== TEST 4: a token, a username and a password together (the token wins)
--- request eval
[create("all", extra => ',"token":"root:S3cretTokenA","username":"S3cretUserB","password":"S3cretPassC"'),
 cdc('get', '{"task_id":"all"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"all"}}\n),
 got(task("all", "Running")),
 tasks(task("all", "Running"))]



=== TEST 5: the same, checked with response_body_unlike
--- request eval
[create("all", extra => ',"token":"root:S3cretTokenA","username":"S3cretUserB","password":"S3cretPassC"'),
 cdc('get', '{"task_id":"all"}'),
 cdc('list')]
--- response_body_unlike eval
["S3cret|token|password|username",
 "S3cret|token|password|username",
 "S3cret|token|password|username"]



=== TEST 6: a failed create (target unreachable) with a token
--- request eval
[create("down", uri => "http://127.0.0.1:1", extra => ',"token":"root:S3cretTokenD"'),
 cdc('list')]
--- response_body eval
[qq({"code":500,"message":"fail to connect the milvus: connection refused by 127.0.0.1:1"}\n),
 tasks()]



=== TEST 7: a failed create (target unreachable) with a username and password
--- request eval
[create("down", uri => "http://127.0.0.1:1",
        extra => ',"username":"S3cretUserE","password":"S3cretPassF"'),
 cdc('list')]
--- response_body eval
[qq({"code":500,"message":"fail to connect the milvus: connection refused by 127.0.0.1:1"}\n),
 tasks()]



=== TEST 8: a failed create (target unreachable), checked with response_body_unlike
--- request eval
[create("down", uri => "http://127.0.0.1:1",
        extra => ',"token":"root:S3cretTokenD","username":"S3cretUserE","password":"S3cretPassF"'),
 cdc('list')]
--- response_body_unlike eval
["S3cret", "S3cret"]



=== TEST 9: a refused create (bad input) holding secrets: the message names no secret
--- request eval
[create("bad", extra => ',"token":"root:S3cretTokenA","connect_timeout":-5'),
 create("bad", extra => ',"username":"S3cretUserB"'),
 create("bad", extra => ',"password":"S3cretPassC"'),
 cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.connect_timeout: must be 0 to 600 seconds"}\n),
 qq({"code":400,"message":"request_data.milvus_connect_param.username: cannot set only one of the milvus username and password"}\n),
 qq({"code":400,"message":"request_data.milvus_connect_param.username: cannot set only one of the milvus username and password"}\n),
 tasks()]



=== TEST 10: dial_config paths (plain http target): only server_name is returned
--- request eval
[create("tls", extra => ',"token":"root:S3cretTokenA","dial_config":{"server_name":"milvus.example","server_pem_path":"/tmp/S3cretServerPemPath.pem","ca_pem_path":"/tmp/S3cretCaPath.pem","client_pem_path":"/tmp/S3cretClientPemPath.pem","client_key_path":"/tmp/S3cretClientKeyPath.pem"}'),
 cdc('get', '{"task_id":"tls"}'),
 cdc('list')]
--- response_body eval
my $t = tls_task("tls", '"collection_infos":[{"name":"*"}]');
[qq({"code":200,"data":{"task_id":"tls"}}\n), got($t), tasks($t)]



=== TEST 11: dial_config paths, checked with response_body_unlike
--- request eval
[create("tls", extra => ',"dial_config":{"server_name":"milvus.example","ca_pem_path":"/tmp/S3cretCaPath.pem","client_pem_path":"/tmp/S3cretClientPemPath.pem","client_key_path":"/tmp/S3cretClientKeyPath.pem"}'),
 cdc('get', '{"task_id":"tls"}'),
 cdc('list')]
--- response_body_unlike eval
["S3cret|_path", "S3cret|_path", "S3cret|_path"]



=== TEST 12: a failed TLS create: a missing CA file is not named in the answer nor the log
--- request eval
(my $uri = target()) =~ s{^\w+://}{https://};
[create("tls", uri => $uri, extra => ',"dial_config":{"ca_pem_path":"/tmp/S3cretCaPath.pem"}'),
 cdc('list')]
--- response_body_like eval
[qr/\A(?!.*S3cret)\{"code":500,"message":"fail to connect the milvus: .+"\}\n\z/s,
 qr/\A\{"code":200,"data":\{"tasks":\[\]\}\}\n\z/]



=== TEST 13: a failed TLS create: missing client certificate and key files are not named
--- request eval
(my $uri = target()) =~ s{^\w+://}{https://};
[create("tls", uri => $uri, extra => ',"dial_config":{"client_pem_path":"/tmp/S3cretClientPemPath.pem","client_key_path":"/tmp/S3cretClientKeyPath.pem"}'),
 cdc('list')]
--- response_body_like eval
[qr/\A(?!.*S3cret)\{"code":500,"message":"fail to connect the milvus: .+"\}\n\z/s,
 qr/\A\{"code":200,"data":\{"tasks":\[\]\}\}\n\z/]



=== TEST 14: a failed TLS create: a key without a certificate
--- request eval
(my $uri = target()) =~ s{^\w+://}{https://};
[create("tls", uri => $uri, extra => ',"token":"root:S3cretTokenA","dial_config":{"client_key_path":"/tmp/S3cretClientKeyPath.pem"}'),
 cdc('list')]
--- response_body eval
[qq({"code":500,"message":"fail to connect the milvus: TLS client certificate and key must be given together"}\n),
 tasks()]



=== TEST 15: a failed TLS create: an existing certificate, a missing key: neither is named
--- user_files
>>> S3cretCert.pem
-----BEGIN CERTIFICATE-----
MIIBdummy
-----END CERTIFICATE-----
--- request eval
(my $uri = target()) =~ s{^\w+://}{https://};
[create("tls", uri => $uri, extra => ',"dial_config":{"client_pem_path":"' . html_dir() . '/S3cretCert.pem","client_key_path":"/tmp/S3cretClientKeyPath.pem"}'),
 cdc('list')]
--- response_body_like eval
[qr/\A(?!.*S3cret)\{"code":500,"message":"fail to connect the milvus: .+"\}\n\z/s,
 qr/\A\{"code":200,"data":\{"tasks":\[\]\}\}\n\z/]



=== TEST 16: secrets stay out of a task paused and resumed, and of a delete
--- request eval
[create("pr", extra => ',"token":"root:S3cretTokenA"',
        data => ',"disable_auto_start":true'),
 cdc('get', '{"task_id":"pr"}'),
 cdc('resume', '{"task_id":"pr"}'),
 cdc('pause', '{"task_id":"pr"}'),
 cdc('list'),
 cdc('delete', '{"task_id":"pr"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"pr"}}\n),
 got(task("pr", "Paused")),
 qq({"code":200,"data":{}}\n),
 qq({"code":200,"data":{}}\n),
 tasks(task("pr", "Paused")),
 deleted(),
 tasks()]
