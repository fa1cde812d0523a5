# A task that starts again many times during a stream of upserts: every
# pause/resume and every kill -9 of the helper starts the engine again from
# its checkpoints.  An upsert is an Insert and a Delete of the same keys
# with one timestamp, and a source TimeTick can land between the two: a
# checkpoint taken at that TimeTick used to make the engine read the Delete
# again after a restart, stamp it later than the Insert the target held,
# and delete the upserted rows (rows lost for good, task Running).  Real
# bench; ends with the diff tool and count(*).

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

=== TEST 1: a task over two collections of the stream
--- init
reset_bench();
for my $c (qw(restarted plain)) {
    workload('create', '--collection', $c);
    workload('index', '--collection', $c);
    workload('load', '--collection', $c);
}
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("again")
--- response_body
{"code":200,"data":{"task_id":"again"}}



=== TEST 2: 20 pauses and resumes and 4 kill -9 of the helper during 45 s of upserts lose no row and duplicate none
--- init
use HTTP::Tiny;
use MilvusCdc::Process;
use Time::HiRes qw(sleep);
my $url = 'http://127.0.0.1:' . server_port() . '/cdc';
my $http = HTTP::Tiny->new(timeout => 10);
my $api = sub {
    my ($type) = @_;
    my $r = $http->post($url, { content =>
        qq({"request_type":"$type","request_data":{"task_id":"again"}}) });
    return $r->{content} // '';
};
# four upsert streams (new keys, and deletes of earlier ones) into one
# collection: about one source TimeTick in seven then lands between an
# upsert's Insert and its Delete, so that some of the restarts below start
# from such a TimeTick
my @pids;
for my $args ((map { ['--collection', 'restarted', '--upsert', '--rate',
                      '200', '--start-pk', 100000 * $_] } 0 .. 3),
              ['--collection', 'plain', '--rate', '200'])
{
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        exec(bench_python(), "$MilvusCdc::Bench::Root/t/tools/workload.py",
             qw(--uri source stream --seconds 45), @$args)
            or POSIX::_exit(1);
    }
    push @pids, $pid;
}
my $answers = 0;
for my $i (1 .. 20) {
    sleep(0.7 + rand(1.0));
    $answers++ if $api->('pause') =~ /"code":200/;
    sleep(0.3 + rand(0.8));
    $answers++ if $api->('resume') =~ /"code":200/;
    if ($i % 5 == 0) {
        sleep(1.0);
        my $helper = helper_pid(master_pid(server_root()));
        kill 9, $helper if $helper;
    }
}
Test::More::is($answers, 40, "every pause and resume answered 200");
for my $pid (@pids) {
    waitpid($pid, 0);
    Test::More::is($? >> 8, 0, "a stream ran on the source");
}
my ($rc, $out) = diff_bench(180, '--load-for-rows');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
Test::More::cmp_ok(source_count('restarted'), '>', 10000,
                   "the upserted rows counted on the source");
for my $c (qw(restarted plain)) {
    Test::More::is(target_count($c), source_count($c),
                   "$c: as many rows (count(*)) on the target as on the "
                   . "source");
}
--- request eval
cdc('get', '{"task_id":"again"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
