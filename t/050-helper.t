# The helper process: the nginx master spawns it (as its "cache manager
# process"), respawns it after kill -9 and replaces it on reload; a lease per
# task means two helpers never run the same task.  The blocks after the
# first reuse the running nginx (no --- config) and see its whole error log.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Process;

master_on();
workers(2);
log_level('notice');
no_shuffle();

our ($old_helper);

run_tests();

__DATA__

=== TEST 1: the helper process starts and takes the lease of a new task
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("h1")
--- response_body
{"code":200,"data":{"task_id":"h1"}}
--- wait: 0.5
--- error_log eval
qr/milvus_cdc: helper started in process \d+, task store "[^"]+\/cdc_temp"/
--- grep_error_log eval
qr/task h1: (?:started|stopped)[^,\n]*/
--- grep_error_log_out eval
qr/\Atask h1: started in process (\d+)\n\z/



=== TEST 2: reload: the old helper exits within 2 s and gives the lease back before the new one takes it
--- init
my $master = master_pid(server_root());
$::old_helper = helper_pid($master);
die "no helper process found\n" unless $::old_helper;
kill 'HUP', $master;
my $took = wait_gone($::old_helper, 5);
Test::More::cmp_ok($took, '<', 2, "the old helper exited ${took}s after the reload");
--- request eval
cdc('get', '{"task_id":"h1"}')
--- response_body eval
'{"code":200,"data":{"Task":' . task("h1", "Running")
    . ',"task":' . task("h1", "Running") . "}}\n"
--- wait: 1
--- grep_error_log eval
qr/task h1: (?:started|stopped)/
--- grep_error_log_out
task h1: started
task h1: stopped
task h1: started



=== TEST 3: pause: the helper stops the task
--- request eval
cdc('pause', '{"task_id":"h1"}')
--- response_body
{"code":200,"data":{}}
--- wait: 0.5
--- grep_error_log eval
qr/task h1: (?:started|stopped).*?\((?:paused|exiting)\)|task h1: started/
--- grep_error_log_out eval
qr/task h1: stopped in process \d+ \(paused\)\n\z/



=== TEST 4: resume: the helper runs it again
--- request eval
cdc('resume', '{"task_id":"h1"}')
--- response_body
{"code":200,"data":{}}
--- wait: 0.5
--- grep_error_log eval
qr/task h1: (?:started|stopped)/
--- grep_error_log_out
task h1: started
task h1: stopped
task h1: started
task h1: stopped
task h1: started



=== TEST 5: delete: the helper stops the task for good
--- request eval
cdc('delete', '{"task_id":"h1"}')
--- response_body eval
deleted()
--- wait: 0.5
--- grep_error_log eval
qr/task h1: stopped in process \d+ \(\w+\)/
--- grep_error_log_out eval
qr/\(deleted\)\n\z/



=== TEST 6: a new nginx, a new task
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("h6")
--- response_body
{"code":200,"data":{"task_id":"h6"}}
--- wait: 0.5
--- grep_error_log eval
qr/task h6: started/
--- grep_error_log_out
task h6: started



=== TEST 7: kill -9 of the helper: the master starts another, which takes the task once the dead helper's lease expires
--- init
$::old_helper = helper_pid(master_pid(server_root()));
die "no helper process found\n" unless $::old_helper;
kill 9, $::old_helper;
--- request eval
cdc('get', '{"task_id":"h6"}')
--- response_body eval
'{"code":200,"data":{"Task":' . task("h6", "Running")
    . ',"task":' . task("h6", "Running") . "}}\n"
--- wait: 6.5
--- error_log eval
[qr/\[alert\] .*cache manager process \d+ exited on signal 9/,
 qr/start cache manager process \d+/]
--- grep_error_log eval
qr/task h6: (?:started|stopped)/
--- grep_error_log_out
task h6: started
task h6: started



=== TEST 8: nginx -s quit completes within 2 s with a Running task, which runs again after a start
--- init
my $master = master_pid(server_root());
kill 'QUIT', $master;
my $took = wait_gone($master, 5);
Test::More::cmp_ok($took, '<', 2, "nginx quit ${took}s after the signal");
system($ENV{TEST_NGINX_BINARY} || 'nginx', '-p', server_root() . '/',
       '-c', server_root() . '/conf/nginx.conf') == 0
    or die "cannot start nginx again\n";
Time::HiRes::sleep(0.3);
--- request eval
cdc('list')
--- response_body eval
tasks(task("h6", "Running"))
--- wait: 0.5
--- error_log eval
[qr/\[alert\] .*cache manager process \d+ exited on signal 9/,
 qr/task h6: stopped in process \d+ \(exiting\)/]
--- grep_error_log eval
qr/task h6: (?:started|stopped)/
--- grep_error_log_out
task h6: started
task h6: started
task h6: stopped
task h6: started
