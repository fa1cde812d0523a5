# The task API: every request type, success and failure, exact bodies.
# Creates contact the test bench's target Milvus (TEST_NGINX_TARGET_URI).

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: list with no task
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request
POST /cdc
{"request_type": "list"}
--- response_headers
Content-Type: application/json
--- response_body
{"code":200,"data":{"tasks":[]}}



=== TEST 2: create without task_id: a 32-hex id, the task is Running
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create(undef), cdc('list')]
--- response_body_like eval
[qr/^\{"code":200,"data":\{"task_id":"[0-9a-f]{32}"\}\}\n\z/,
 qr/^\{"code":200,"data":\{"tasks":\[\{"task_id":"[0-9a-f]{32}","milvus_connect_param":\{"uri":"http:\/\/[^"]+","connect_timeout":5\},"collection_infos":\[\{"name":"\*"\}\],"state":"Running"\}\]\}\}\n\z/]
--- no_error_log
[error]



=== TEST 3: create with task_id, then get (data.Task and data.task) and list
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("t1", extra => ',"token":"root:Milvus","connect_timeout":10'),
 cdc('get', '{"task_id":"t1"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"t1"}}\n),
 '{"code":200,"data":{"Task":' . task("t1", "Running", timeout => 10)
     . ',"task":' . task("t1", "Running", timeout => 10) . "}}\n",
 tasks(task("t1", "Running", timeout => 10))]



=== TEST 4: create is idempotent on task_id
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("same"), create("same"), cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"same"}}\n),
 qq({"code":200,"data":{"task_id":"same"}}\n),
 tasks(task("same", "Running"))]



=== TEST 5: pause and resume, and both refused from the wrong state
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("t5"),
 cdc('pause', '{"task_id":"t5"}'),
 cdc('get', '{"task_id":"t5"}'),
 cdc('pause', '{"task_id":"t5"}'),
 cdc('resume', '{"task_id":"t5"}'),
 cdc('resume', '{"task_id":"t5"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"t5"}}\n),
 qq({"code":200,"data":{}}\n),
 '{"code":200,"data":{"Task":' . task("t5", "Paused")
     . ',"task":' . task("t5", "Paused") . "}}\n",
 qq({"code":400,"message":"the task has paused, task_id: t5"}\n),
 qq({"code":200,"data":{}}\n),
 qq({"code":400,"message":"the task has running, task_id: t5"}\n),
 tasks(task("t5", "Running"))]



=== TEST 6: delete, then the task is gone; ignore_not_found
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("t6"),
 cdc('delete', '{"task_id":"t6"}'),
 cdc('get', '{"task_id":"t6"}'),
 cdc('delete', '{"task_id":"t6"}'),
 cdc('delete', '{"task_id":"t6","ignore_not_found":true}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"t6"}}\n),
 deleted(),
 qq({"code":400,"message":"not found the task, task_id: t6"}\n),
 qq({"code":400,"message":"not found the task, task_id: t6"}\n),
 qq({"code":200,"data":{}}\n),
 tasks()]



=== TEST 7: get, pause, resume and position of an unknown task
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[cdc('get', '{"task_id":"nope"}'),
 cdc('pause', '{"task_id":"nope"}'),
 cdc('resume', '{"task_id":"nope"}'),
 cdc('position', '{"task_id":"nope"}')]
--- response_body eval
[qq({"code":400,"message":"not found the task, task_id: nope"}\n),
 qq({"code":400,"message":"not found the task, task_id: nope"}\n),
 qq({"code":400,"message":"not found the task, task_id: nope"}\n),
 qq({"code":400,"message":"not found the task, task_id: nope"}\n)]



=== TEST 8: disable_auto_start creates the task Paused
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("t8", data => ',"disable_auto_start":true'), cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"t8"}}\n), tasks(task("t8", "Paused"))]



