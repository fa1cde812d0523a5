# Bad input: every malformed, mistyped or refused request is answered in the
# envelope with code 400 (405 for a method other than POST) and an exact
# message, never crashes or confuses a worker, and leaves the task store as
# it was.
#
# A block with a "--- bad" section (the request; "--- bad eval" for
# generated ones) and the "--- response_body" expected for it becomes three
# requests: create the task "keep", the bad request, list -- and the list
# must still show "keep", Running.  The error log must hold no [error],
# [alert] (e.g. "header already sent", "worker process exited on signal")
# nor [crit].  A block with "--- chunked" sends its three bodies with
# Transfer-Encoding: chunked (then the runner sends a body byte for byte).

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

# "METHOD URI\nbody" -> the same request with a chunked body (one chunk)
sub chunked ($) {
    my ($line, $body) = split /\n/, shift, 2;
    $body //= '';
    return "$line\n" . (length $body
        ? sprintf("%x\r\n%s\r\n", length $body, $body) : '') . "0\r\n\r\n";
}

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

    my @requests = (create("keep"), $bad, cdc('list'));
    if (defined $block->chunked) {
        s/\n+\z// for @requests;
        @requests = map { chunked($_) } @requests;
        $block->set_value(more_headers => "Transfer-Encoding: chunked\n");
    }

    $block->set_value(request => \@requests);
    $block->set_value(response_body => [
        qq({"code":200,"data":{"task_id":"keep"}}\n),
        $error,
        tasks(task("keep", "Running")),
    ]);
});

# with a master process, a worker that crashes is logged ("[alert] ... exited
# on signal") and replaced, and the next requests are still answered
master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: not JSON
--- bad
POST /cdc
not json
--- response_body
{"code":400,"message":"request body: invalid JSON: lexical error: invalid string in json text"}



=== TEST 2: a JSON array
--- bad
POST /cdc
[{"request_type": "list"}]
--- response_body
{"code":400,"message":"request body: must be a JSON object"}



=== TEST 3: a JSON string
--- bad
POST /cdc
"list"
--- response_body
{"code":400,"message":"request body: must be a JSON object"}



