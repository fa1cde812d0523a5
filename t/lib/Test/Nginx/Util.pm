package Test::Nginx::Util;

# A small, compatible SUBSET of openresty's test-nginx (Test::Nginx::Util,
# v0.29-0.33 semantics), written from scratch for this project because
# Test::Nginx itself is not packaged for Debian.  The .t files under t/ must
# stay valid for the real Test::Nginx::Socket, so everything here follows the
# real semantics; see t/lib/Test/Nginx/Socket.pm for the list of supported
# functions, sections and environment variables, and for known differences.
#
# This file holds the nginx lifecycle (config generation, servroot handling,
# start / stop / HUP reload) and the per-block driver; Socket.pm holds the
# HTTP client and the checks.

use strict;
use warnings;

use base 'Exporter';

use POSIX qw(SIGQUIT SIGKILL SIGTERM SIGHUP SIGUSR1 WNOHANG);
use Time::HiRes qw(sleep time);
use File::Path qw(make_path remove_tree);
use File::Find qw(find);
use File::Spec ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use Scalar::Util qw(looks_like_number);
use Carp qw(croak);
use Test::More ();

our $Verbose        = $ENV{TEST_NGINX_VERBOSE};
our $UseHup         = $ENV{TEST_NGINX_USE_HUP};
our $LoadModules    = $ENV{TEST_NGINX_LOAD_MODULES};
our $NoShuffle      = 1;    # our default; the real one shuffles unless no_shuffle()
$NoShuffle = 0 if $ENV{TEST_NGINX_SHUFFLE};
our $Timeout        = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $NginxBinary    = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
our $Workers        = 1;
our $WorkerConnections = 64;
our $LogLevel       = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled  = 'on';
our $ServerPort     = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr     = '127.0.0.1';
our $ServerName     = 'localhost';
our $NoRootLocation = 0;
our $TestNginxSleep = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $RepeatEach     = 1;
our $NoLongString;
our $ConfigPreamble = '';
our @EnvToNginx;
our @CleanupHandlers;
our @BlockPreprocessors;
our ($RunTestHelper, $CheckErrorLog, $CheckShutdownErrorLog);  # set by Socket.pm
our ($NginxVersion, $NginxV, $ConfigVersion, $PrevConfig, $PrevBlock);
our $FirstTime = 1;
our $ErrLogFilePos = 0;
our $InSubprocess;

our $ServRoot = $ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";

our @EXPORT = qw(
    run_tests bail_out add_cleanup_handler add_block_preprocessor
    repeat_each no_shuffle use_hup master_on master_off master_process_enabled
    workers worker_connections log_level no_long_string no_root_location
    env_to_nginx config_preamble server_port server_port_for_client server_name
    server_addr server_root html_dir timeout check_accum_error_log
    is_running is_str trim parse_headers parse_time error_log_data
    get_pid_from_pidfile sleep_time verbose
    $ServerPort $ServerPortForClient $ServerAddr $ServerName $ServRoot
    $PidFile $ConfFile $ErrLogFile $NginxVersion $RepeatEach $NoLongString
    $RunTestHelper $CheckErrorLog $CheckShutdownErrorLog
);

# ---------------------------------------------------------------- settings

sub timeout (@)            { $Timeout = shift if @_; $Timeout }
sub no_shuffle ()          { $NoShuffle = 1 }
sub use_hup ()             { $UseHup = 1 }
sub repeat_each (@)        { $RepeatEach = shift if @_; $RepeatEach }
sub workers (@)            { $Workers = shift if @_; $Workers }
sub worker_connections (@) { $WorkerConnections = shift if @_; $WorkerConnections }
sub log_level (@)          { $LogLevel = shift if @_; $LogLevel }
sub master_on ()           { $MasterProcessEnabled = 'on' }
sub master_off ()          { $MasterProcessEnabled = 'off' }
sub master_process_enabled (@) {
    $MasterProcessEnabled = shift() ? 'on' : 'off' if @_;
    $MasterProcessEnabled;
}
sub no_long_string ()      { $NoLongString = 1 }
sub no_root_location ()    { $NoRootLocation = 1 }
sub config_preamble ($)    { $ConfigPreamble = shift }
sub server_port (@)        { $ServerPort = shift if @_; $ServerPort }
sub server_port_for_client (@) { $ServerPortForClient = shift if @_; $ServerPortForClient }
sub server_name (@)        { $ServerName = shift if @_; $ServerName }
sub server_addr (@)        { $ServerAddr = shift if @_; $ServerAddr }
sub server_root ()         { $ServRoot }
sub html_dir ()            { $HtmlDir }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }
sub sleep_time ()          { $TestNginxSleep }
sub verbose ()             { $Verbose }

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        croak "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub cleanup () {
    $_->() for @CleanupHandlers;
}

