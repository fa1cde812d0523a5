# create contacts the target Milvus (MilvusService/Connect) within
# connect_timeout, without blocking the nginx worker.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

no_shuffle();

# a peer that accepts TCP connections (the kernel completes the handshake)
# but never says a word: a target that hangs
our $hang = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp')
    or die "cannot listen: $!\n";
our $hang_port = $hang->sockport;

run_tests();

__DATA__

=== TEST 1: a real target Milvus accepts the create
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
create("p1", extra => ',"token":"root:Milvus"')
--- response_body
{"code":200,"data":{"task_id":"p1"}}
--- no_error_log
[error]



=== TEST 2: a refused port fails at once with the cause
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- request eval
[create("p2", uri => "http://127.0.0.1:1"), cdc('list')]
--- response_body eval
[qq({"code":500,"message":"fail to connect the milvus: connection refused by 127.0.0.1:1"}\n),
 tasks()]
--- timeout: 1



=== TEST 3: a target that never answers fails within connect_timeout + 1 s, while other requests are answered at once
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
    location = /concurrent.txt { root html; }
--- init
# while the create below waits for the hanging target, a second client
# asks for the task list and writes down how long the answer took
my $pid = fork // die "fork: $!\n";
if ($pid == 0) {
    sleep 0.5;
    my $start = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => Test::Nginx::Util::server_port(),
                                  Timeout => 5);
    my $body = '{"request_type":"list"}';
    print $s "POST /cdc HTTP/1.0\r\nHost: localhost\r\nContent-Length: "
             . length($body) . "\r\n\r\n$body";
    my $resp = do { local $/; <$s> } // '';
    my $ms = int((time - $start) * 1000);
    my ($code) = $resp =~ /"code":(\d+)/;
    open my $out, '>', Test::Nginx::Util::html_dir() . '/concurrent.txt';
    print $out "list answered ", ($code // 'nothing'), " in $ms ms\n";
    close $out;
    require POSIX;
    POSIX::_exit(0);
}
--- request eval
[create("p3", uri => "http://127.0.0.1:$::hang_port",
      extra => ',"connect_timeout":2'),
 "GET /concurrent.txt",
 cdc('list')]
--- response_body_like eval
[qr/^\{"code":500,"message":"fail to connect the milvus: deadline exceeded after 2000 ms"\}\n\z/,
 qr/^list answered 200 in \d{1,2} ms\n\z/,
 qr/^\{"code":200,"data":\{"tasks":\[\]\}\}\n\z/]
--- timeout: 3
