# Replication beside a proxy cache in the same nginx.  The module's helper
# is nginx's cache-manager process (ngx_add_path, like proxy_cache_path):
# one process runs every path's manager, on the shortest delay any of them
# asks for.  While a task runs the helper asks for 1-5 ms, so the proxy
# cache's manager runs that often too; a manager pass that evicts files
# (bounded by manager_threshold, 200 ms) delays replication by as much.
# This file shows both working together: a cache over its max_size that
# evicts all the time while a stream is replicated, the target equal at the
# end, and the cache still answering HITs.  Real bench.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use MilvusCdc::Bench;

master_on();
no_shuffle();
log_level('info');
timeout(10);

our $http_config = source_conf() . <<'_EOC_';
    proxy_cache_path proxy_cache levels=1:2 keys_zone=pc:1m max_size=64k
                     inactive=10m manager_files=100 manager_threshold=200ms
                     manager_sleep=50ms;
_EOC_

our $config = <<'_EOC_';
    location = /cdc { milvus_cdc on; }
    location /origin/ {
        root html;
        try_files /blob =404;
        add_header Cache-Control "max-age=600";
    }
    location /cached/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/origin/;
        proxy_cache_key $uri;
        proxy_cache pc;
        proxy_cache_valid 200 10m;
        add_header X-Cache-Status $upstream_cache_status;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: the collection of the stream
--- user_files eval
">>> blob\n" . ("x" x 1023) . "\n"
--- init
reset_bench();
workload('create', '--collection', 'cached');
workload('index', '--collection', 'cached');
workload('load', '--collection', 'cached');
--- http_config eval
$::http_config
--- config eval
$::config
--- request eval
cdc('list')
--- response_body
{"code":200,"data":{"tasks":[]}}



=== TEST 2: a 20 s stream replicated while the cache evicts: target equal, the cache answers HITs
--- user_files eval
">>> blob\n" . ("x" x 1023) . "\n"
--- init
use HTTP::Tiny;
use Time::HiRes qw(sleep time);
my $base = 'http://127.0.0.1:' . server_port();
my $http = HTTP::Tiny->new(timeout => 10);
my $uri = MilvusCdc::Test::target();
my $c = $http->post("$base/cdc", { content =>
    qq({"request_type":"create","request_data":{"task_id":"besidecache",)
    . qq("milvus_connect_param":{"uri":"$uri"},)
    . qq("collection_infos":[{"name":"cached"}]}}) });
Test::More::like($c->{content}, qr/"code":200/, "a task beside the cache")
    or Test::More::diag($c->{content});
my $s = stream_start('cached', 20, '--rate', '300');
# about 1 KiB per entry, 64 KiB max: the manager evicts while it runs
my ($misses, $hits, $n) = (0, 0, 0);
my $t0 = time;
while (time - $t0 < 20) {
    my $i = $n++ % 400;
    my $r = $http->get("$base/cached/e$i");
    my $st = $r->{headers}{'x-cache-status'} // '';
    $misses++ if $st eq 'MISS';
    $hits++ if $st eq 'HIT';
    my $again = $http->get("$base/cached/e$i");
    $hits++ if ($again->{headers}{'x-cache-status'} // '') eq 'HIT';
    sleep(0.01);
}
my $res = stream_wait($s);
Test::More::is($res->{rc}, 0, "the stream ran on the source");
Test::More::cmp_ok($misses, '>', 50, "the cache was filled ($misses misses)");
Test::More::cmp_ok($hits, '>', 50, "and answered from the cache ($hits hits)");
my $files = () = glob(server_root() . '/proxy_cache/*/*/*');
Test::More::cmp_ok($files, '<', 300,
                   "the cache manager evicted ($files files left of $misses)");
my $t = time;
my ($rc, $out) = diff_bench(120, '--load-for-rows');
Test::More::is($rc, 0, "diff: target equals source") or Test::More::diag($out);
Test::More::diag(sprintf("convergence: beside a proxy cache %.1f s after the "
                         . "stream ended", time - $res->{ended}));
Test::More::is(target_count('cached'), source_count('cached'),
               "as many rows (count(*)) on the target as on the source");
--- http_config eval
$::http_config
--- config eval
$::config
--- request eval
cdc('get', '{"task_id":"besidecache"}')
--- response_body_like eval
qr/"state":"Running"/
--- no_error_log
[error]