=== TEST 4: truncated JSON
--- bad
POST /cdc
{"request_type": "li
--- response_body
{"code":400,"message":"request body: invalid JSON: parse error: premature EOF"}



=== TEST 5: empty body
--- bad
POST /cdc
--- response_body
{"code":400,"message":"request body: empty, a JSON object is expected"}



=== TEST 6: whitespace-only body (sent chunked: the runner would trim it)
--- chunked
--- bad eval
"POST /cdc\n \t\r\n  \n"
--- response_body
{"code":400,"message":"request body: empty, a JSON object is expected"}



=== TEST 7: a NUL byte in the body
--- bad eval
qq(POST /cdc\n{"request_type":"list"}\0)
--- response_body
{"code":400,"message":"request body: contains a NUL byte"}



=== TEST 8: request_type is a number
--- bad
POST /cdc
{"request_type": 1}
--- response_body
{"code":400,"message":"request_type: must be a string"}



=== TEST 9: request_data is a string
--- bad
POST /cdc
{"request_type": "get", "request_data": "keep"}
--- response_body
{"code":400,"message":"request_data: must be an object"}



=== TEST 10: task_id is a number
--- bad
POST /cdc
{"request_type": "get", "request_data": {"task_id": 1}}
--- response_body
{"code":400,"message":"request_data.task_id: must be a string"}



=== TEST 11: create: connect_timeout is a string
--- bad eval
create("bad", extra => ',"connect_timeout":"10"')
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.connect_timeout: must be an integer number of seconds"}



=== TEST 12: create: collection_infos is an object
--- bad eval
create("bad", scope => '"collection_infos":{"name":"*"}')
--- response_body
{"code":400,"message":"request_data.collection_infos: must be an array"}



=== TEST 13: create: disable_auto_start is a string
--- bad eval
create("bad", data => ',"disable_auto_start":"true"')
--- response_body
{"code":400,"message":"request_data.disable_auto_start: must be a boolean"}



=== TEST 14: create: the legacy port is a string
--- bad eval
my ($host, $port) = target() =~ m{^https?://([^:/]+):(\d+)};
cdc('create', qq({"task_id":"bad","milvus_connect_param":{"host":"$host","port":"$port"},"collection_infos":[{"name":"*"}]}))
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.port: must be an integer"}



=== TEST 15: create: the legacy port is out of range
--- bad eval
my ($host) = target() =~ m{^https?://([^:/]+)};
cdc('create', qq({"task_id":"bad","milvus_connect_param":{"host":"$host","port":65536},"collection_infos":[{"name":"*"}]}))
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.port: must be 1 to 65535 when host is used"}



=== TEST 16: unknown request_type
--- bad
POST /cdc
{"request_type": "drop", "request_data": {"task_id": "keep"}}
--- response_body
{"code":400,"message":"invalid 'request_type' param, can be set [create, delete, pause, resume, get, list, position]"}



=== TEST 17: unknown top-level field
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": "keep"}, "force": true}
--- response_body
{"code":400,"message":"request body: unknown field \"force\""}



=== TEST 18: create: unknown field in request_data
--- bad eval
create("bad", data => ',"replicas":2')
--- response_body
{"code":400,"message":"request_data: unknown field \"replicas\""}



=== TEST 19: create: unknown field in milvus_connect_param
--- bad eval
create("bad", extra => ',"db_name":"default"')
--- response_body
{"code":400,"message":"request_data.milvus_connect_param: unknown field \"db_name\""}



=== TEST 20: list: unknown field in request_data
--- bad
POST /cdc
{"request_type": "list", "request_data": {"state": "Running"}}
--- response_body
{"code":400,"message":"request_data: unknown field \"state\""}



=== TEST 21: missing request_type
--- bad
POST /cdc
{"request_data": {"task_id": "keep"}}
--- response_body
{"code":400,"message":"request_type: required"}



=== TEST 22: get without request_data
--- bad
POST /cdc
{"request_type": "get"}
--- response_body
{"code":400,"message":"request_data.task_id: required, task_id is empty"}



=== TEST 23: pause without task_id
--- bad
POST /cdc
{"request_type": "pause", "request_data": {}}
--- response_body
{"code":400,"message":"request_data.task_id: required, task_id is empty"}



=== TEST 24: resume with a null task_id
--- bad
POST /cdc
{"request_type": "resume", "request_data": {"task_id": null}}
--- response_body
{"code":400,"message":"request_data.task_id: required, task_id is empty"}



=== TEST 25: delete without task_id
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"ignore_not_found": true}}
--- response_body
{"code":400,"message":"request_data.task_id: required, task_id is empty"}



=== TEST 26: pause with an empty task_id
--- bad
POST /cdc
{"request_type": "pause", "request_data": {"task_id": ""}}
--- response_body
{"code":400,"message":"request_data.task_id: required, task_id is empty"}



=== TEST 27: delete with an empty task_id
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": ""}}
--- response_body
{"code":400,"message":"request_data.task_id: required, task_id is empty"}



=== TEST 28: pause of "keep" with an unknown field: "keep" stays Running
--- bad
POST /cdc
{"request_type": "pause", "request_data": {"task_id": "keep", "force": true}}
--- response_body
{"code":400,"message":"request_data: unknown field \"force\""}



=== TEST 29: pause of "keep" with task_id as an array: "keep" stays Running
--- bad
POST /cdc
{"request_type": "pause", "request_data": {"task_id": ["keep"]}}
--- response_body
{"code":400,"message":"request_data.task_id: must be a string"}



=== TEST 30: resume of a Running "keep": refused, stays Running
--- bad
POST /cdc
{"request_type": "resume", "request_data": {"task_id": "keep"}}
--- response_body
{"code":400,"message":"the task has running, task_id: keep"}



=== TEST 31: delete of "keep" with ignore_not_found a string: "keep" stays
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": "keep", "ignore_not_found": "yes"}}
--- response_body
{"code":400,"message":"request_data.ignore_not_found: must be a boolean"}



=== TEST 32: delete of "KEEP": ids are case-sensitive, "keep" stays
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": "KEEP"}}
--- response_body
{"code":400,"message":"not found the task, task_id: KEEP"}



=== TEST 33: GET: 405
--- bad
GET /cdc
--- response_body
{"code":405,"message":"only support the POST method"}



=== TEST 34: PUT with a valid pause body: 405, "keep" stays Running
--- bad
PUT /cdc
{"request_type": "pause", "request_data": {"task_id": "keep"}}
--- response_body
{"code":405,"message":"only support the POST method"}



=== TEST 35: DELETE with a valid delete body: 405, "keep" stays
--- bad
DELETE /cdc
{"request_type": "delete", "request_data": {"task_id": "keep"}}
--- response_body
{"code":405,"message":"only support the POST method"}



=== TEST 36: a valid delete of "keep" padded over the 64k body limit (Content-Length)
--- bad eval
cdc('delete', '{"task_id":"keep"}' . (' ' x 70000))
--- response_body
{"code":400,"message":"request body: larger than 65536 bytes"}



=== TEST 37: the same, chunked (no Content-Length: the limit is checked on the body read)
--- chunked
--- bad eval
cdc('delete', '{"task_id":"keep"}' . (' ' x 70000))
--- response_body
{"code":400,"message":"request body: larger than 65536 bytes"}



=== TEST 38: a smaller milvus_cdc_max_body_size
--- config
    location = /cdc { milvus_cdc on; milvus_cdc_max_body_size 300; }
--- bad eval
cdc('delete', '{"task_id":"keep","ignore_not_found":false' . (' ' x 300) . '}')
--- response_body
{"code":400,"message":"request body: larger than 300 bytes"}



=== TEST 39: create: a collection name of 256 bytes
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"' . ('c' x 256) . '"}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].name: the name is longer than 255 bytes"}



