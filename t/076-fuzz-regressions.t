# Inputs the libFuzzer target (t/fuzz/request_fuzz.c, ./build.sh fuzz)
# found, sent to nginx: each is answered, no worker dies.  The sanitizer
# pass of ./build.sh test runs this file with the ASan+UBSan module too.
# The undefined behaviour of TEST 1 is seen by clang's UBSan only (gcc's
# does not check that pointer arithmetic): its input is also the seed
# t/fuzz/corpus/create-positions.json, and "./build.sh fuzz 0" (the seeds
# replayed) failed on it before the fix.  Needs nginx only: the target uri
# is refused by the kernel.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a positions key whose collection id runs from its start: the scan back over its digits stays inside the key (was a pointer arithmetic overflow, v[-n - 1] with an unsigned n)
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("r1", uri => "http://127.0.0.1:1",
        scope => '"collection_infos":[{"name":"c1","positions":{"by-dev-rootcoord-dml_0_448845390234567890v0":"CgRkbWxfMA=="}}]'),
 create("r2", uri => "http://127.0.0.1:1",
        scope => '"collection_infos":[{"name":"c1","positions":{"448845390234567890v0":"CgRkbWxfMA=="}}]'),
 cdc('list')]
--- response_body_like eval
[qr/^\{"code":400,"message":"request_data\.collection_infos\[0\]\.positions\.by-dev-rootcoord-dml_0_448845390234567890v0: [^"]+"\}\n\z/,
 qr/^\{"code":400,"message":"request_data\.collection_infos\[0\]\.positions[^"]*"\}\n\z/,
 qr/^\{"code":200,"data":\{"tasks":\[\]\}\}\n\z/]
--- no_error_log
[alert]
