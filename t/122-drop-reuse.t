# Drops and names used again while a `*` task runs and while it is paused,
# each with rows written just before and after it (real bench):
#   - every collection of a database dropped, then the database: the
#     drops reach the target in the source's order and the database goes;
#   - a collection dropped and created again under the same name with
#     another schema (string key, other dimension), while Running;
#   - the same while the task is Paused: on resume the old collection's
#     drop is replayed and the new one created with its own schema.
# Each ends with the diff tool reporting the target equal to the source
# (databases, collections, schemas, counts and rows).

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;
use MilvusCdc::Faults;

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



=== TEST 2: drop database after its collections, a name used again while Running and while Paused
--- init
use Time::HiRes qw(sleep time);
my $uri = MilvusCdc::Test::target();
my $ans = api('create', qq({"task_id":"dropreuse","milvus_connect_param":)
                      . qq({"uri":"$uri"},"collection_infos":[{"name":"*"}]}));
Test::More::is($ans->{code}, 200, "task created") or Test::More::diag(Test::More::explain($ans));

for my $c (['d122_a', 'one'], ['d122_a', 'two'], ['default', 'keep']) {
    workload('create', '--db', $c->[0], '--collection', $c->[1]);
    workload('index', '--db', $c->[0], '--collection', $c->[1]);
    workload('load', '--db', $c->[0], '--collection', $c->[1]);
    workload('insert', '--db', $c->[0], '--collection', $c->[1],
             '--rows', '200', '--start-pk', '0');
}
my ($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "the database and its collections replicated")
    or Test::More::diag($out);

# rows just before, the drops, rows just after
workload('insert', '--collection', 'keep', '--rows', '100', '--start-pk', '200');
workload('--prefix', 'd122', 'drop-all');
workload('insert', '--collection', 'keep', '--rows', '100', '--start-pk', '300');

# the name used again: another schema (string key, dimension 8)
workload('create', '--collection', 'd122_reuse');
workload('index', '--collection', 'd122_reuse');
workload('load', '--collection', 'd122_reuse');
workload('insert', '--collection', 'd122_reuse', '--rows', '300',
         '--start-pk', '0');
my $n = -1;
for (1 .. 60) { $n = target_count('d122_reuse'); last if $n == 300; sleep(1) }
Test::More::is($n, 300, "the first d122_reuse on the target");
workload('drop', '--collection', 'd122_reuse');
workload('--dim', '8', 'create', '--collection', 'd122_reuse',
         '--kind', 'rich_str');
workload('index', '--collection', 'd122_reuse');
workload('load', '--collection', 'd122_reuse');
workload('--dim', '8', 'insert', '--collection', 'd122_reuse',
         '--rows', '200', '--start-pk', '1000');
workload('insert', '--collection', 'keep', '--rows', '100', '--start-pk', '400');

($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal: no d122_a on the target, the new d122_reuse "
                       . "with its own schema") or Test::More::diag($out);
Test::More::is(target_count('d122_reuse'), 200, "200 rows in the new one");
Test::More::is(task_get('dropreuse')->{state}, 'Running', "still Running");

# the same name used again while the task is Paused
$ans = api('pause', '{"task_id":"dropreuse"}');
Test::More::is($ans->{code}, 200, "paused") or Test::More::diag(Test::More::explain($ans));
sleep(2);
workload('insert', '--collection', 'keep', '--rows', '100', '--start-pk', '500');
workload('drop', '--collection', 'd122_reuse');
workload('--dim', '4', 'create', '--collection', 'd122_reuse');
workload('index', '--collection', 'd122_reuse');
workload('load', '--collection', 'd122_reuse');
workload('--dim', '4', 'insert', '--collection', 'd122_reuse',
         '--rows', '150', '--start-pk', '5000');
workload('insert', '--collection', 'keep', '--rows', '100', '--start-pk', '600');
$ans = api('resume', '{"task_id":"dropreuse"}');
Test::More::is($ans->{code}, 200, "resumed") or Test::More::diag(Test::More::explain($ans));
($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal after the resume: the d122_reuse of the "
                       . "paused time, dimension 4") or Test::More::diag($out);
Test::More::is(target_count('d122_reuse'), 150, "its 150 rows");
Test::More::is(target_count('keep'), 700, "keep has its 700");
Test::More::is(task_get('dropreuse')->{state}, 'Running', "still Running");

--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"dropreuse"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