=== TEST 40: create: an empty collection name
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1"},{"name":""}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[1].name: there is a name that is empty"}



=== TEST 41: create: a collection name with invalid characters
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"my-coll"}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].name: a name must start with a letter or \"_\" and hold only letters, digits and \"_\" (or be \"*\")"}



=== TEST 42: create: a database name with invalid characters
--- bad eval
create("bad", scope => '"db_collections":{"1db":[{"name":"c1"}]}')
--- response_body
{"code":400,"message":"request_data.db_collections: a name must start with a letter or \"_\" and hold only letters, digits and \"_\" (or be \"*\")"}



=== TEST 43: create: non-UTF-8 bytes inside a JSON string
--- bad eval
create("bad", scope => qq("collection_infos":[{"name":"c\xff\xfe1"}]))
--- response_body
{"code":400,"message":"request body: invalid JSON: lexical error: invalid bytes in UTF8 string"}



=== TEST 44: duplicate top-level key
--- bad
POST /cdc
{"request_type": "list", "request_type": "delete", "request_data": {"task_id": "keep"}}
--- response_body
{"code":400,"message":"request body: duplicate key \"request_type\""}



=== TEST 45: duplicate nested key
--- bad
POST /cdc
{"request_type": "delete", "request_data": {"task_id": "nope", "task_id": "keep"}}
--- response_body
{"code":400,"message":"request body: duplicate key \"task_id\""}



=== TEST 46: 1000 nested arrays
--- bad eval
"POST /cdc\n" . ('[' x 1000)
--- response_body
{"code":400,"message":"request body: JSON nested deeper than 16 levels"}



=== TEST 47: 17 levels of nesting (the limit is 16)
--- bad eval
cdc('list', ('{"a":' x 16) . '1' . ('}' x 16))
--- response_body
{"code":400,"message":"request body: JSON nested deeper than 16 levels"}



=== TEST 48: an object with 257 fields
--- bad eval
cdc('list', '{' . CORE::join(',', map { qq("k$_":$_) } 1 .. 257) . '}')
--- response_body
{"code":400,"message":"request body: an object has more than 256 fields"}



=== TEST 49: create: connect_timeout negative
--- bad eval
create("bad", extra => ',"connect_timeout":-1')
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.connect_timeout: must be 0 to 600 seconds"}



=== TEST 50: create: uri with the scheme ftp://
--- bad eval
(my $uri = target()) =~ s{^\w+://}{ftp://};
create("bad", uri => $uri)
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.uri: the scheme must be http:// or https://"}



=== TEST 51: create: uri with a path
--- bad eval
create("bad", uri => target() . "/v2/vectordb")
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.uri: must be scheme://host:port without a path"}



=== TEST 52: create: no target address
--- bad
POST /cdc
{"request_type": "create", "request_data": {"task_id": "bad", "milvus_connect_param": {"token": "root:Milvus"}, "collection_infos": [{"name": "*"}]}}
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.uri: required, the target Milvus address is empty"}



=== TEST 53: create: both collection_infos and db_collections
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1"}],"db_collections":{"db1":[{"name":"c1"}]}')
--- response_body
{"code":400,"message":"request_data: set either collection_infos or db_collections, not both"}



=== TEST 54: create: neither collection_infos nor db_collections
--- bad eval
cdc('create', '{"task_id":"bad","milvus_connect_param":{"uri":"' . target() . '"}}')
--- response_body
{"code":400,"message":"request_data.collection_infos: required, the collection info is empty"}



=== TEST 55: create: "*" together with another collection
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1"},{"name":"*"}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[1].name: \"*\" must be the only collection info"}



=== TEST 56: create: kafka_connect_param given
--- bad eval
create("bad", data => ',"kafka_connect_param":{"address":"127.0.0.1:9092","topic":"cdc"}')
--- response_body
{"code":400,"message":"request_data.kafka_connect_param: a Kafka sink is not supported, use milvus_connect_param"}



