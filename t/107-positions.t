# A task created with collection_infos[].positions starts each pchannel of
# the collection after the position given: what lies before it is assumed
# on the target already (restored from a backup), only later rows are
# replicated.  The positions are real ones: the source DataCoord's channel
# checkpoints after a Flush (what milvus-backup records), read from etcd by
# workload.py positions.  Real bench.

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

=== TEST 1: 1,000 rows on the source, flushed, before the positions
--- init
reset_bench();
workload('create', '--collection', 'positioned');
workload('index', '--collection', 'positioned');
workload('load', '--collection', 'positioned');
workload('insert', '--collection', 'positioned', '--rows', '1000',
         '--start-pk', '0');
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('list')
--- response_body
{"code":200,"data":{"tasks":[]}}



=== TEST 2: a task created with the positions after them replicates only the later rows
--- init
use HTTP::Tiny;
use Time::HiRes qw(sleep time);
my $py = bench_python();
my $tool = "$MilvusCdc::Bench::Root/t/tools/workload.py";
my $positions = qx{$py $tool --uri source positions --collection positioned --seconds 90};
chomp $positions;
Test::More::like($positions, qr/^\{"[^"]+_\d+v\d+": "[A-Za-z0-9+\/=]+"/,
                 "the source's channel checkpoints read");
workload('insert', '--collection', 'positioned', '--rows', '500',
         '--start-pk', '1000');
my $uri = MilvusCdc::Test::target();
my $r = HTTP::Tiny->new(timeout => 10)->post(
    'http://127.0.0.1:' . server_port() . '/cdc',
    { content => qq({"request_type":"create","request_data":{)
                 . qq("task_id":"positioned","milvus_connect_param":)
                 . qq({"uri":"$uri"},"collection_infos":[{"name":)
                 . qq("positioned","positions":$positions}]}}) });
Test::More::like($r->{content}, qr/"code":200/, "created with the positions")
    or Test::More::diag($r->{content});
# rows written while the task runs come too
workload('insert', '--collection', 'positioned', '--rows', '300',
         '--start-pk', '1500');
my ($n, $t0) = (-1, time);
while (time - $t0 < 120) {
    $n = target_count('positioned');
    last if $n >= 800;
    sleep(1);
}
Test::More::is($n, 800, "the 800 rows written after the positions are on "
                        . "the target");
sleep(5);
Test::More::is(target_count('positioned'), 800, "and no more came");
Test::More::is(target_count('positioned', 'id < 1000'), 0,
               "none of the 1,000 rows before the positions");
Test::More::is(target_count('positioned', 'id >= 1000'), 800,
               "each of the later rows once");
Test::More::is(source_count('positioned'), 1800,
               "the source holds all 1,800");
--- http_config eval
$::http_config
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
cdc('get', '{"task_id":"positioned"}')
--- response_body_like eval
qr/"state":"Running".*"positions":\{"[^"]+":"[^"]+"/
--- no_error_log
[error]
