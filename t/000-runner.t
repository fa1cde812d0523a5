# Self-test of the Test::Nginx::Socket subset in t/lib, against plain nginx
# (no module).  Every block is also valid for the real Test::Nginx::Socket.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
log_level('info');

# blocks carrying a "--- master" section run with master_process on
add_block_preprocessor(sub {
    my $block = shift;
    master_process_enabled(defined $block->master ? 1 : 0);
});

run_tests();

__DATA__

=== TEST 1: exact body
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: regex body and error_code
--- config
    location = /t {
        return 201 "id=12345\n";
    }
--- request
GET /t
--- error_code: 201
--- response_body_like: ^id=\d+$



=== TEST 3: array of requests, one connection each
--- config
    location = /a { return 200 "a"; }
    location = /b { return 404; }
    location = /c { return 200 "conn=$http_connection"; }
--- request eval
["GET /a", "GET /b", "GET /c"]
--- error_code eval
[200, 404, 200]
--- response_body_like eval
[qr/^a$/, qr/404 Not Found/, qr/^conn=close$/]



=== TEST 4: POST body (trimmed, Content-Length added) echoed via a proxy
--- config
    location = /echo {
        client_body_in_single_buffer on;
        add_header X-Body $request_body always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
    }
    location = /back {
        return 200 "len=$content_length method=$request_method type=$http_content_type\n";
    }
--- request
POST /echo
{"request_type":"list"}
--- more_headers
Content-Type: application/json
--- response_headers
X-Body: {"request_type":"list"}
--- response_body
len=23 method=POST type=application/json



=== TEST 5: response headers and header absence
--- config
    location = /t {
        add_header X-Foo "bar baz";
        return 200 "plain\n";
    }
--- request
GET /t
--- response_headers
X-Foo: bar baz
!X-Missing
Content-Type: text/plain
Content-Length: 6
--- response_body
plain



=== TEST 6: chunked transfer encoding is decoded
--- config
    location = /t {
        chunked_transfer_encoding on;
        alias $TEST_NGINX_SERVER_ROOT/html/big.txt;
        ssi on;
        ssi_types text/plain;
    }
--- user_files
>>> big.txt
line one
line two
--- request
GET /t
--- response_headers
Transfer-Encoding: chunked
--- response_body
line one
line two



=== TEST 7: error_log, no_error_log and grep_error_log on a logged 404
--- config
    location /missing/ {
        root html;
        log_not_found on;
    }
--- request
GET /missing/nofile.txt
--- error_code: 404
--- error_log eval
[qr{open\(\) ".*/html/missing/nofile\.txt" failed}, "No such file or directory"]
--- no_error_log
[alert]
[crit]
--- grep_error_log eval
qr/\(2: No such file or directory\)/
--- grep_error_log_out
(2: No such file or directory)



=== TEST 8: must_die with an unknown directive
--- config
    location = /t {
        bogus_directive_xyz on;
    }
--- must_die
--- error_log
[emerg]
unknown directive "bogus_directive_xyz"



=== TEST 9: init runs after start, before the request; SERVER_ROOT expansion
--- config
    location = /f {
        alias $TEST_NGINX_SERVER_ROOT/html/from_init.txt;
    }
--- init
open my $fh, '>', "$ENV{TEST_NGINX_SERVER_ROOT}/html/from_init.txt" or die $!;
print $fh "written by init\n";
close $fh;
--- request
GET /f
--- response_body
written by init



=== TEST 10: user_files are served from html/
--- config
    # only the default "location /"
--- user_files
>>> sub/a.txt
file a
--- request
GET /sub/a.txt
--- response_body
file a



=== TEST 11: master process on
--- master
--- config
    location = /t {
        return 200 "worker $pid\n";
    }
--- request
GET /t
--- response_body_like: ^worker \d+$
--- error_log
start worker process



=== TEST 12: no --- config reuses the running nginx (no restart, log kept)
--- request
GET /t
--- response_body_like: ^worker \d+$
--- error_log
start worker process



=== TEST 13: pipelined requests on one keep-alive connection
--- config
    location = /p { return 200 "p$arg_n"; }
--- pipelined_requests eval
["GET /p?n=1", "GET /p?n=2"]
--- response_body eval
["p1", "p2"]



=== TEST 14: raw_request and error_code_like
--- config
    location = /t { return 200 "raw"; }
--- raw_request eval
"GET /t HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- error_code_like: ^2\d\d$
--- response_body: raw
