# Replication through the helper process, on the real test bench: a source
# Milvus writing its log to Kafka, a target Milvus (ttMsgEnabled=false).
# Every scenario ends with the diff tool (t/tools/diff.py) reporting the
# target equal to the source.  Blocks without --- config reuse the running
# nginx; their --- init (run before the requests) drives the source and
# checks the target.  What `./build.sh demo` runs, as a test.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf();

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



