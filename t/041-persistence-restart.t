# Tasks and their states survive a full stop and start of nginx (the runner
# stops nginx with QUIT and starts it again between blocks); a Paused task
# stays Paused.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use File::Path qw(remove_tree);

master_on();
no_shuffle();

my $store = server_root() . '.restart';
remove_tree($store);
add_cleanup_handler(sub { remove_tree($store) });

run_tests();

__DATA__

=== TEST 1: a Running and a Paused task
--- http_config
    milvus_cdc_store $TEST_NGINX_SERVER_ROOT.restart;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("run2", scope => '"collection_infos":[{"name":"c_run"}]'), create("paused2", scope => '"collection_infos":[{"name":"c_paused"}]', data => ',"disable_auto_start":true'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"run2"}}\n),
 qq({"code":200,"data":{"task_id":"paused2"}}\n),
 tasks(task("run2", "Running", scope => '"collection_infos":[{"name":"c_run"}]'), task("paused2", "Paused", scope => '"collection_infos":[{"name":"c_paused"}]'))]



=== TEST 2: after a stop and a start, both are there in the same states, and the helper runs only the Running one
--- http_config
    milvus_cdc_store $TEST_NGINX_SERVER_ROOT.restart;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('list')
--- response_body eval
tasks(task("run2", "Running", scope => '"collection_infos":[{"name":"c_run"}]'), task("paused2", "Paused", scope => '"collection_infos":[{"name":"c_paused"}]'))
--- wait: 0.5
--- grep_error_log eval
qr/task \w+: started/
--- grep_error_log_out
task run2: started
