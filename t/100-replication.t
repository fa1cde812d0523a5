# Replication through the helper process, on the real test bench: a source
# Milvus writing its log to Kafka, a target Milvus (ttMsgEnabled=false).
# Every scenario ends with the diff tool (t/tools/diff.py) reporting the
# target equal to the source.  Blocks without --- config reuse the running
# nginx; their --- init (run before the requests) drives the source and
# checks the target.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = <<"CONF";
    milvus_cdc_store cdc_temp;
    milvus_cdc_source_etcd_endpoints $ENV{TEST_NGINX_ETCD_ENDPOINTS};
    milvus_cdc_source_etcd_root_path $ENV{TEST_NGINX_SOURCE_ROOT_PATH};
    milvus_cdc_source_kafka_brokers $ENV{TEST_NGINX_KAFKA_BROKERS};
    milvus_cdc_source_channel_prefix $ENV{TEST_NGINX_CHANNEL_PREFIX};
    milvus_cdc_source_dml_channels $ENV{TEST_NGINX_DML_CHANNELS};
CONF

run_tests();

__DATA__

=== TEST 1: a "*" task follows a whole workload: databases, collections of every field type, batches, flush, upserts, deletes by key and by expression, partitions and a collection created and dropped, indexes, loads
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("all")
--- response_body
{"code":200,"data":{"task_id":"all"}}



=== TEST 2: the target equals the source
--- init
Test::More::is(workload('full'), 0, "the workload ran on the source");
my ($rc, $out) = diff_bench(180, '--load-for-rows');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
--- request eval
cdc('get', '{"task_id":"all"}')
--- response_body eval
'{"code":200,"data":{"Task":' . task("all", "Running")
    . ',"task":' . task("all", "Running") . "}}\n"
--- no_error_log
[error]



=== TEST 3: a collection that existed before the task is copied, with its rows
--- init
reset_bench();
workload(qw(create --collection before));
workload(qw(insert --collection before --rows 500));
workload(qw(index --collection before));
workload(qw(load --collection before));
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("before")
--- response_body
{"code":200,"data":{"task_id":"before"}}



=== TEST 4: its rows, and the ones written after the task, reach the target; so does an upsert of every row
--- init
workload(qw(insert --collection before --rows 200 --start-pk 500));
workload(qw(upsert --collection before --rows 700 --start-pk 0 --version 2));
my ($rc, $out) = diff_bench(120, '--collection', 'before');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
Test::More::is(target_count('before'), 700, "700 rows on the target");
--- request eval
cdc('list')
--- response_body_like
"state":"Running"



=== TEST 5: a single-collection task ignores the other collections
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("one", scope => '"collection_infos":[{"name":"mine"}]')
--- response_body
{"code":200,"data":{"task_id":"one"}}



=== TEST 6: only "mine" is on the target
--- init
for my $c (qw(mine other)) {
    workload('create', '--collection', $c);
    workload('insert', '--collection', $c, '--rows', 300);
    workload('index', '--collection', $c);
    workload('load', '--collection', $c);
}
my ($rc, $out) = diff_bench(120, '--db', 'default', '--collection', 'mine');
Test::More::is($rc, 0, "diff: mine equals") or Test::More::diag($out);
Test::More::is(target_count('other'), -1, "other is not on the target");
--- request eval
cdc('get', '{"task_id":"one"}')
--- response_body_like
"state":"Running"



=== TEST 7: pause: writes made while paused do not reach the target
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("p")
--- response_body
{"code":200,"data":{"task_id":"p"}}



=== TEST 8: (the task follows, then is paused)
--- init
workload(qw(create --collection paused));
workload(qw(insert --collection paused --rows 100));
workload(qw(index --collection paused));
workload(qw(load --collection paused));
my ($rc, $out) = diff_bench(120, '--collection', 'paused');
Test::More::is($rc, 0, "diff before the pause") or Test::More::diag($out);
--- request eval
cdc('pause', '{"task_id":"p"}')
--- response_body
{"code":200,"data":{}}



=== TEST 9: (writes while paused stay on the source)
--- init
workload(qw(insert --collection paused --rows 100 --start-pk 100));
sleep 4;
Test::More::is(source_count('paused'), 200, "200 rows on the source");
Test::More::is(target_count('paused'), 100, "still 100 rows on the target");
--- request eval
cdc('resume', '{"task_id":"p"}')
--- response_body
{"code":200,"data":{}}



=== TEST 10: resume: they arrive; delete: replication stops
--- init
my ($rc, $out) = diff_bench(120, '--collection', 'paused');
Test::More::is($rc, 0, "diff after the resume") or Test::More::diag($out);
--- request eval
cdc('delete', '{"task_id":"p"}')
--- response_body
{"code":200,"data":{}}



=== TEST 11: (after the delete, writes stay on the source)
--- init
workload(qw(insert --collection paused --rows 50 --start-pk 200));
sleep 4;
Test::More::is(source_count('paused'), 250, "250 rows on the source");
Test::More::is(target_count('paused'), 200, "still 200 rows on the target");
--- request eval
cdc('list')
--- response_body eval
tasks()
