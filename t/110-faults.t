# The fault matrix, part 1: faults injected during a continuous stream on
# the source (t/tools/workload.py stream --mix: batches of 50 inserts every
# 100 ms, every 10th batch an upsert of 20 earlier keys and a delete of 10;
# a collection with 2 shards, indexed and loaded), about 15 s in.  After the
# stream's end the target must equal the source row by row (t/tools/diff.py)
# and count(*) on both sides must be the number of live keys.  Each fault
# prints "convergence: <fault> <seconds> s (...)": from the writer's stop to
# the diff that found the target equal.  The nginx restarts (repeated) are in
# t/111-faults-restart.t.  The bench's parts are stopped and started again
# with t/bench/env.sh stop|start PART (MilvusCdc::Bench::bench_stop/start).

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;
use MilvusCdc::Process;
use MilvusCdc::Faults;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf();

run_tests();

__DATA__

=== TEST 1: nginx -s reload x10 during the stream: a task
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("reload")
--- response_body
{"code":200,"data":{"task_id":"reload"}}



=== TEST 2: (10 reloads 1 s apart; the target converges)
--- init
fault_stream(name => 'reload', collection => 'reloaded', seconds => 40,
             inject => sub {
    for my $i (1 .. 10) {
        Test::More::ok(nginx_reload(), "nginx -s reload #$i");
        sleep 1;
    }
});
--- request eval
cdc('get', '{"task_id":"reload"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 3: kill -9 of the helper x3 during the stream: a task
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("kill")
--- response_body
{"code":200,"data":{"task_id":"kill"}}



=== TEST 4: (3 kills 5 s apart; the target converges)
--- init
fault_stream(name => 'kill-9', collection => 'killed', seconds => 40,
             inject => sub {
    for my $i (1 .. 3) {
        my $helper = helper_pid(master_pid(server_root()));
        Test::More::ok($helper, "a helper process to kill (#$i)");
        kill 9, $helper if $helper;
        sleep 5;
    }
});
--- request eval
cdc('get', '{"task_id":"kill"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/



=== TEST 5: the target Milvus stopped for 30 s during the stream: a task
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("tgt")
--- response_body
{"code":200,"data":{"task_id":"tgt"}}



=== TEST 6: (the task stays Running and says why while the target is down)
--- init
fault_stream(name => 'target-stop-30s', collection => 'tgtdown',
             seconds => 50, inject => sub {
    Test::More::ok(bench_stop('target'), 'the target Milvus stopped');
    my $t0 = time;
    my ($running, $reason) = (0, undef);
    my $polls = 0;
    while (time - $t0 < 28) {
        sleep 4;
        my $task = task_get('tgt');
        $polls++;
        $running++ if $task && $task->{state} eq 'Running';
        $reason = $task->{reason} if $task && time - $t0 > 10;
    }
    Test::More::is($running, $polls,
                   "the task is Running at every get while the target is down");
    Test::More::like($reason // '(none)',
                     qr/^target unreachable since \S+Z, \d+ retries: /,
                     'a live reason while the target is down');
    sleep($t0 + 30 - time) if time < $t0 + 30;
    Test::More::ok(bench_start('target'), 'the target Milvus started again');
});
--- request eval
cdc('get', '{"task_id":"tgt"}')
--- response_body_like eval
qr/"state":"Running"\}/



=== TEST 7: Kafka stopped for 20 s during the stream: a task
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("kafka")
--- response_body
{"code":200,"data":{"task_id":"kafka"}}



=== TEST 8: (Kafka started again; the target converges)
--- init
fault_stream(name => 'kafka-stop-20s', collection => 'kafkadown',
             seconds => 45, inject => sub {
    Test::More::ok(bench_stop('kafka'), 'Kafka stopped');
    sleep 20;
    Test::More::ok(bench_start('kafka'), 'Kafka started again');
});
--- request eval
cdc('get', '{"task_id":"kafka"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 9: etcd stopped for 20 s during the stream: a task
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("etcd")
--- response_body
{"code":200,"data":{"task_id":"etcd"}}



=== TEST 10: (etcd started again; the target converges)
--- init
fault_stream(name => 'etcd-stop-20s', collection => 'etcddown',
             seconds => 45, inject => sub {
    Test::More::ok(bench_stop('etcd'), 'etcd stopped');
    sleep 20;
    Test::More::ok(bench_start('etcd'), 'etcd started again');
});
--- request eval
cdc('get', '{"task_id":"etcd"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 11: the source Milvus stopped and started again during the stream: task
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("src")
--- response_body
{"code":200,"data":{"task_id":"src"}}



=== TEST 12: (the stream retries while the source is down; the target converges)
--- init
my $r = fault_stream(name => 'source-restart', collection => 'srcdown',
                     seconds => 45, inject => sub {
    Test::More::ok(bench_stop('source'), 'the source Milvus stopped');
    Test::More::ok(bench_start('source'), 'the source Milvus started again');
});
Test::More::cmp_ok($r->{stream}{retries} // 0, '>', 0,
                   'the stream met the outage (and retried)');
--- request eval
cdc('get', '{"task_id":"src"}')
--- response_body_like eval
qr/"state":"Running"/
