# Files named by a request (dial_config's ca_pem_path, server_pem_path,
# client_pem_path, client_key_path) are opened without blocking and read
# only when they are regular files of at most 1 MB: a FIFO, a directory or a
# device named by a client never blocks the worker.  The create fails with
# a message naming the field, not the path; the worker answers the next
# request at once.
#
# The target is https on a closed port: the files are read before any
# connection is tried.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use POSIX ();

# a create of "f" over TLS with dial_config {$field: $path}
sub tls_create ($$) {
    my ($field, $path) = @_;
    return create("f", uri => "https://127.0.0.1:1",
                  extra => qq(,"dial_config":{"$field":"$path"}));
}

sub pem_fail ($) {
    return qq({"code":500,"message":"fail to connect the milvus: $_[0]"}\n);
}

{
    no strict 'refs';
    *{"Test::Base::Filter::$_"} = \&{"main::$_"} for qw(tls_create pem_fail html_dir);
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value(http_config => "    milvus_cdc_store cdc_temp;\n")
        unless defined $block->http_config;
    $block->set_value(config => "    location = /cdc { milvus_cdc on; }\n")
        unless defined $block->config;
    $block->set_value(no_error_log => ['[alert]', '[crit]'])
        unless defined $block->no_error_log;
    $block->set_value(init => <<'INIT') unless defined $block->init;
my $fifo = Test::Nginx::Util::server_root() . "/html/ca.fifo";
unlink $fifo;
POSIX::mkfifo($fifo, 0600) or die "mkfifo $fifo: $!";
INIT
});

master_on();
workers(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: ca_pem_path is a FIFO without a writer: refused at once, the worker answers
--- request eval
[tls_create("ca_pem_path", html_dir() . "/ca.fifo"), cdc('list')]
--- response_body eval
[pem_fail("the CA file (dial_config.ca_pem_path) is not a regular file"), tasks()]
--- timeout: 3



=== TEST 2: server_pem_path (one-way TLS) is a FIFO
--- request eval
[tls_create("server_pem_path", html_dir() . "/ca.fifo"), cdc('list')]
--- response_body eval
[pem_fail("the CA file (dial_config.ca_pem_path) is not a regular file"), tasks()]
--- timeout: 3



=== TEST 3: client_pem_path is a FIFO (with a key)
--- request eval
[create("f", uri => "https://127.0.0.1:1",
        extra => ',"dial_config":{"client_pem_path":"' . html_dir()
                 . '/ca.fifo","client_key_path":"' . html_dir() . '/ca.fifo"}'),
 cdc('list')]
--- response_body eval
[pem_fail("the client certificate (dial_config.client_pem_path) is not a regular file"), tasks()]
--- timeout: 3



=== TEST 4: ca_pem_path is a directory
--- request eval
[tls_create("ca_pem_path", html_dir()), cdc('list')]
--- response_body eval
[pem_fail("the CA file (dial_config.ca_pem_path) is not a regular file"), tasks()]



=== TEST 5: ca_pem_path is a character device
--- request eval
[tls_create("ca_pem_path", "/dev/zero"), cdc('list')]
--- response_body eval
[pem_fail("the CA file (dial_config.ca_pem_path) is not a regular file"), tasks()]



=== TEST 6: ca_pem_path is a regular file larger than 1 MB
--- init
my $big = Test::Nginx::Util::server_root() . "/html/big.pem";
open my $fh, '>', $big or die "$big: $!";
print $fh "x" x (1024 * 1024 + 1);
close $fh;
--- request eval
[tls_create("ca_pem_path", html_dir() . "/big.pem"), cdc('list')]
--- response_body eval
[pem_fail("the CA file (dial_config.ca_pem_path) is empty or too large"), tasks()]
