# A long mixed scenario (real bench): while a steady stream of inserts,
# upserts and deletes runs on one collection for 60 s, the source goes
# through every kind of operation the task replicates: a collection
# created, indexed, loaded and written; an alias created, moved and
# dropped; a partition created and written; a pause and a resume; a rename;
# a name dropped and used again with another schema; a database with a
# collection created and dropped; deletes and upserts.  At the end the
# diff tool must report the target equal to the source (databases,
# collections, schemas, aliases, counts, rows) and the task Running.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;
use MilvusCdc::Faults;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf();

# utility.<op>(args...) on the source
sub source_utility (@) {
    my $code = 'import sys; from pymilvus import connections, utility; '
             . 'connections.connect(uri=sys.argv[1]); '
             . 'getattr(utility, sys.argv[2])(*sys.argv[3:])';
    system(bench_python(), '-c', $code, $ENV{TEST_NGINX_SOURCE_URI}, @_) == 0
        or die "source: @_ failed\n";
}

# Collection(coll).create_partition(part) on the source
sub source_partition ($$) {
    my $code = 'import sys; from pymilvus import connections, Collection; '
             . 'connections.connect(uri=sys.argv[1]); '
             . 'Collection(sys.argv[2]).create_partition(sys.argv[3])';
    system(bench_python(), '-c', $code, $ENV{TEST_NGINX_SOURCE_URI}, @_) == 0
        or die "source: create_partition @_ failed\n";
}

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



=== TEST 2: every operation during a steady stream
--- init
use Time::HiRes qw(sleep time);
my $uri = MilvusCdc::Test::target();
my $ans = api('create', qq({"task_id":"mixed","milvus_connect_param":)
                      . qq({"uri":"$uri"},"collection_infos":[{"name":"*"}]}));
Test::More::is($ans->{code}, 200, "task created") or Test::More::diag(Test::More::explain($ans));

for my $step (qw(create index load)) {
    workload($step, '--collection', 'mix_main');
}
my $s = stream_start('mix_main', 60, '--rate', '300');
my $ok = sub { Test::More::is(shift, 0, shift) };

$ok->(workload('create', '--collection', 'mix_b'), "mix_b created");
workload('index', '--collection', 'mix_b');
workload('load', '--collection', 'mix_b');
$ok->(workload('insert', '--collection', 'mix_b', '--rows', '200',
               '--start-pk', '0'), "mix_b written");
::source_utility('create_alias', 'mix_b', 'a126');
::source_partition('mix_b', 'p126');
$ok->(workload('insert', '--collection', 'mix_b', '--partition', 'p126',
               '--rows', '100', '--start-pk', '1000'),
      "a partition created and written");

$ans = api('pause', '{"task_id":"mixed"}');
Test::More::is($ans->{code}, 200, "paused");
sleep(3);
workload('delete', '--collection', 'mix_b', '--pks', join(',', 0 .. 19));
$ans = api('resume', '{"task_id":"mixed"}');
Test::More::is($ans->{code}, 200, "resumed");

::source_utility('rename_collection', 'mix_b', 'mix_c');
workload('insert', '--collection', 'mix_c', '--rows', '100', '--start-pk', '2000');
::source_utility('alter_alias', 'mix_main', 'a126');

workload('create', '--collection', 'mix_d');
workload('index', '--collection', 'mix_d');
workload('load', '--collection', 'mix_d');
workload('insert', '--collection', 'mix_d', '--rows', '100', '--start-pk', '0');
sleep(2);
workload('drop', '--collection', 'mix_d');
workload('--dim', '8', 'create', '--collection', 'mix_d', '--kind', 'rich_str');
workload('index', '--collection', 'mix_d');
workload('load', '--collection', 'mix_d');
workload('--dim', '8', 'insert', '--collection', 'mix_d', '--rows', '50',
         '--start-pk', '5000');

workload('create', '--db', 'd126_x', '--collection', 'one');
workload('index', '--db', 'd126_x', '--collection', 'one');
workload('load', '--db', 'd126_x', '--collection', 'one');
workload('insert', '--db', 'd126_x', '--collection', 'one', '--rows', '100',
         '--start-pk', '0');
sleep(2);
workload('--prefix', 'd126', 'drop-all');

workload('upsert', '--collection', 'mix_c', '--rows', '50', '--start-pk', '2000',
         '--version', '2');
workload('flush', '--collection', 'mix_c');
::source_utility('drop_alias', 'a126');

my $sum = stream_wait($s);
Test::More::is($sum->{rc}, 0, "the stream ran on the source");
my ($rc, $out) = diff_bench(180);
Test::More::is($rc, 0, "equal at the end") or Test::More::diag($out);
for my $c (qw(mix_main mix_c mix_d)) {
    Test::More::is(target_count($c), source_count($c), "count(*) of $c equal");
}
Test::More::is(target_count('mix_d'), 50, "the new mix_d has its 50 rows");
Test::More::is(task_get('mixed')->{state}, 'Running', "still Running");

--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"mixed"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
