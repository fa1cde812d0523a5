# A Paused task keeps its target usable (real bench): the target, whose
# own TimeTicks are off (common.ttMsgEnabled false), answers Strong reads
# only when TimeTicks that pass the time of the read reach its pchannels.
# While the task is Paused the helper sends them (standby.c), so a Strong
# count(*) on the target answers with what was replicated before the
# pause, even while the source is written; after the resume the rows
# written meanwhile are stamped after those TimeTicks and all arrive, and
# the same holds across an nginx restart while Paused.  While Running with
# the source's log (Kafka) down, the engine ticks the target by time.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;
use MilvusCdc::Faults;
use MilvusCdc::Process;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf();

run_tests();

__DATA__

=== TEST 1: an empty bench
--- init
reset_bench();
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('list')
--- response_body
{"code":200,"data":{"tasks":[]}}



=== TEST 2: Strong reads on the target while the task is Paused
--- init
use Time::HiRes qw(sleep time);
my $uri = MilvusCdc::Test::target();
my $turi = $ENV{TEST_NGINX_TARGET_URI};
my $ans = api('create', qq({"task_id":"ticks","milvus_connect_param":)
                      . qq({"uri":"$uri"},"collection_infos":[{"name":"*"}]}));
Test::More::is($ans->{code}, 200, "task created") or Test::More::diag(Test::More::explain($ans));

workload('create', '--collection', 's125');
workload('index', '--collection', 's125');
workload('load', '--collection', 's125');
workload('insert', '--collection', 's125', '--rows', '300', '--start-pk', '0');
my ($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "replicated") or Test::More::diag($out);
Test::More::is(strong_count($turi, 's125'), 300, "Strong count while Running");

$ans = api('pause', '{"task_id":"ticks"}');
Test::More::is($ans->{code}, 200, "paused");
sleep(3);
workload('insert', '--collection', 's125', '--rows', '200', '--start-pk', '300');
workload('upsert', '--collection', 's125', '--rows', '50', '--start-pk', '0',
         '--version', '1');
sleep(2);
my $t0 = time;
Test::More::is(strong_count($turi, 's125', 20), 300,
               "Strong count on the target while Paused: what was replicated");
Test::More::cmp_ok(time - $t0, '<', 15, "and in bounded time");
sleep(2);
Test::More::is(strong_count($turi, 's125', 20), 300, "still, 2 s later");
Test::More::is(task_get('ticks')->{state}, 'Paused', "still Paused");

$ans = api('resume', '{"task_id":"ticks"}');
Test::More::is($ans->{code}, 200, "resumed");
($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal after the resume: the rows of the paused time "
                       . "stamped after its TimeTicks") or Test::More::diag($out);
Test::More::is(strong_count($turi, 's125'), 500, "Strong count after the resume");

# paused again, across an nginx restart (the helper that ticks is new)
$ans = api('pause', '{"task_id":"ticks"}');
Test::More::is($ans->{code}, 200, "paused again");
Test::More::ok(nginx_quit(), "nginx stopped (QUIT)");
Test::More::ok(nginx_start(), "nginx started again");
sleep(3);
workload('insert', '--collection', 's125', '--rows', '100', '--start-pk', '500');
sleep(2);
Test::More::is(strong_count($turi, 's125', 20), 500,
               "Strong count while Paused after nginx restarted");
$ans = api('resume', '{"task_id":"ticks"}');
Test::More::is($ans->{code}, 200, "resumed again");
($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal after the second resume") or Test::More::diag($out);
Test::More::is(strong_count($turi, 's125'), 600, "Strong count: 600");

# Running while the source's log is down: no TimeTick to follow, so the
# engine ticks the target by time after 5 s
Test::More::ok(bench_stop('kafka'), 'Kafka stopped');
sleep(8);
Test::More::is(strong_count($turi, 's125', 20), 600,
               "Strong count while Kafka is down");
Test::More::ok(bench_start('kafka'), 'Kafka started again');
my $n = -1;
for (1 .. 30) {
    last if workload('insert', '--collection', 's125', '--rows', '100',
                     '--start-pk', '600') == 0;
    sleep(2);
}
($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal after Kafka came back") or Test::More::diag($out);
Test::More::is(strong_count($turi, 's125'), 700, "Strong count: 700");

--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"ticks"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