=== TEST 57: create: username without password
--- bad eval
create("bad", extra => ',"username":"root"')
--- response_body
{"code":400,"message":"request_data.milvus_connect_param.username: cannot set only one of the milvus username and password"}



=== TEST 58: create: positions on "*"
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"*","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"CgRkbWxfMA=="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions: the collection name is `*`, the positions should be empty"}



=== TEST 59: create: a position key that is not a vchannel
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0":"CgRkbWxfMA=="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions: the position channel name is not virtual channel, by-dev-rootcoord-dml_0"}



=== TEST 60: create: a task_id with invalid characters
--- bad eval
cdc('create', '{"task_id":"bad id","milvus_connect_param":{"uri":"' . target() . '"},"collection_infos":[{"name":"c1"}]}')
--- response_body
{"code":400,"message":"request_data.task_id: only letters, digits, \"_\", \"-\" and \".\" are allowed"}



=== TEST 61: create of "keep" again with a bad field: refused, "keep" unchanged
--- bad eval
create("keep", data => ',"disable_auto_start":1')
--- response_body
{"code":400,"message":"request_data.disable_auto_start: must be a boolean"}



=== TEST 62: bad task_id requests as the first request of a fresh worker
A worker that has not opened its task store yet must answer them as well.
--- request eval
[cdc('get', '{}'), cdc('pause', '{"task_id":1}'), cdc('delete', '{"x":1}'), cdc('list')]
--- response_body eval
[qq({"code":400,"message":"request_data.task_id: required, task_id is empty"}\n),
 qq({"code":400,"message":"request_data.task_id: must be a string"}\n),
 qq({"code":400,"message":"request_data: unknown field \\"x\\""}\n),
 tasks()]



=== TEST 63: create: a position whose MsgPosition names another channel
A position's channel_name must be the key (the vchannel) or its pchannel.
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"ChZieS1kZXYtcm9vdGNvb3JkLWRtbF8xEgjSBAAAAAAAACCAgLSn2pOunwY="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions.by-dev-rootcoord-dml_0_448845390234567890v0: the MsgPosition's channel_name \"by-dev-rootcoord-dml_1\" is neither the key nor its pchannel \"by-dev-rootcoord-dml_0\""}



=== TEST 64: create: a position that is not base64
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"not base64!"}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions.by-dev-rootcoord-dml_0_448845390234567890v0: must be a base64 string"}



=== TEST 65: create: a position that is base64 but no MsgPosition
"////" decodes to 0xff 0xff 0xff, an unfinished varint.
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"////"}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions.by-dev-rootcoord-dml_0_448845390234567890v0: must be a base64 msgpb.MsgPosition, it does not decode as one"}



=== TEST 66: create: a position whose msgID is not a Kafka msgID
Kafka's msgID is the offset as 8 bytes; this one has 4.
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"ChZieS1kZXYtcm9vdGNvb3JkLWRtbF8wEgQBAgMEIICAtKfak66fBg=="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions.by-dev-rootcoord-dml_0_448845390234567890v0: the MsgPosition's msgID is 4 bytes, a Kafka msgID is 8"}



=== TEST 67: create: the positions of two collections in one collection info
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"CitieS1kZXYtcm9vdGNvb3JkLWRtbF8wXzQ0ODg0NTM5MDIzNDU2Nzg5MHYwEgjSBAAAAAAAACCAgLSn2pOunwY=","by-dev-rootcoord-dml_1_448845390234567891v1":"ChZieS1kZXYtcm9vdGNvb3JkLWRtbF8xEghjAAAAAAAAACCAgLSn2pOunwY="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[0].positions: the channel position info should be in the same collection"}



=== TEST 68: create: the second collection info's positions are checked too
The first info's position is good (its channel_name is the vchannel); the
second one's names a channel that is not its own.
--- bad eval
create("bad", scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"CitieS1kZXYtcm9vdGNvb3JkLWRtbF8wXzQ0ODg0NTM5MDIzNDU2Nzg5MHYwEgjSBAAAAAAAACCAgLSn2pOunwY="}},{"name":"c2","positions":{"by-dev-rootcoord-dml_0_448845390234567891v0":"ChZieS1kZXYtcm9vdGNvb3JkLWRtbF8xEghjAAAAAAAAACCAgLSn2pOunwY="}}]')
--- response_body
{"code":400,"message":"request_data.collection_infos[1].positions.by-dev-rootcoord-dml_0_448845390234567891v0: the MsgPosition's channel_name \"by-dev-rootcoord-dml_1\" is neither the key nor its pchannel \"by-dev-rootcoord-dml_0\""}
