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

our $http_config = source_conf();

run_tests();

__DATA__

=== TEST 1: a collection that existed before the task is copied, with its rows
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



=== TEST 2: its rows, and the ones written after the task, reach the target; so does an upsert of every row
--- init
workload(qw(insert --collection before --rows 200 --start-pk 500));
workload(qw(upsert --collection before --rows 700 --start-pk 0 --version 2));
my ($rc, $out) = diff_bench(120, '--collection', 'before');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
Test::More::is(target_count('before'), 700, "700 rows on the target");
--- request eval
cdc('list')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 3: a single-collection task ignores the other collections
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



=== TEST 4: only "mine" is on the target
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
--- response_body_like eval
qr/"state":"Running"/



=== TEST 5: pause: writes made while paused do not reach the target
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



=== TEST 6: (the task follows, then is paused)
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



=== TEST 7: (writes while paused stay on the source)
--- init
workload(qw(insert --collection paused --rows 100 --start-pk 100));
sleep 4;
Test::More::is(source_count('paused'), 200, "200 rows on the source");
Test::More::is(target_count('paused'), 100, "still 100 rows on the target");
--- request eval
cdc('resume', '{"task_id":"p"}')
--- response_body
{"code":200,"data":{}}



=== TEST 8: resume: they arrive; delete: replication stops
--- init
my ($rc, $out) = diff_bench(120, '--collection', 'paused');
Test::More::is($rc, 0, "diff after the resume") or Test::More::diag($out);
--- request eval
cdc('delete', '{"task_id":"p"}')
--- response_body eval
deleted()



=== TEST 9: (after the delete, writes stay on the source)
--- init
workload(qw(insert --collection paused --rows 50 --start-pk 200));
sleep 4;
Test::More::is(source_count('paused'), 250, "250 rows on the source");
Test::More::is(target_count('paused'), 200, "still 200 rows on the target");
--- request eval
cdc('list')
--- response_body eval
tasks()



=== TEST 10: kill -9 of the helper during a continuous insert/delete stream
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("k")
--- response_body
{"code":200,"data":{"task_id":"k"}}



=== TEST 11: the target converges with no loss and no duplicate rows
--- init
use MilvusCdc::Process;
workload(qw(create --collection killed));
workload(qw(index --collection killed));
workload(qw(load --collection killed));
my $pid = fork // die "fork: $!\n";
if ($pid == 0) {
    exec(bench_python(), "$MilvusCdc::Bench::Root/t/tools/workload.py",
         qw(--uri source stream --collection killed --seconds 24 --rate 300
            --delete-ratio 0.2)) or POSIX::_exit(1);
}
for my $at (6, 14) {
    sleep($at == 6 ? 6 : 8);
    my $helper = helper_pid(master_pid(server_root()));
    Test::More::ok($helper, "a helper process to kill");
    kill 9, $helper if $helper;
}
waitpid($pid, 0);
Test::More::is($? >> 8, 0, "the stream ran on the source");
my ($rc, $out) = diff_bench(180, '--collection', 'killed');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
Test::More::is(target_count('killed'), source_count('killed'),
               "as many rows (count(*)) on the target as on the source");
--- request eval
cdc('get', '{"task_id":"k"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/



=== TEST 12: a replay of rows the target already has leaves no duplicates
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("r")
--- response_body
{"code":200,"data":{"task_id":"r"}}



=== TEST 13: (checkpoints lost while nginx was down: everything is read and sent again)
--- init
use MilvusCdc::Process;
workload(qw(create --collection replayed));
workload(qw(insert --collection replayed --rows 500));
workload(qw(upsert --collection replayed --rows 100 --start-pk 0 --version 1));
workload('delete', '--collection', 'replayed', '--pks', '1,2,3');
workload(qw(index --collection replayed));
workload(qw(load --collection replayed));
my ($rc, $out) = diff_bench(120, '--collection', 'replayed');
Test::More::is($rc, 0, "diff before the replay") or Test::More::diag($out);
my $master = master_pid(server_root());
kill 'QUIT', $master;
wait_gone($master, 5);
system('sqlite3', server_root() . '/cdc_temp/tasks.db',
       'DELETE FROM checkpoints') == 0 or die "sqlite3 failed\n";
system($ENV{TEST_NGINX_BINARY} || 'nginx', '-p', server_root() . '/',
       '-c', server_root() . '/conf/nginx.conf') == 0
    or die "cannot start nginx again\n";
sleep 8;
($rc, $out) = diff_bench(120, '--collection', 'replayed');
Test::More::is($rc, 0, "diff after the replay") or Test::More::diag($out);
Test::More::is(target_count('replayed'), 497, "497 rows on the target");
--- request eval
cdc('get', '{"task_id":"r"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 14: a collection whose start the source log no longer holds: the task pauses and says why
--- init
reset_bench();
workload(qw(create --collection trimmed));
workload(qw(insert --collection trimmed --rows 100));
Test::More::is(trim_source_log(), $ENV{TEST_NGINX_DML_CHANNELS},
               "the source's DML pchannels trimmed");
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("old")
--- response_body
{"code":200,"data":{"task_id":"old"}}



=== TEST 15: (its state and reason)
--- init
sleep 3;
--- request eval
cdc('get', '{"task_id":"old"}')
--- response_body_like eval
qr/"state":"Paused","reason":"the source log no longer holds collection default\.trimmed from its start on $ENV{TEST_NGINX_CHANNEL_PREFIX}-rootcoord-dml_\d+ \(offset \d+, the oldest kept is \d+\)"/
--- error_log eval
qr/\[error\] .*task old: paused: the source log no longer holds collection default\.trimmed/



=== TEST 16: a stream of upserts of new keys beside a stream of inserts into another collection
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("u")
--- response_body
{"code":200,"data":{"task_id":"u"}}



=== TEST 17: every upserted row is on the target (an upsert's Insert and Delete share a timestamp; a source TimeTick read between them must not split them)
--- init
for my $c (qw(ups ins)) {
    workload('create', '--collection', $c);
    workload('index', '--collection', $c);
}
workload(qw(load --collection ups));
my $pid = fork // die "fork: $!\n";
if ($pid == 0) {
    exec(bench_python(), "$MilvusCdc::Bench::Root/t/tools/workload.py",
         qw(--uri source stream --collection ins --seconds 20 --rate 100))
        or POSIX::_exit(1);
}
Test::More::is(workload(qw(stream --collection ups --seconds 20 --rate 200
                           --upsert)),
               0, "the upsert stream ran on the source");
waitpid($pid, 0);
Test::More::is($? >> 8, 0, "the insert stream ran on the source");
my ($rc, $out) = diff_bench(180, '--load-for-rows');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
Test::More::cmp_ok(source_count('ups'), '>', 2000,
                   "the upserted rows counted on the source");
Test::More::is(target_count('ups'), source_count('ups'),
               "as many rows (count(*)) on the target as on the source");
--- request eval
cdc('get', '{"task_id":"u"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
[alert]
