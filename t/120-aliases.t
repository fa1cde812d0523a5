# Aliases: CreateAlias, AlterAlias and DropAlias are not in the Milvus 2.3
# WAL; the engine reads them from the source's etcd
# (<root>/meta/root-coord/database/aliases/<dbID>/<alias>) and makes them
# on the target (CreateAlias / AlterAlias / DropAlias), with inserts just
# before and after each, while a "*" task runs.  Each step ends with the
# diff tool (which compares, per database, alias -> collection) reporting
# the target equal within 60 s.  Real bench.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf();

# utility.<op>(args...) on the source
sub source_alias (@) {
    my $code = 'import sys; from pymilvus import connections, utility; '
             . 'connections.connect(uri=sys.argv[1]); '
             . 'getattr(utility, sys.argv[2])(*sys.argv[3:])';
    system(bench_python(), '-c', $code, $ENV{TEST_NGINX_SOURCE_URI}, @_) == 0
        or die "source: @_ failed\n";
}

# the aliases of a collection on the target, sorted, comma-separated
sub target_aliases ($) {
    my $code = 'import sys; from pymilvus import connections, Collection; '
             . 'connections.connect(uri=sys.argv[1]); '
             . 'print(",".join(sorted(Collection(sys.argv[2]).aliases)))';
    my $out = qx{@{[bench_python()]} -c '$code' $ENV{TEST_NGINX_TARGET_URI} $_[0] 2>/dev/null};
    chomp $out;
    return $out;
}

# drops every alias of both instances (dropping a collection leaves its
# aliases behind in 2.3.5, and reset_bench() drops collections only)
sub drop_aliases () {
    my $code = <<'PY';
import sys
from pymilvus import connections, utility, db, Collection
for i, uri in enumerate(sys.argv[1:]):
    connections.connect(alias=str(i), uri=uri)
    for d in db.list_database(using=str(i)):
        db.using_database(d, using=str(i))
        for c in utility.list_collections(using=str(i)):
            for a in Collection(c, using=str(i)).aliases:
                utility.drop_alias(a, using=str(i))
    for a in ("before", "moving"):  # of a dropped collection: not listed
        try:
            utility.drop_alias(a, using=str(i))
        except Exception:
            pass
PY
    system(bench_python(), '-c', $code, $ENV{TEST_NGINX_SOURCE_URI},
           $ENV{TEST_NGINX_TARGET_URI}) == 0
        or die "cannot drop the aliases\n";
}

sub equal_within ($) {
    my ($what) = @_;
    my ($rc, $out) = diff_bench(60);
    Test::More::is($rc, 0, "diff: target equals source $what")
        or Test::More::diag($out);
}

run_tests();

__DATA__

=== TEST 1: an alias made before the task; the task starts
--- init
::drop_aliases();
reset_bench();
for my $c (qw(al_one al_two)) {
    workload('create', '--collection', $c);
    workload('insert', '--collection', $c, '--rows', 200);
    workload('index', '--collection', $c);
    workload('load', '--collection', $c);
}
::source_alias('create_alias', 'al_one', 'before');
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("al")
--- response_body
{"code":200,"data":{"task_id":"al"}}



=== TEST 2: the alias of the source is on the target after the collection
--- init
::equal_within("at start");
Test::More::is(::target_aliases('al_one'), 'before', "al_one has 'before'");
--- request eval
cdc('get', '{"task_id":"al"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 3: CreateAlias while the task runs, inserts before and after
--- init
workload('insert', '--collection', 'al_one', '--rows', 100, '--start-pk', 200);
::source_alias('create_alias', 'al_one', 'moving');
workload('insert', '--collection', 'moving', '--rows', 100, '--start-pk', 300);
::equal_within("after CreateAlias");
Test::More::is(::target_aliases('al_one'), 'before,moving',
               "al_one has 'before' and 'moving'");
Test::More::is(target_count('al_one'), 400, "400 rows in al_one");
--- request eval
cdc('get', '{"task_id":"al"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 4: AlterAlias to another collection, inserts before and after
--- init
workload('insert', '--collection', 'moving', '--rows', 100, '--start-pk', 400);
::source_alias('alter_alias', 'al_two', 'moving');
workload('insert', '--collection', 'moving', '--rows', 100, '--start-pk', 200);
::equal_within("after AlterAlias");
Test::More::is(::target_aliases('al_one'), 'before', "al_one has 'before'");
Test::More::is(::target_aliases('al_two'), 'moving', "al_two has 'moving'");
Test::More::is(target_count('al_two'), 300, "300 rows in al_two");
--- request eval
cdc('get', '{"task_id":"al"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 5: DropAlias, inserts before and after
--- init
workload('insert', '--collection', 'moving', '--rows', 100, '--start-pk', 300);
::source_alias('drop_alias', 'moving');
workload('insert', '--collection', 'al_two', '--rows', 100, '--start-pk', 400);
::equal_within("after DropAlias");
Test::More::is(::target_aliases('al_two'), '', "al_two has no alias");
Test::More::is(target_count('al_two'), 500, "500 rows in al_two");
--- request eval
cdc('get', '{"task_id":"al"}')
--- response_body_like eval
qr/"state":"Running"(?!.*reason)/



=== TEST 6: the task is deleted
--- init
::drop_aliases();
--- request eval
cdc('delete', '{"task_id":"al"}')
--- response_body eval
deleted()