# ---------------------------------------------------------------- helpers

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    return Test::More::like($got, $expected, $desc)
        if ref $expected && ref $expected eq 'Regexp';
    return Test::More::is($got, $expected, $desc) if $NoLongString;
    require Test::LongString;
    return Test::LongString::is_string($got, $expected, $desc);
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    $s;
}

sub parse_time ($) {
    my $tm = shift;
    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) { $tm /= 1000 }
        else { $tm =~ s/([^_a-zA-Z])s$/$1/ }
    }
    $tm;
}

# "Name: value" lines -> { Name => value }; "!Name" -> { Name => undef }.
# Returns [key, value] pairs in file order (the real one uses a hash).
sub parse_headers ($) {
    my @pairs;
    for (split /\n/, shift) {
        s/^\s+|\s+$//g;
        next if $_ eq '';
        if (s/^!\s*//) { push @pairs, [$_, undef]; next }
        my ($k, $v) = split /\s*:\s*/, $_, 2;
        push @pairs, [$k, $v];
    }
    \@pairs;
}

sub gen_rand_port ($) {
    my $used = shift;
    for (1 .. 1000) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                         LocalPort => $port, Proto => 'tcp');
        if ($sock) { $sock->close; return $port }
    }
    undef;
}

# Replace $TEST_NGINX_* from %ENV (missing -> bail out); TEST_NGINX_RAND_PORT_n
# gets a free port, stable within one block.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;
    my %used = ($ServerPort => 1, map { $_ => 1 } values %$rand_ports);
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $rand_ports->{$var} //= do {
                my $p = gen_rand_port(\%used)
                    // bail_out("$name - Cannot find an available listening port number for $var.\n");
                $used{$p} = 1;
                $p;
            };
        } else {
            defined $ENV{$var} or bail_out("$name - No environment $var defined.\n");
            $ENV{$var};
        }
    }eg;
    $text;
}

# /proc/<pid>/stat -> (state, ppid, pgrp, starttime) or () when gone
sub proc_stat ($) {
    my $pid = shift;
    open my $fh, '<', "/proc/$pid/stat" or return ();
    my $line = <$fh>;
    close $fh;
    return () unless defined $line && $line =~ /\)\s+(.*)$/s;
    my @f = split ' ', $1;    # f[0] = state, f[1] = ppid, f[2] = pgrp, f[19] = starttime
    return ($f[0], $f[1], $f[2], $f[19]);
}

# zombies count as gone (a container's PID 1 may not reap daemonized nginx)
sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && kill 0, $pid;
    my ($state) = proc_stat($pid);
    return defined $state ? $state ne 'Z' : 1;
}

# every live process in $pid's process group or descended from it: pid => starttime
sub related_pids ($) {
    my $master = shift;
    my (%info, %rel);
    opendir my $dh, '/proc' or return {};
    for my $p (grep /^\d+$/, readdir $dh) {
        my ($state, $ppid, $pgrp, $start) = proc_stat($p);
        next unless defined $state && $state ne 'Z';
        $info{$p} = [$ppid, $pgrp, $start];
    }
    closedir $dh;
    my $changed = 1;
    $rel{$master} = $info{$master}[2] if $info{$master};
    while ($changed) {
        $changed = 0;
        for my $p (keys %info) {
            next if $rel{$p} || $p == $$;
            if ($info{$p}[1] == $master || exists $rel{$info{$p}[0]}) {
                $rel{$p} = $info{$p}[2];
                $changed = 1;
            }
        }
    }
    delete $rel{$master};
    \%rel;
}

sub get_pid_from_pidfile ($) {
    my $name = shift;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for reading: $!");
    my $pid = do { local $/; <$in> };
    close $in;
    chomp $pid if defined $pid;
    $pid;
}

