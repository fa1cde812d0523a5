package MilvusCdc::Process;

# Process helpers for the helper-process tests: find the nginx master of the
# test server root and its "milvus cdc helper process", wait for exits.

use strict;
use warnings;
use Exporter ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(master_pid helper_pid wait_gone);

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
