package MilvusCdc::Faults;

# The fault matrix (t/110-faults.t, t/111-faults-restart.t): a mixed stream
# on the source (workload.py stream --mix: 50 inserts every 100 ms, every
# 10th batch an upsert of 20 earlier keys and a delete of 10), a fault
# injected while it runs, then the target compared with the source row by
# row (t/tools/diff.py) and count(*) checked on both sides.

use strict;
use warnings;
use Exporter ();
use HTTP::Tiny ();
use JSON::PP ();
use List::Util qw(max);
use Time::HiRes qw(sleep time);
use MilvusCdc::Bench;

our @EXPORT = qw(api task_get fault_stream);

sub import {
    my $class = shift;
    Exporter::export($class, scalar caller, @EXPORT);
    Exporter::export($class, 'Test::Nginx::Util', @EXPORT);
}

# a task API request to the test nginx from Perl code (--- init): the
# decoded answer, or {code => -1, message => why} when there is none
sub api ($;$) {
    my ($type, $data) = @_;
    my $body = defined $data
        ? qq({"request_type":"$type","request_data":$data})
        : qq({"request_type":"$type"});
    my $url = sprintf('http://127.0.0.1:%d/cdc',
                      Test::Nginx::Util::server_port());
    my $res = HTTP::Tiny->new(timeout => 10)->post($url, { content => $body });
    my $ans = $res->{success}
              && eval { JSON::PP::decode_json($res->{content}) };
    return $ans || { code => -1, message => "$res->{status} $res->{content}" };
}

# the Task object of a get (undef when there is none)
sub task_get ($) {
    my $id = shift;
    my $ans = api('get', qq({"task_id":"$id"}));
    return $ans->{code} == 200 ? $ans->{data}{task} : undef;
}

# fault_stream(name => 'reload', collection => 'c', seconds => 40,
#              at => 15, wait => 120, inject => sub { ... })
#
# Creates the collection (rich_int: 2 shards; index and load, so that
# count(*) works), runs the stream for `seconds`, calls `inject` `at`
# seconds in, with the stream's handle (for after_upsert(); it returns once
# the fault is over), waits for the stream's
# end, then for the target to converge (diff.py --counts-first: count(*)
# polled, then every row compared; at most `wait` seconds after the later
# of the stream's end and the fault's end).  Checks: the stream ran, the
# diff says equal, count(*) on both sides is the number of live keys.
# Prints "convergence: NAME S s (...)", S counted from the writer's stop
# ("convergence: NAME none (...)" when the target did not converge).
# Returns {converged => seconds or undef, lost => source - target count(*),
# stream => the stream's summary}.
sub fault_stream (%) {
    my %o = @_;
    my ($name, $coll) = @o{qw(name collection)};
    my $at = $o{at} // 15;
    my $wait = $o{wait} // 120;
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    for my $step (qw(create index load)) {
        workload($step, '--collection', $coll) == 0
            or die "$name: workload $step failed\n";
    }
    my $s = stream_start($coll, $o{seconds}, '--rate', 500);
    my $t_at = $s->{started} + $at;
    sleep($t_at - time) if $t_at > time;
    {
        # the injection's own checks: located (and TODO-able) in the caller
        local $Test::Builder::Level = $Test::Builder::Level - 1;
        $o{inject}->($s);
    }
    my $fault_over = time;
    my $sum = stream_wait($s);
    Test::More::is($sum->{rc}, 0, "$name: the stream ran on the source");

    my $from = max($sum->{ended}, $fault_over);
    my ($rc, $out) = diff_bench($wait + $from - time, '--counts-first',
                                '--collection', $coll);
    my %r = (stream => $sum);
    Test::More::is($rc, 0, "$name: diff: target equals source")
        or Test::More::diag($out);
    my $want = $sum->{expected_rows} // -1;
    my ($src, $tgt) = (source_count($coll), target_count($coll));
    $r{lost} = $src - $tgt;
    if ($rc == 0
        && $out =~ /the equal one began at \+[\d.]+ s, epoch ([\d.]+)/)
    {
        my $began = $1;
        $r{converged} = $began - $sum->{ended};
        Test::More::diag(sprintf(
            "convergence: %s %.1f s (%.1f s after the fault ended;"
            . " stream: %d batches, %d live keys, %d retries)",
            $name, $r{converged}, $began - $from, $sum->{batches} // 0,
            $want, $sum->{retries} // 0));
    } else {
        Test::More::diag(sprintf(
            "convergence: %s none (not equal %d s after the fault;"
            . " count(*) source %d, target %d: %d rows missing)",
            $name, $wait, $src, $tgt, $r{lost}));
    }
    Test::More::is($src, $want,
                   "$name: count(*) on the source: the live keys");
    Test::More::is($tgt, $want,
                   "$name: count(*) on the target: the live keys");
    return \%r;
}

1;