# QUIT the master, wait up to timeout(), then KILL its process group; finally
# SIGKILL any process of that master still alive (helper children, workers
# orphaned by a KILLed master), so nothing survives into the next block.
sub kill_process ($$) {
    my ($pid, $name) = @_;
    my %kids = %{ related_pids($pid) };
    warn "sending QUIT signal to $pid\n" if $Verbose;
    kill SIGQUIT, $pid;
    my $left = $Timeout;
    while ($left > 0 && is_running($pid)) {
        waitpid($pid, WNOHANG);
        %kids = (%kids, %{ related_pids($pid) });
        sleep 0.05;
        $left -= 0.05;
    }
    if (is_running($pid)) {
        warn "$name - timeout when waiting for the process $pid to exit\n";
        kill SIGKILL, (getpgrp($pid) == $pid ? -$pid : $pid);
        for (1 .. 40) { last unless is_running($pid); waitpid($pid, WNOHANG); sleep 0.05 }
    }
    for (1 .. 20) {    # give orphaned children a moment to finish on their own
        last unless grep { is_running($_) } keys %kids;
        sleep 0.05;
    }
    for my $kid (keys %kids) {
        next unless is_running($kid);
        my (undef, undef, undef, $start) = proc_stat($kid);
        next unless defined $start && $start eq $kids{$kid};    # pid reused
        warn "$name - WARNING: killing leftover child process $kid of nginx master $pid\n";
        kill SIGKILL, $kid;
    }
    for (1 .. 40) { last unless grep { is_running($_) } keys %kids; sleep 0.05 }
}

sub stop_nginx ($) {
    my $name = shift;
    return unless -f $PidFile;
    my $pid = get_pid_from_pidfile($name);
    if ($pid && is_running($pid)) {
        kill_process($pid, $name);
    }
    unlink $PidFile;
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    bail_out("Failed to get the version of nginx ($NginxBinary): " . ($out // ''))
        if !defined $out || $? != 0;
    $NginxV = $out;
    return sprintf("%d.%03d%03d", $1, $2, $3)
        if $out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)};
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

# ---------------------------------------------------------------- servroot

sub setup_server_root ($) {
    my $first_time = shift;
    if (-d $ServRoot) {
        remove_tree($ConfDir, glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
        if ($UseHup) {
            # real semantics: keep directories, remove every file except the
            # pid file, *.sock, *.crt and *.key (those too on the first block)
            find({ bydepth => 1, no_chdir => 1, wanted => sub {
                return if -d $_;
                return if !$first_time && /(?:\bnginx\.pid|\.sock|\.crt|\.key)$/;
                unlink $_ or warn "Failed to remove $_\n";
            } }, $ServRoot);
        } else {
            remove_tree($HtmlDir, $LogDir);
            rmdir $ServRoot or bail_out("Can't remove $ServRoot (not empty?): $!");
        }
    }
    for my $d ($ServRoot, $LogDir, $HtmlDir) {
        -d $d or mkdir $d or bail_out("Failed to do mkdir $d\n");
    }
    open my $out, '>', "$HtmlDir/index.html"
        or bail_out("Can't open $HtmlDir/index.html for writing: $!\n");
    print $out '<html><head><title>It works!</title></head><body>It works!</body></html>';
    close $out;
    mkdir $ConfDir or bail_out("Failed to do mkdir $ConfDir\n");
}

sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;
    if (!ref $files) {
        my @list;
        for (split /^/, $files) {
            if (/^>>> (\S+)(?:\s+(.+))?/) { push @list, [$1, undef, $2]; next }
            $list[-1][1] .= $_ if @list;
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: ", ref $files, ", only scalar or ARRAY are accepted");
    }
    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/} && !-d $1) {
            make_path($1) or bail_out("$name - Cannot create directory $1");
        }
        $body = expand_env_in_text($body // '', $name, $rand_ports);
        open my $out, '>', $path or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("$name - Failed to set the mtime of $path\n");
        }
    }
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;
    master_on() if $UseHup;    # config reload is buggy when master is off

    my $http_config = expand_env_in_text($block->http_config, $name, $rand_ports) // '';
    my $main_config = expand_env_in_text($block->main_config, $name, $rand_ports) // '';
    my $post_main   = expand_env_in_text($block->post_main_config, $name, $rand_ports) // '';
    my $err_log     = $block->error_log_file || $ErrLogFile;
    my $server_name = $block->server_name // $ServerName;
    $config //= '';

    # real: load_module lines are appended to main_config; we put them first so
    # that main-level directives of the loaded module work
    my $modules = join '', map { "load_module $_;\n" } grep { length } split /\s+/, $LoadModules // '';
    my $env = join '', map { my $v = /\s/ ? "'$_'" : $_; "env $v;\n" } @EnvToNginx;

    # Debian's binary has its temp paths under /var/lib/nginx: keep them here
    my $temp = '';
    for my $m (qw(client_body proxy fastcgi uwsgi scgi)) {
        next if $m ne 'client_body' && ($NginxV // '') =~ /--without-http_${m}_module/;
        $temp .= "    ${m}_temp_path $ServRoot/${m}_temp;\n";
    }

    my $root_loc = $NoRootLocation ? '' : <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    my $ver_server = !$UseHup ? '' : <<_EOC_;
    server {
        listen          $ServerPort;
        server_name     'Test-Nginx';

        location = /ver {
            return 200 '$ConfigVersion';
        }
    }
_EOC_
    my $user = $> == 0 ? "user root;\n" : '';

    open my $out, '>', $ConfFile or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env ASAN_OPTIONS;
env UBSAN_OPTIONS;
$env
$modules
$main_config

http {
    access_log $AccLogFile;

$temp
    default_type text/plain;
    keepalive_timeout  68;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_loc    }
$ver_server}

