# Nesting and comments: JSON comments are refused (yajl's tree parser
# would accept them), and the nesting limit (16 levels) is enforced by the
# parser itself, for every body size milvus_cdc_max_body_size allows: no
# body makes a worker recurse deeper than the limit.
#
# As in t/030-bad-input.t, a "--- bad" block becomes three requests: create
# the task "keep", the bad request, list.  The error log must hold no
# [alert] (a worker that exited on a signal).

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value(http_config => "    milvus_cdc_store cdc_temp;\n")
        unless defined $block->http_config;
    $block->set_value(config => "    location = /cdc { milvus_cdc on; }\n")
        unless defined $block->config;
    $block->set_value(no_error_log => ['[error]', '[alert]', '[crit]'])
        unless defined $block->no_error_log;

    my $bad = $block->bad;
    return unless defined $bad;

    my $error = $block->response_body;
    defined $error or die $block->name . ": --- bad without --- response_body\n";

    $block->set_value(request => [create("keep"), $bad, cdc('list')]);
    $block->set_value(response_body => [
        qq({"code":200,"data":{"task_id":"keep"}}\n),
        $error,
        tasks(task("keep", "Running")),
    ]);
});

master_on();
no_shuffle();
timeout(10);
run_tests();

__DATA__

=== TEST 1: a block comment
--- bad
POST /cdc
{"request_type": "list" /* all of them */}
--- response_body
{"code":400,"message":"request body: invalid JSON: lexical error: probable comment found in input text, comments are not enabled"}



=== TEST 2: a line comment
--- bad eval
"POST /cdc\n{\"request_type\": \"list\" // all of them\n}"
--- response_body
{"code":400,"message":"request body: invalid JSON: lexical error: probable comment found in input text, comments are not enabled"}



=== TEST 3: a comment with a quote hides 20 levels from a scan of the text
--- bad eval
cdc('list', '{"a":/*"*/' . ('[' x 20) . (']' x 20) . '}')
--- response_body
{"code":400,"message":"request body: invalid JSON: lexical error: probable comment found in input text, comments are not enabled"}



=== TEST 4: 17 levels inside a string-like comment-free body (the limit is 16)
--- bad eval
cdc('list', '{"a":"\"[[[[","b":' . ('[' x 15) . (']' x 15) . '}')
--- response_body
{"code":400,"message":"request body: JSON nested deeper than 16 levels"}



=== TEST 5: 120,000 nested arrays behind a comment, with an 8m body limit
--- config
    location = /cdc {
        milvus_cdc on;
        milvus_cdc_max_body_size 8m;
        client_max_body_size 8m;
    }
--- bad eval
cdc('list', '{"a":/*"*/' . ('[' x 120000) . (']' x 120000) . '}')
--- response_body
{"code":400,"message":"request body: invalid JSON: lexical error: probable comment found in input text, comments are not enabled"}



=== TEST 6: 120,000 nested arrays, with an 8m body limit
--- config
    location = /cdc {
        milvus_cdc on;
        milvus_cdc_max_body_size 8m;
        client_max_body_size 8m;
    }
--- bad eval
cdc('list', '{"a":' . ('[' x 120000) . (']' x 120000) . '}')
--- response_body
{"code":400,"message":"request body: JSON nested deeper than 16 levels"}



=== TEST 7: 16 levels are accepted
--- bad eval
cdc('list', ('{"a":' x 14) . '1' . ('}' x 14))
--- response_body
{"code":400,"message":"request_data: unknown field \"a\""}
