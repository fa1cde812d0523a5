# With "master_process off" there is no helper process: the same work runs
# from a timer of the single nginx process.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

master_off();
log_level('notice');
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the single process runs the task itself
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("s1")
--- response_body
{"code":200,"data":{"task_id":"s1"}}
--- wait: 0.5
--- error_log eval
qr/no helper process with "master_process off", replication runs from a timer of this process/
--- grep_error_log eval
qr/task s1: (?:started|stopped)[^,\n]*/
--- grep_error_log_out eval
qr/\Atask s1: started in process \d+\n\z/



=== TEST 2: and stops it on pause
--- request eval
cdc('pause', '{"task_id":"s1"}')
--- response_body
{"code":200,"data":{}}
--- wait: 0.5
--- grep_error_log eval
qr/task s1: (?:started|stopped)[^,\n]*/
--- grep_error_log_out eval
qr/\Atask s1: started in process \d+\ntask s1: stopped in process \d+ \(paused\)\n\z/