$post_main

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
$user
_EOC_
    close $out;
}

# ---------------------------------------------------------------- driver

sub run_tests () {
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;
    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value(name => "$0 " . $block->name);
        run_test($block);
        $PrevBlock = $block;
    }
    cleanup();
}

sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock;
    return unless defined $block && defined $block->shutdown_error_log;
    my $dry_run = ($UseHup || $ENV{TEST_NGINX_NO_CLEAN}) ? 1 : 0;
    $CheckShutdownErrorLog->($block, $dry_run);
    undef $PrevBlock;
}

# run nginx until it starts (or, for must_die, once); returns the exit status
sub start_nginx ($$) {
    my ($name, $must_die) = @_;
    -x $NginxBinary or bail_out("$name - Cannot find the nginx executable $NginxBinary");
    # -e: send pre-config (startup / [emerg]) messages to error.log, like a
    # build whose default --error-log-path is logs/error.log (Debian's is stderr)
    my $e = $NginxVersion >= 1.019005 ? "-e $ErrLogFile " : '';
    my $cmd = "$NginxBinary -p $ServRoot/ ${e}-c $ConfFile > /dev/null";
    $cmd .= " 2>&1" if defined $must_die;
    my ($waited, $i) = (0, 0);
    while (1) {
        warn "CMD: $cmd\n" if $Verbose;
        system($cmd);
        my $status = $?;
        return $status if defined $must_die || $status == 0;
        my $delay = 0.1 * ++$i;
        $delay = 1 if $delay > 1;
        sleep $delay;
        $waited += $delay;
        bail_out("$name - Cannot start nginx using command \"$cmd\" (status code $status).")
            if $waited >= 5;
    }
}

sub wait_for_pidfile () {
    for (1 .. 100) {
        if (-s $PidFile) {
            open my $in, '<', $PidFile or next;
            my $pid = <$in>;
            close $in;
            return $1 if defined $pid && $pid =~ /^(\d+)/ && is_running($1);
        }
        sleep 0.01;
    }
    undef;
}

sub gen_rand_str ($) {
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    join '', map { $c[rand @c] } 1 .. shift;
}

# the live (not zombie) child processes of a master: its workers and helpers
sub child_pids ($) {
    my ($ppid) = @_;
    my @pids;
    opendir(my $dh, '/proc') or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open(my $fh, '<', "/proc/$p/stat") or next;
        my $stat = <$fh>;
        close $fh;
        # pid (comm) state ppid ...; comm may hold spaces or parentheses
        next unless defined $stat && $stat =~ /\)\s+(\S)\s+(\d+)/;
        push @pids, $p if $2 == $ppid && $1 ne 'Z';
    }
    closedir $dh;
    return @pids;
}

sub alive ($) {
    my ($p) = @_;
    open(my $fh, '<', "/proc/$p/stat") or return 0;
    my $stat = <$fh>;
    close $fh;
    return defined $stat && $stat =~ /\)\s+(\S)/ && $1 ne 'Z';
}

# HUP mode: the old workers may still accept a request while they shut down
# (seen on a busy machine): wait up to 30 s for them to exit
sub wait_for_exit ($@) {
    my ($name, @pids) = @_;
    for (1 .. 300) {
        return unless grep { alive($_) } @pids;
        sleep 0.1;
    }
    warn "$name - old worker processes still running 30 s after HUP: "
         . join(' ', grep { alive($_) } @pids) . "\n";
}

# HUP mode: poll the 'Test-Nginx' server until the new config answers steadily
sub test_config_version ($$) {
    my ($name, $block) = @_;
    my $nsucc = 0;
    for my $try (1 .. 200) {
        my $ver = Test::Nginx::Socket::simple_get('/ver', 'Test-Nginx');
        if (defined $ver && $ver eq $ConfigVersion) {
            sleep $TestNginxSleep if ++$nsucc == 5;
            return if $nsucc >= 20;
            next;
        }
        $nsucc = 0;
        my $wait = ($TestNginxSleep + $TestNginxSleep * $try) * $try / 2;
        $wait = 1 if $wait > 1;
        sleep $wait;
    }
    Test::More::fail("$name - failed to reload configuration after 200 failed test requests");
}

