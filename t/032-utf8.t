# Text that is not UTF-8: JSON strings are checked strictly (RFC 3629: no
# UTF-16 surrogates, encoded or escaped, no overlong forms, nothing above
# U+10FFFF) when the body is parsed, keys and values alike.  Such a request
# is answered 400 with a message naming the field, nothing is stored, and no
# answer ever holds a byte sequence that is not UTF-8.
#
# As in t/030-bad-input.t, a "--- bad" block becomes three requests: create
# the task "keep", the bad request, list -- which must still show "keep",
# Running, and must be valid UTF-8.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value(http_config => "    milvus_cdc_store cdc_temp;\n")
        unless defined $block->http_config;
    $block->set_value(config => "    location = /cdc { milvus_cdc on; }\n")
        unless defined $block->config;
    $block->set_value(no_error_log => ['[error]', '[alert]', '[crit]'])
        unless defined $block->no_error_log;

    my $bad = $block->bad;
    return unless defined $bad;

    my $error = $block->response_body;
    defined $error or die $block->name . ": --- bad without --- response_body\n";

    $block->set_value(request => [create("keep"), $bad, cdc('list')]);
    $block->set_value(response_body => [
        qq({"code":200,"data":{"task_id":"keep"}}\n),
        $error,
        tasks(task("keep", "Running")),
    ]);
});

master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a lone low surrogate (escaped) in a field name
--- bad
POST /cdc
{"request_type": "list", "request_data": {"\udc00": 1}}
--- response_body
{"code":400,"message":"request_data: a field name is not valid UTF-8"}



=== TEST 2: a lone high surrogate (escaped) in request_type
--- bad
POST /cdc
{"request_type": "li\ud800st"}
--- response_body
{"code":400,"message":"request_type: not valid UTF-8"}



=== TEST 3: a high surrogate followed by another escape that is no low surrogate
--- bad
POST /cdc
{"request_type": "get", "request_data": {"task_id": "\ud800\u0041"}}
--- response_body
{"code":400,"message":"request_data.task_id: not valid UTF-8"}



=== TEST 4: an encoded surrogate (ED A0 80) in dial_config.server_name: not stored
--- bad eval
create("bad", uri => source(), extra => qq(,"dial_config":{"server_name":"a\xed\xa0\x80b"}))
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.dial_config.server_name: not valid UTF-8"}



=== TEST 5: an escaped lone surrogate in a positions key: not stored
--- bad eval
create("bad", uri => source(), scope => '"collection_infos":[{"name":"c1","positions":{"by-dev\udc00-dml_0_448845390234567890v0":"CgRkbWxfMA=="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions: a field name is not valid UTF-8"}



=== TEST 6: an overlong "/" (C0 AF) in a field name
--- bad eval
"POST /cdc\n" . qq({"request_type": "list", "request_data": {"\xc0\xaf": 1}})
--- response_body
{"code":400,"message":"request_data: a field name is not valid UTF-8"}



=== TEST 7: a character above U+10FFFF (F4 90 80 80) in a collection name
--- bad eval
create("bad", uri => source(), scope => qq("collection_infos":[{"name":"c1"},{"name":"\xf4\x90\x80\x80"}]))
--- response_body
{"code":400,"message":"request_data.collection_infos[1].name: not valid UTF-8"}



=== TEST 8: an escaped NUL in task_id (C strings would end there)
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": "keep\u0000x"}}
--- response_body
{"code":400,"message":"request_data.task_id: contains a NUL character"}



=== TEST 9: an escaped NUL in a field name hides a duplicate
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": "nope", "task_id\u0000": "keep"}}
--- response_body
{"code":400,"message":"request_data: a field name contains a NUL character"}



=== TEST 10: a valid surrogate pair is one character, echoed as UTF-8
--- bad
POST /cdc
{"request_type": "list", "request_data": {"\ud83d\ude00": 1}}
--- response_body
{"code":400,"message":"request_data: unknown field \"😀\""}



=== TEST 11: the longest valid characters of each length are accepted
--- bad eval
"POST /cdc\n" . qq({"request_type": "list", "request_data": {"\x7f\xdf\xbf\xef\xbf\xbd\xf4\x8f\xbf\xbf": 1}})
--- response_body eval
qq({"code":400,"message":"request_data: unknown field \\"\x7f\xdf\xbf\xef\xbf\xbd\xf4\x8f\xbf\xbf\\""}\n)



=== TEST 12: a row stored before these checks: listed with "?" for what is not UTF-8
A task written by an older build with ED A0 80 in dial_config.server_name:
the answer replaces the three bytes, and says so in the log.
--- init
my $db = Test::Nginx::Util::server_root() . "/cdc_temp/tasks.db";
for (1 .. 50) { last if -s $db; select undef, undef, undef, 0.1 }
my $cp = unpack 'H*', qq({"uri":"http://h:1","connect_timeout":5,)
                      . qq("dial_config":{"server_name":"a\xed\xa0\x80"}});
my $sql = "INSERT INTO tasks VALUES('old', 'http://h:1', 'h:1', 0, '', '{}', "
        . "CAST(X'$cp' AS TEXT), '{\"collection_infos\":[{\"name\":\"*\"}]}', "
        . "'*.*\n', 5000, 2, '', 0, 0);";
system('sqlite3', '-cmd', '.timeout 2000', $db, $sql) == 0
    or die "sqlite3: $?\n";
--- request eval
[cdc('list'), cdc('get', '{"task_id":"old"}')]
--- response_body eval
my $t = '{"task_id":"old","milvus_connect_param":{"uri":"http://h:1",'
      . '"connect_timeout":5,"dial_config":{"server_name":"a???"}},'
      . '"collection_infos":[{"name":"*"}],"state":"Paused"}';
[tasks($t), qq({"code":200,"data":{"Task":$t,"task":$t}}\n)]
--- error_log
an answer held bytes that are not UTF-8, replaced by "?"
--- no_error_log
[alert]
[crit]
