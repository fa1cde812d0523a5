# Tasks and their states survive "nginx -s reload" (HUP between blocks); a
# Paused task stays Paused.  The store is kept outside the server root,
# which the runner wipes at every reload.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use File::Path qw(remove_tree);

use_hup();
no_shuffle();

my $store = server_root() . '.persist';
remove_tree($store);
add_cleanup_handler(sub { remove_tree($store) });

run_tests();

__DATA__

=== TEST 1: a Running and a Paused task
--- http_config
    milvus_cdc_store $TEST_NGINX_SERVER_ROOT.persist;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("run1", scope => '"collection_infos":[{"name":"c_run"}]'), create("paused1", scope => '"collection_infos":[{"name":"c_paused"}]'), cdc('pause', '{"task_id":"paused1"}'),
 cdc('list')]
--- response_body eval
[qq({"code":200,"data":{"task_id":"run1"}}\n),
 qq({"code":200,"data":{"task_id":"paused1"}}\n),
 qq({"code":200,"data":{}}\n),
 tasks(task("run1", "Running", scope => '"collection_infos":[{"name":"c_run"}]'), task("paused1", "Paused", scope => '"collection_infos":[{"name":"c_paused"}]'))]



=== TEST 2: after a reload both are there, in the same states
--- http_config
    milvus_cdc_store $TEST_NGINX_SERVER_ROOT.persist;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('list')
--- response_body eval
tasks(task("run1", "Running", scope => '"collection_infos":[{"name":"c_run"}]'), task("paused1", "Paused", scope => '"collection_infos":[{"name":"c_paused"}]'))



=== TEST 3: after another reload, a resume still works on the stored task
--- http_config
    milvus_cdc_store $TEST_NGINX_SERVER_ROOT.persist;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[cdc('resume', '{"task_id":"paused1"}'), cdc('list')]
--- response_body eval
[qq({"code":200,"data":{}}\n),
 tasks(task("run1", "Running", scope => '"collection_infos":[{"name":"c_run"}]'), task("paused1", "Running", scope => '"collection_infos":[{"name":"c_paused"}]'))]