sub run_test ($) {
    my $block = shift;
    return if defined $block->SKIP;
    my $name = $block->name;
    my $first_time = $FirstTime;
    undef $FirstTime;

    my $rand_ports = {};
    my $config = expand_env_in_text($block->config, $name, $rand_ports);

    local $LogLevel = $block->log_level || $LogLevel;
    local $UseHup = $UseHup;
    my $must_die = $block->must_die;
    undef $UseHup if defined $must_die;

    my $should_restart = 1;
    if (!defined $config) {
        # real semantics: no --- config means "reuse the running nginx as is"
        bail_out("$name - No '--- config' section specified and could not get previous one.")
            unless defined $PrevConfig;
        $should_restart = 0;
    } elsif (defined $PrevConfig && $config eq $PrevConfig && !$ForceRestartOnTest) {
        $should_restart = 0;
    }

    if ($should_restart) {
        $ConfigVersion = gen_rand_str(10) if $UseHup;
        $PrevConfig = $config;
        my $pid = -f $PidFile ? get_pid_from_pidfile($name) : undef;
        if ($pid && is_running($pid)) {
            if ($UseHup && !$first_time) {
                setup_server_root(0);
                write_user_files($block, $rand_ports);
                write_config_file($block, $config, $rand_ports);
                warn "sending USR1 + HUP to $pid\n" if $Verbose;
                kill SIGUSR1, $pid;     # reopen logs (the old files were removed)
                sleep $TestNginxSleep;
                my @old = child_pids($pid);
                kill SIGHUP, $pid;
                sleep $TestNginxSleep * 3;
                if (defined $block->reload_fails) { sleep 0.3 }
                else {
                    test_config_version($name, $block);
                    wait_for_exit($name, @old);
                }
                check_prev_block_shutdown_error_log();
                goto REQUEST;
            }
            kill_process($pid, $name);
        }
        unlink $PidFile if -f $PidFile;

        check_prev_block_shutdown_error_log();
        setup_server_root($first_time);
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);

        if (defined $must_die) {
            for my $i (0 .. $RepeatEach - 1) {
                $ErrLogFilePos = 0;
                my $status = start_nginx($name, $must_die);
                my $code = $status == -1 ? undef : $status >> 8;
                if ($status == -1) {
                    Test::More::fail("$name - failed to execute the nginx command line");
                } elsif ($status & 128) {
                    Test::More::fail("$name - nginx core dumped");
                } elsif (looks_like_number($must_die)) {
                    Test::More::is($must_die, $code, "$name - die with the expected exit code");
                } else {
                    Test::More::isnt($status, 0, "$name - die as expected");
                }
                $CheckErrorLog->($block, undef, 0, $i, 0);
                if ($status == 0) {
                    warn "WARNING: $name - nginx must die but it does not; killing it (req $i)\n";
                    my $pid = wait_for_pidfile();
                    kill_process($pid, $name) if $pid;
                    unlink $PidFile;
                }
            }
            return;
        }

        $ErrLogFilePos = 0;
        start_nginx($name, undef);
        wait_for_pidfile() or warn "WARNING: $name - nginx started but no live pid in $PidFile\n";
        sleep $TestNginxSleep;
    }

  REQUEST:
    # real semantics: init runs once per block, after nginx was (re)started or
    # reloaded and before the first request (also before repeat_each loops)
    if ($block->init) {
        eval $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (1 .. $RepeatEach) {
        warn "Run the test block $name ...\n" if $Verbose;
        write_user_files($block, $rand_ports) if $i > 1;
        $RunTestHelper->($block, 0, $i - 1);
    }
}

# the error.log lines written since the previous call (or all of them with
# check_accum_error_log)
sub error_log_data () {
    sleep $TestNginxSleep * 3;    # for logging in the log phase
    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogFilePos, 0 if !$CheckAccumErrLog && $ErrLogFilePos > 0;
    my @lines = <$in>;
    $ErrLogFilePos = tell($in) unless $CheckAccumErrLog;
    close $in;
    \@lines;
}

END {
    return if $InSubprocess;
    cleanup();
    if (!$ENV{TEST_NGINX_NO_CLEAN} && defined $PidFile && -f $PidFile) {
        local $?;
        stop_nginx('END');
    }
    {
        local $?;
        check_prev_block_shutdown_error_log();
    }
}

1;
