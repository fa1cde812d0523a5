# A second task onto a target that already holds the data of an earlier
# one (real bench): the first `*` task replicates a collection with
# inserts, upserts and deletes; it is deleted; the source is written while
# no task runs; a new `*` task is created over the same target and the
# source is written again, and a collection is created with its index and
# load.  The target must converge to exactly the source: no duplicates
# (count(*) equal to the source's, which a duplicate or a lost row breaks
# even when a query dedups by key), nothing missing, the new collection
# indexed and loaded, all compared by the diff tool.  The same again with
# the first task deleted while it is still behind (rows it never sent).

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



=== TEST 2: delete a task, create another over the same target
--- init
use Time::HiRes qw(sleep time);
my $uri = MilvusCdc::Test::target();
my $create = sub {
    my $id = shift;
    my $ans = api('create', qq({"task_id":"$id","milvus_connect_param":)
                          . qq({"uri":"$uri"},"collection_infos":[{"name":"*"}]}));
    Test::More::is($ans->{code}, 200, "task $id created")
        or Test::More::diag(Test::More::explain($ans));
};

$create->('first124');
workload('create', '--collection', 's124_a');
workload('index', '--collection', 's124_a');
workload('load', '--collection', 's124_a');
workload('insert', '--collection', 's124_a', '--rows', '500', '--start-pk', '0');
workload('upsert', '--collection', 's124_a', '--rows', '100', '--start-pk', '0',
         '--version', '1');
workload('delete', '--collection', 's124_a', '--pks', join(',', 400 .. 449));
my ($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "the first task replicated s124_a") or Test::More::diag($out);

my $ans = api('delete', '{"task_id":"first124"}');
Test::More::is($ans->{code}, 200, "first task deleted")
    or Test::More::diag(Test::More::explain($ans));
Test::More::like($ans->{data}{target} // '', qr/ttMsgEnabled false/,
                 "the delete answer says the target stays in replicate mode");

# written while no task runs
workload('insert', '--collection', 's124_a', '--rows', '200', '--start-pk', '500');
workload('upsert', '--collection', 's124_a', '--rows', '50', '--start-pk', '100',
         '--version', '2');

$create->('second124');
workload('insert', '--collection', 's124_a', '--rows', '200', '--start-pk', '700');
workload('delete', '--collection', 's124_a', '--pks', join(',', 0 .. 9));
workload('create', '--collection', 's124_b');
workload('index', '--collection', 's124_b');
workload('load', '--collection', 's124_b');
workload('insert', '--collection', 's124_b', '--rows', '300', '--start-pk', '0');
($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal after the second task: no duplicate, nothing "
                       . "missing, s124_b indexed and loaded")
    or Test::More::diag($out);
Test::More::is(target_count('s124_a'), source_count('s124_a'),
               "count(*) of s124_a equal");
Test::More::is(target_count('s124_b'), 300, "s124_b has its 300 rows");
Test::More::is(task_get('second124')->{state}, 'Running', "still Running");

# the second task deleted while behind: paused first so the source runs
# ahead, then deleted, then a third task
$ans = api('pause', '{"task_id":"second124"}');
Test::More::is($ans->{code}, 200, "second task paused");
workload('insert', '--collection', 's124_a', '--rows', '100', '--start-pk', '900');
workload('upsert', '--collection', 's124_b', '--rows', '100', '--start-pk', '0',
         '--version', '3');
$ans = api('delete', '{"task_id":"second124"}');
Test::More::is($ans->{code}, 200, "second task deleted while behind");
$create->('third124');
workload('insert', '--collection', 's124_b', '--rows', '100', '--start-pk', '300');
($rc, $out) = diff_bench(120);
Test::More::is($rc, 0, "equal after the third task") or Test::More::diag($out);
Test::More::is(target_count('s124_b'), source_count('s124_b'),
               "count(*) of s124_b equal");
Test::More::is(task_get('third124')->{state}, 'Running', "still Running");

--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"third124"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
