package MilvusCdc::Process;

# Process helpers for the helper-process tests: find the nginx master of the
# test server root and its "milvus cdc helper process", wait for exits.

use strict;
use warnings;
use Exporter ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(master_pid helper_pid wait_gone nginx_reload nginx_quit
                 nginx_start);

# "--- init" code runs in package Test::Nginx::Util (with the real
# Test::Nginx as with t/lib's): the helpers are exported there too
sub import {
    my $class = shift;
    Exporter::export($class, scalar caller, @EXPORT);
    Exporter::export($class, 'Test::Nginx::Util', @EXPORT);
}

sub master_pid ($) {
    my $servroot = shift;
    open my $fh, '<', "$servroot/logs/nginx.pid" or die "no nginx.pid: $!\n";
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

# the child of the master whose title is the helper's (0 if none)
sub helper_pid ($) {
    my $master = shift;
    opendir my $dh, '/proc' or die "/proc: $!\n";
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $st, '<', "/proc/$pid/stat" or next;
        my $stat = <$st>;
        next unless $stat && $stat =~ /\)\s+(\S)\s+(\d+)/;
        next unless $2 == $master && $1 ne 'Z';
        open my $cl, '<', "/proc/$pid/cmdline" or next;
        my $cmd = do { local $/; <$cl> } // '';
        return $pid if $cmd =~ /milvus cdc helper process/;
    }
    return 0;
}

# the nginx command line of the test server root, as the runner starts it
sub nginx_cmd (@) {
    my $root = Test::Nginx::Util::server_root();
    return ($ENV{TEST_NGINX_BINARY} || 'nginx', '-p', "$root/",
            '-e', "$root/logs/error.log", '-c', "$root/conf/nginx.conf", @_);
}

# nginx -s reload; true when nginx accepted the signal
sub nginx_reload () {
    return system(nginx_cmd('-s', 'reload')) == 0;
}

# QUIT to the master; waits until it and its children are gone (at most
# $limit seconds, 30 by default); true when they are
sub nginx_quit (;$) {
    my $limit = shift // 30;
    my $root = Test::Nginx::Util::server_root();
    my $master = master_pid($root);
    my @kids = child_pids($master);
    kill 'QUIT', $master or return 0;
    my $start = time;
    for my $pid ($master, @kids) {
        wait_gone($pid, $limit - (time - $start));
    }
    return !grep { alive($_) } $master, @kids;
}

# starts nginx again on the test server root's config; true when its master
# and a helper process run
sub nginx_start () {
    my $root = Test::Nginx::Util::server_root();
    system(nginx_cmd()) == 0 or return 0;
    my $start = time;
    while (time - $start < 10) {
        my $master = eval { master_pid($root) };
        return 1 if $master && alive($master) && helper_pid($master);
        sleep 0.1;
    }
    return 0;
}

sub child_pids ($) {
    my $ppid = shift;
    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $st, '<', "/proc/$pid/stat" or next;
        my $stat = <$st>;
        next unless $stat && $stat =~ /\)\s+(\S)\s+(\d+)/;
        push @pids, $pid if $2 == $ppid && $1 ne 'Z';
    }
    return @pids;
}

sub alive ($) {
    my $pid = shift;
    open my $st, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$st> // '';
    return $stat =~ /\)\s+(\S)/ && $1 ne 'Z';
}

# seconds until $pid is gone (or a zombie), at most $limit
sub wait_gone ($$) {
    my ($pid, $limit) = @_;
    my $start = time;
    while (time - $start < $limit) {
        my $st;
        last unless open $st, '<', "/proc/$pid/stat";
        my $stat = <$st> // '';
        last if $stat =~ /\)\s+Z\s/;
        sleep 0.02;
    }
    return time - $start;
}

1;
