# Credentials in the target's address: a uri with user info
# ("http://user:password@host:port") or a legacy host with one is refused
# with a 400 that points to token (or username and password), and the
# credentials appear neither in the answer nor in the log (at the runner's
# debug level).  Nothing is stored, nothing is contacted.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value(http_config => "    milvus_cdc_store cdc_temp;\n")
        unless defined $block->http_config;
    $block->set_value(config => "    location = /cdc { milvus_cdc on; }\n")
        unless defined $block->config;
    $block->set_value(no_error_log => ['[error]', '[alert]', '[crit]',
                                       'S3cret'])
        unless defined $block->no_error_log;
});

master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a user name in the uri
--- request eval
[create("u1", uri => "http://S3cret\@127.0.0.1:1"), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.uri: user info in the URI is not supported, use token"}\n),
 tasks()]



=== TEST 2: a user name and password in an https uri with a trailing slash
--- request eval
[create("u2", uri => "https://root:S3cretPass\@127.0.0.1:1/"), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.uri: user info in the URI is not supported, use token"}\n),
 tasks()]



=== TEST 3: user info in a uri without a scheme
--- request eval
[create("u3", uri => "root:S3cretPass\@localhost"), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.uri: user info in the URI is not supported, use token"}\n),
 tasks()]



=== TEST 4: user info in an IPv6 uri
--- request eval
[create("u4", uri => "http://S3cret\@[::1]:1"), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.uri: user info in the URI is not supported, use token"}\n),
 tasks()]



=== TEST 5: user info in the legacy host
--- request eval
[cdc('create', '{"task_id":"u5","milvus_connect_param":{"host":"root:S3cretPass@127.0.0.1","port":1},"collection_infos":[{"name":"*"}]}'),
 cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.host: user info is not supported, use username and password"}\n),
 tasks()]



=== TEST 6: an "@" after the address is a path: refused as such, not echoed
--- request eval
[create("u6", uri => "http://127.0.0.1:1/x\@S3cret"), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.uri: must be scheme://host:port without a path"}\n),
 tasks()]



=== TEST 7: an invalid host is echoed without what follows the address
--- request eval
[create("u7", uri => "http://bad,host:1/?token=S3cret"), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.milvus_connect_param.uri: invalid host in \\"http://bad,host:1\\""}\n),
 tasks()]
