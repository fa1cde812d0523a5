# RenameCollection is not in the Milvus 2.3 WAL: the engine sees a
# collection id with another name (or database) in the source's etcd and
# renames it on the target (RenameCollection) before it replays anything
# more of it.  Rows written under the new name carry the same collection
# id, so they land in the renamed collection; calls of the replicate
# channel naming the new name (ReleaseCollection, LoadCollection) wait for
# the rename.  Inserts before and after each rename; each step ends with
# the diff tool reporting the target equal.  Real bench.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf();

# utility.rename_collection(old, new, new_db_name=db) in database "in" of
# the source (creating db first when it is not "default")
sub source_rename ($$$$) {
    my ($in, $old, $new, $db) = @_;
    my $code = <<'PY';
import sys
from pymilvus import connections, utility, db
connections.connect(uri=sys.argv[1], db_name=sys.argv[2])
if sys.argv[5] not in db.list_database():
    db.create_database(sys.argv[5])
utility.rename_collection(sys.argv[3], sys.argv[4], new_db_name=sys.argv[5])
PY
    system(bench_python(), '-c', $code, $ENV{TEST_NGINX_SOURCE_URI}, $in,
           $old, $new, $db) == 0
        or die "source: rename $in.$old to $db.$new failed\n";
}

# the collections of a database of the target, sorted, comma-separated
sub target_collections ($) {
    my $code = 'import sys; from pymilvus import connections, utility; '
             . 'connections.connect(uri=sys.argv[1], db_name=sys.argv[2]); '
             . 'print(",".join(sorted(utility.list_collections())))';
    my $out = qx{@{[bench_python()]} -c '$code' $ENV{TEST_NGINX_TARGET_URI} $_[0] 2>/dev/null};
    chomp $out;
    return $out;
}

sub equal_within ($$) {
    my ($wait, $what) = @_;
    my ($rc, $out) = diff_bench($wait);
    Test::More::is($rc, 0, "diff: target equals source $what")
        or Test::More::diag($out);
}

run_tests();

__DATA__

=== TEST 1: a collection with rows before the task; the task starts
--- init
reset_bench();
workload('create', '--collection', 'rn_one');
workload('insert', '--collection', 'rn_one', '--rows', 300);
workload('index', '--collection', 'rn_one');
workload('load', '--collection', 'rn_one');
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("rn")
--- response_body
{"code":200,"data":{"task_id":"rn"}}



=== TEST 2: it is on the target
--- init
::equal_within(120, "at start");
--- request eval
cdc('get', '{"task_id":"rn"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 3: renamed within its database while inserts go on: rows written to the new name are on the target under the new name
--- init
workload('insert', '--collection', 'rn_one', '--rows', 100, '--start-pk', 300);
::source_rename('default', 'rn_one', 'rn_two', 'default');
workload('insert', '--collection', 'rn_two', '--rows', 100, '--start-pk', 400);
::equal_within(60, "after the rename");
Test::More::is(::target_collections('default'), 'rn_two',
               "the target has rn_two only");
Test::More::is(target_count('rn_two'), 500, "500 rows in rn_two");
--- request eval
cdc('get', '{"task_id":"rn"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 4: renamed again, then released by its new name: the release waits for the rename
--- init
::source_rename('default', 'rn_two', 'rn_three', 'default');
workload('release', '--collection', 'rn_three');
workload('insert', '--collection', 'rn_three', '--rows', 100, '--start-pk', 500);
my ($rc, $out) = diff_bench(60, '--no-content');
Test::More::is($rc, 0, "diff: released on both sides") or Test::More::diag($out);
workload('load', '--collection', 'rn_three');
::equal_within(60, "after the load");
Test::More::is(target_count('rn_three'), 600, "600 rows in rn_three");
--- request eval
cdc('get', '{"task_id":"rn"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 5: renamed into another database, inserts before and after
--- init
workload('insert', '--collection', 'rn_three', '--rows', 100, '--start-pk', 600);
::source_rename('default', 'rn_three', 'rn_four', 'rn_db');
workload('insert', '--db', 'rn_db', '--collection', 'rn_four', '--rows', 100,
         '--start-pk', 700);
::equal_within(60, "after the rename across databases");
Test::More::is(::target_collections('default'), '', "default is empty");
Test::More::is(::target_collections('rn_db'), 'rn_four', "rn_db has rn_four");
--- request eval
cdc('get', '{"task_id":"rn"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 6: the task is deleted
--- request eval
cdc('delete', '{"task_id":"rn"}')
--- response_body eval
deleted()