=== TEST 9: a second task with an overlapping scope on the same target is refused; another target is not
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("all"),
 create("one", scope => '"collection_infos":[{"name":"c1"}]'),
 create("other", uri => source(), scope => '"collection_infos":[{"name":"c1"}]'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"all"}}\n),
 qq({"code":400,"message":"request_data: the collection name is duplicate with existing task all on the same target, [default.c1]"}\n),
 qq({"code":200,"data":{"task_id":"other"}}\n),
 tasks(task("all", "Running"),
       task("other", "Running", uri => source(),
            scope => '"collection_infos":[{"name":"c1"}]'))]



=== TEST 10: db_collections scopes: disjoint ones coexist, "*" overlaps
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("d1", scope => '"db_collections":{"db1":[{"name":"c1"}]}'),
 create("d2", scope => '"db_collections":{"db2":[{"name":"*"}],"db1":[{"name":"c2"}]}'),
 create("d3", scope => '"db_collections":{"*":[{"name":"c1"}]}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"d1"}}\n),
 qq({"code":200,"data":{"task_id":"d2"}}\n),
 qq({"code":400,"message":"request_data: the collection name is duplicate with existing task d1 on the same target, [*.c1]"}\n),
 tasks(task("d1", "Running", scope => '"db_collections":{"db1":[{"name":"c1"}]}'),
       task("d2", "Running", scope => '"db_collections":{"db2":[{"name":"*"}],"db1":[{"name":"c2"}]}'))]



=== TEST 11: the task limit
--- http_config
    milvus_cdc_store cdc_temp;
    milvus_cdc_max_tasks 2;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("a", scope => '"collection_infos":[{"name":"a"}]'),
 create("b", scope => '"collection_infos":[{"name":"b"}]'),
 create("c", scope => '"collection_infos":[{"name":"c"}]'),
 create("a", scope => '"collection_infos":[{"name":"a"}]')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"a"}}\n),
 qq({"code":200,"data":{"task_id":"b"}}\n),
 qq({"code":500,"message":"the task num has reach the limit, 2"}\n),
 qq({"code":200,"data":{"task_id":"a"}}\n)]



=== TEST 12: legacy host, port, username and password; the uri is normalized
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
my ($host, $port) = target() =~ m{^https?://([^:/]+):(\d+)};
[cdc('create', qq({"task_id":"legacy","milvus_connect_param":{"host":"$host","port":$port,"username":"root","password":"Milvus"},"collection_infos":[{"name":"c1"}]})),
 cdc('get', '{"task_id":"legacy"}')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"legacy"}}\n),
 '{"code":200,"data":{"Task":' . task("legacy", "Running", scope => '"collection_infos":[{"name":"c1"}]')
     . ',"task":' . task("legacy", "Running", scope => '"collection_infos":[{"name":"c1"}]') . "}}\n"]



=== TEST 13: position of a task that has not replicated yet
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("t13"), cdc('position', '{"task_id":"t13"}')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"t13"}}\n),
 qq({"code":200,"data":{"positions":[]}}\n)]



=== TEST 14: an unreachable target: 500, and nothing is stored
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("t14", uri => "http://127.0.0.1:1"), cdc('list')]
--- response_body eval
[qq({"code":500,"message":"fail to connect the milvus: connection refused by 127.0.0.1:1"}\n),
 tasks()]



=== TEST 15: milvus_cdc_http_status mirrors the code into the HTTP status
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; milvus_cdc_http_status on; }
--- request eval
[cdc('get', '{"task_id":"nope"}'), "GET /cdc", cdc('list')]
--- error_code eval
[400, 405, 200]
--- response_body eval
[qq({"code":400,"message":"not found the task, task_id: nope"}\n),
 qq({"code":405,"message":"only support the POST method"}\n),
 tasks()]



=== TEST 16: by default the HTTP status is 200 whatever the code, like Milvus-CDC
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
["GET /cdc", cdc('get', '{"task_id":"nope"}')]
--- error_code eval
[200, 200]
--- response_body eval
[qq({"code":405,"message":"only support the POST method"}\n),
 qq({"code":400,"message":"not found the task, task_id: nope"}\n)]
