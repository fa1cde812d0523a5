# Directives: defaults work; nginx -t refuses bad values with a message that
# names the directive and the value.

use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: every directive with a valid value
--- http_config
    milvus_cdc_store cdc_temp;
    milvus_cdc_max_tasks 7;
    milvus_cdc_source_etcd_endpoints 127.0.0.1:2379 localhost:2389;
    milvus_cdc_source_etcd_root_path by-dev;
    milvus_cdc_source_kafka_brokers 127.0.0.1:9092;
    milvus_cdc_source_channel_prefix by-dev;
    milvus_cdc_wait_timeout 5m;
--- config
    location = /cdc {
        milvus_cdc on;
        milvus_cdc_http_status off;
        milvus_cdc_max_body_size 16k;
    }
--- request
POST /cdc
{"request_type":"list"}
--- response_body
{"code":200,"data":{"tasks":[]}}
--- no_error_log
[error]



=== TEST 2: milvus_cdc off: the location is not the task API
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc off; return 204; }
--- request
POST /cdc
{"request_type":"list"}
--- error_code: 204
--- response_body eval
""



=== TEST 3: milvus_cdc takes on or off
--- config
    location = /cdc { milvus_cdc yes; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "yes" in "milvus_cdc" directive, it must be "on" or "off"/



=== TEST 4: milvus_cdc belongs in a location
--- http_config
    milvus_cdc on;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc" directive is not allowed here/



=== TEST 5: an etcd endpoint without a port
--- http_config
    milvus_cdc_source_etcd_endpoints 127.0.0.1;
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid address "127.0.0.1" in "milvus_cdc_source_etcd_endpoints": host:port expected/



=== TEST 6: a Kafka broker with a path
--- http_config
    milvus_cdc_source_kafka_brokers 127.0.0.1:9092/x;
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid address "127.0.0.1:9092\/x" in "milvus_cdc_source_kafka_brokers": host:port expected/



=== TEST 7: a root path with a space
--- http_config
    milvus_cdc_source_etcd_root_path "by dev";
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc_source_etcd_root_path" directive may hold only letters, digits/



=== TEST 8: an empty channel prefix
--- http_config
    milvus_cdc_source_channel_prefix "";
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc_source_channel_prefix" directive must not be empty/



=== TEST 9: milvus_cdc_max_tasks 0
--- http_config
    milvus_cdc_max_tasks 0;
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc_max_tasks" directive must be 1 to 100000/



=== TEST 10: milvus_cdc_wait_timeout below a second
--- http_config
    milvus_cdc_wait_timeout 500ms;
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc_wait_timeout" directive must be at least 1s/



=== TEST 11: milvus_cdc_max_body_size 0
--- config
    location = /cdc { milvus_cdc on; milvus_cdc_max_body_size 0; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc_max_body_size" must be more than 0/



=== TEST 12: a directive given twice
--- http_config
    milvus_cdc_source_kafka_brokers 127.0.0.1:9092;
    milvus_cdc_source_kafka_brokers 127.0.0.1:9093;
--- config
    location = /cdc { milvus_cdc on; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"milvus_cdc_source_kafka_brokers" directive is duplicate/



=== TEST 13: the store is created on first use
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request
POST /cdc
{"request_type":"list"}
--- response_body
{"code":200,"data":{"tasks":[]}}



=== TEST 14: the store directory is 0700 and the store file 0600
--- init
my $d = "$ENV{TEST_NGINX_SERVER_ROOT}/cdc_temp";
Test::More::is(sprintf("%04o", (stat $d)[2] & 07777), '0700',
               "the store directory is 0700");
Test::More::is(sprintf("%04o", (stat "$d/tasks.db")[2] & 07777), '0600',
               "tasks.db is 0600");
--- request
POST /cdc
{"request_type":"list"}
--- response_body
{"code":200,"data":{"tasks":[]}}
