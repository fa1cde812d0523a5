# The fault matrix, part 2: nginx restarts during the stream of
# t/110-faults.t (workload.py stream --mix), each case repeated 5 times
# because their losses were intermittent (issue "Rows lost when a task
# starts again after nginx restarts"):
#   - nginx stopped (QUIT) for 60 s while the source keeps writing, then
#     started again;
#   - the task paused, nginx restarted (QUIT + start), the helper killed
#     (-9), the task resumed; it stays Paused, with the same reason, until
#     the resume, and nothing reaches the target meanwhile.
# Each repetition is one block: a fresh nginx and bench, a "*" task, the
# stream, the fault 15 s in (0, 50, 100, 200 or 350 ms after an upsert of
# the stream returned: the losses were one shard's share of an upsert in
# flight), the diff (every row by primary key) and count(*) on both sides;
# "convergence: <case>#<n> <seconds> s (...)" is printed for each.

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

# a "*" task on an empty bench
sub task_on_empty_bench ($) {
    my $id = shift;
    reset_bench();
    my $ans = api('create', qq({"task_id":"$id","milvus_connect_param":)
                            . qq({"uri":"@{[target()]}"},)
                            . qq("collection_infos":[{"name":"*"}]}));
    Test::More::is($ans->{code}, 200, "task $id created")
        or Test::More::diag(JSON::PP::encode_json($ans));
}

# repetition n acts this long after an upsert of the stream returned: the
# 5 repetitions sweep the moments an upsert is in flight in the engine
sub phase ($) { (0, 0.05, 0.1, 0.2, 0.35)[(shift() - 1) % 5] }

# nginx stopped (QUIT) for 60 s, 15 s into a 40 s stream, then started again
sub nginx_down_case ($) {
    my $n = shift;
    task_on_empty_bench("down$n");
    fault_stream(name => "nginx-quit-60s#$n", collection => "down$n",
                 seconds => 40, inject => sub {
        my $s = shift;
        Test::More::ok(after_upsert($s, phase($n)),
                       "an upsert to stop after (#$n)");
        Test::More::ok(nginx_quit(), "nginx stopped (QUIT) (#$n)");
        sleep 60;
        Test::More::ok(nginx_start(), "nginx started again (#$n)");
    });
}

# 15 s into a 35 s stream (after an upsert): pause; nginx QUIT + start;
# kill -9 of the helper; resume.  Between the pause and the resume the task
# stays as the pause left it (state Paused, its reason if any) and the
# target's count(*) does not change.
sub pause_restart_case ($) {
    my $n = shift;
    my $id = "paused$n";
    task_on_empty_bench($id);
    fault_stream(name => "pause-restart-kill-resume#$n",
                 collection => "paused$n", seconds => 35, inject => sub {
        my $s = shift;
        Test::More::ok(after_upsert($s, phase($n)),
                       "an upsert to pause after (#$n)");
        Test::More::is(api('pause', qq({"task_id":"$id"}))->{code}, 200,
                       "paused (#$n)");
        my $paused = task_get($id);
        Test::More::is($paused && $paused->{state}, 'Paused',
                       "the task is Paused (#$n)");
        sleep 3;
        my $count = target_count("paused$n");
        Test::More::ok(nginx_quit(), "nginx stopped (QUIT) (#$n)");
        Test::More::ok(nginx_start(), "nginx started again (#$n)");
        Test::More::is_deeply(task_get($id), $paused,
                              "still Paused, the same reason, after the"
                              . " restart (#$n)");
        sleep 1;
        my $helper = helper_pid(master_pid(server_root()));
        Test::More::ok($helper, "a helper process to kill (#$n)");
        kill 9, $helper if $helper;
        my $again = 0;
        for (1 .. 100) {
            $again = helper_pid(master_pid(server_root()));
            last if $again && $again != $helper;
            sleep 0.1;
        }
        Test::More::ok($again && $again != $helper,
                       "the master started a new helper (#$n)");
        sleep 1;
        Test::More::is_deeply(task_get($id), $paused,
                              "still Paused, the same reason, after the"
                              . " kill (#$n)");
        Test::More::is(target_count("paused$n"), $count,
                       "nothing reached the target while paused (#$n)");
        Test::More::is(api('resume', qq({"task_id":"$id"}))->{code}, 200,
                       "resumed (#$n)");
    });
}

run_tests();

__DATA__

=== TEST 1: nginx stopped for 60 s while the source writes (1 of 5)
--- init
::nginx_down_case(1);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"down1"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 2: nginx stopped for 60 s while the source writes (2 of 5)
--- init
::nginx_down_case(2);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"down2"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 3: nginx stopped for 60 s while the source writes (3 of 5)
--- init
::nginx_down_case(3);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"down3"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 4: nginx stopped for 60 s while the source writes (4 of 5)
--- init
::nginx_down_case(4);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"down4"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 5: nginx stopped for 60 s while the source writes (5 of 5)
--- init
::nginx_down_case(5);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"down5"}')
--- response_body_like eval
qr/"state":"Running"/



=== TEST 6: paused, nginx restarted, helper killed, resumed (1 of 5)
--- init
::pause_restart_case(1);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"paused1"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/



=== TEST 7: paused, nginx restarted, helper killed, resumed (2 of 5)
--- init
::pause_restart_case(2);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"paused2"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/



=== TEST 8: paused, nginx restarted, helper killed, resumed (3 of 5)
--- init
::pause_restart_case(3);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"paused3"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/



=== TEST 9: paused, nginx restarted, helper killed, resumed (4 of 5)
--- init
::pause_restart_case(4);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"paused4"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/



=== TEST 10: paused, nginx restarted, helper killed, resumed (5 of 5)
--- init
::pause_restart_case(5);
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"paused5"}')
--- response_body_like eval
qr/"state":"Running"/
--- error_log eval
qr/\[alert\] .*cache manager process \d+ exited on signal 9/
