# Self-test of use_hup() in the Test::Nginx::Socket subset in t/lib: nginx is
# kept running between blocks and reloaded with SIGHUP (master forced on).
# Real semantics, also checked here: on reload every *file* under servroot is
# removed except nginx.pid, *.sock, *.crt and *.key; directories stay; *_temp
# and *_cache directories are removed entirely.
use Test::Nginx::Socket 'no_plan';

use_hup();
no_shuffle();
log_level('info');

our ($MasterPid, $State);

add_cleanup_handler(sub {
    system("rm -rf '$ENV{TEST_NGINX_SERVER_ROOT}/state_dir'") if $ENV{TEST_NGINX_SERVER_ROOT};
});

run_tests();

__DATA__

=== TEST 1: first block starts nginx from scratch
--- config
    location = /t { return 200 "one\n"; }
--- init
$main::MasterPid = get_pid_from_pidfile('init');
$main::State = "$ENV{TEST_NGINX_SERVER_ROOT}/state_dir";
mkdir $main::State;
for my $f ("data.db", "keep.sock") {
    open my $fh, '>', "$main::State/$f" or die $!;
    close $fh;
}
mkdir "$ENV{TEST_NGINX_SERVER_ROOT}/cdc_temp";
--- request
GET /t
--- response_body
one
--- no_error_log
[error]



=== TEST 2: second block is a HUP reload of the same master
--- config
    location = /t { return 200 "two\n"; }
--- init
Test::More::is(get_pid_from_pidfile('init'), $main::MasterPid, "same master process after HUP");
Test::More::ok(!-e "$main::State/data.db", "plain files under servroot removed on reload");
Test::More::ok(-e "$main::State/keep.sock", "*.sock kept on reload");
Test::More::ok(-d $main::State, "directories kept on reload");
Test::More::ok(!-d "$ENV{TEST_NGINX_SERVER_ROOT}/cdc_temp", "*_temp directories removed on reload");
system("rm -rf '$main::State'");
--- request
GET /t
--- response_body
two
--- error_log
reconfiguring
