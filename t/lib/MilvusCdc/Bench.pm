package MilvusCdc::Bench;

# The test bench from the replication tests: the workload and diff tools of
# t/tools (pymilvus, work/venv) against the bench's source and target
# Milvus (work/bench/env, see docs/bench.md).  Used in "--- init" sections,
# which run after nginx started and before the block's requests.

use strict;
use warnings;
use Exporter ();
use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time);

our @EXPORT = qw(workload diff_bench reset_bench target_count strong_count
                 source_count bench_python trim_source_log source_conf
                 bench_stop bench_start stream_start stream_wait
                 after_upsert);

our $Root = abs_path(dirname(__FILE__) . '/../../..');

sub import {
    my $class = shift;
    Exporter::export($class, scalar caller, @EXPORT);
    Exporter::export($class, 'Test::Nginx::Util', @EXPORT);
}

# the http{} directives that point the module at the bench's source
sub source_conf () {
    return <<"CONF";
    milvus_cdc_store cdc_temp;
    milvus_cdc_source_etcd_endpoints $ENV{TEST_NGINX_ETCD_ENDPOINTS};
    milvus_cdc_source_etcd_root_path $ENV{TEST_NGINX_SOURCE_ROOT_PATH};
    milvus_cdc_source_kafka_brokers $ENV{TEST_NGINX_KAFKA_BROKERS};
    milvus_cdc_source_channel_prefix $ENV{TEST_NGINX_CHANNEL_PREFIX};
    milvus_cdc_source_dml_channels $ENV{TEST_NGINX_DML_CHANNELS};
CONF
}

sub bench_python () {
    my $py = "$Root/work/venv/bin/python";
    die "no $py: run ./build.sh env up\n" unless -x $py;
    return $py;
}

sub run_tool ($@) {
    my ($tool, @args) = @_;
    my $out = qx{@{[bench_python()]} $Root/t/tools/$tool @args 2>&1};
    # a tool killed by a signal failed too (128 + the signal, as a shell says)
    return ($? & 127 ? 128 + ($? & 127) : $? >> 8, $out);
}

# workload.py --uri source <args>: the exit code (0 = done)
sub workload (@) {
    my ($rc, $out) = run_tool('workload.py', '--uri', 'source', @_);
    Test::More::diag("workload @_: $out") if $rc;
    return $rc;
}

# diff.py source target --wait <seconds> <args>: (exit code, report)
sub diff_bench ($@) {
    my ($wait, @args) = @_;
    my ($rc, $out) = run_tool('diff.py', 'source', 'target', '--wait', $wait,
                              '--interval', 2, @args);

    keep_error_log(\$out) if $rc;

    return ($rc, $out);
}

# a failed comparison keeps nginx's error.log under work/kept-logs/ and
# appends its [warn]/[error]/[alert] lines (the last 40) to the report
sub keep_error_log ($) {
    my ($out) = @_;
    my $log = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log";
    my $dir = "$Root/work/kept-logs";

    return unless -f $log;

    make_path($dir);
    my $kept = sprintf("%s/%s-%d-error.log", $dir,
                       basename($0), time);
    copy($log, $kept);

    open(my $fh, '<', $log) or return;
    my @lines = grep { /\[(?:warn|error|alert|crit|emerg)\]/ } <$fh>;
    close($fh);
    splice(@lines, 0, @lines - 40) if @lines > 40;
    $$out .= "\nerror.log kept as $kept; its last warnings:\n"
             . join('', @lines);
}

# drops every database and collection of both instances
sub reset_bench () {
    my $code = <<'PY';
import sys
from pymilvus import connections, utility, db
for i, uri in enumerate(sys.argv[1:]):
    connections.connect(alias=str(i), uri=uri)
    for d in db.list_database(using=str(i)):
        db.using_database(d, using=str(i))
        for c in utility.list_collections(using=str(i)):
            utility.drop_collection(c, using=str(i))
        if d != "default":
            db.drop_database(d, using=str(i))
PY
    system(bench_python(), '-c', $code, $ENV{TEST_NGINX_SOURCE_URI},
           $ENV{TEST_NGINX_TARGET_URI}) == 0
        or die "cannot reset the bench\n";
}

# rows of a collection as count(*) sees them (-1 if there is none), of
# those matching a filter expression when one is given
sub count_rows ($$;$) {
    my ($uri, $coll, $expr) = @_;
    my $code = <<'PY';
import sys
from pymilvus import connections, utility, Collection
connections.connect(uri=sys.argv[1])
if not utility.has_collection(sys.argv[2]):
    print(-1)
else:
    c = Collection(sys.argv[2])
    r = c.query(sys.argv[3] if len(sys.argv) > 3 else "",
                output_fields=["count(*)"], consistency_level="Eventually")
    print(r[0]["count(*)"])
PY
    my $filter = defined $expr ? "'$expr'" : '';
    my $out = qx{@{[bench_python()]} -c '$code' $uri $coll $filter 2>/dev/null};
    chomp $out;
    return $out eq '' ? -2 : $out + 0;
}

# drops every record of the source's DML pchannels (Kafka topics) below
# their end, as Kafka retention would; returns the number of topics trimmed
sub trim_source_log () {
    my @topics = map { "$ENV{TEST_NGINX_CHANNEL_PREFIX}-rootcoord-dml_$_" }
                     0 .. $ENV{TEST_NGINX_DML_CHANNELS} - 1;
    my $libs = (glob("$Root/work/cache/kafka-*/libs"))[0]
        // die "no Kafka jars: run ./build.sh env up\n";
    open(my $fh, '-|', 'java', '-cp', "$libs/*",
         "$Root/t/tools/KafkaDeleteRecords.java",
         $ENV{TEST_NGINX_KAFKA_BROKERS}, @topics)
        or die "cannot run java: $!\n";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    die "KafkaDeleteRecords failed: $out\n" if $?;
    return scalar grep { /^\S+ \d+$/ } split /\n/, $out;
}

# t/bench/env.sh stop|start PART (etcd, kafka, source, target): one part of
# the bench stopped, or started again on its data; true when it worked.
# env.sh needs the BENCH_* variables the bench was brought up with.
sub bench_part ($$) {
    my ($cmd, $part) = @_;
    my $out = qx{bash $Root/t/bench/env.sh $cmd $part 2>&1};
    return 1 if $? == 0;
    Test::More::diag("env.sh $cmd $part: $out");
    return 0;
}

sub bench_stop ($)  { bench_part('stop', shift) }
sub bench_start ($) { bench_part('start', shift) }

# workload.py stream --mix in the background: stream_start($collection,
# $seconds, @more_args) returns a handle for stream_wait()
sub stream_start ($$@) {
    my ($coll, $seconds, @args) = @_;
    my $base = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/stream-$coll";
    my @cmd = (bench_python(), "$Root/t/tools/workload.py", '--uri', 'source',
               'stream', '--mix', '--collection', $coll,
               '--seconds', $seconds, '--marks', "$base.marks", @args);
    unlink "$base.marks";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open(STDOUT, '>', "$base.json") or POSIX::_exit(1);
        open(STDERR, '>', "$base.log") or POSIX::_exit(1);
        exec(@cmd) or POSIX::_exit(1);
    }
    return { pid => $pid, out => "$base.json", log => "$base.log",
             marks => "$base.marks", started => time };
}

# waits for the stream's next upsert (the time its call returned, later than
# now), then $delay seconds more; false when none came within 10 s
sub after_upsert ($;$) {
    my ($s, $delay) = @_;
    my $now = time;
    while (time - $now < 10) {
        if (open(my $fh, '<', $s->{marks})) {
            my @t = map { /^upsert ([\d.]+)/ ? $1 : () } <$fh>;
            if (@t && $t[-1] > $now) {
                my $at = $t[-1] + ($delay // 0);
                sleep($at - time) if $at > time;
                return 1;
            }
        }
        sleep 0.02;
    }
    return 0;
}

# waits for the stream's end: its JSON summary (expected_rows: the keys that
# are live, ...), plus rc (its exit code) and ended (when it stopped writing)
sub stream_wait ($) {
    my ($s) = @_;
    waitpid($s->{pid}, 0);
    my %res = (rc => $? >> 8, ended => time);
    if (open(my $fh, '<', $s->{out})) {
        my $json = do { local $/; <$fh> } // '';
        my $sum = eval { JSON::PP::decode_json($json) };
        %res = (%$sum, %res) if $sum;
    }
    # the writer's stop: when it printed its summary (it may have ended long
    # before this wait)
    $res{ended} = $res{ended_epoch} if $res{ended_epoch};
    if ($res{rc} || !defined $res{expected_rows}) {
        $res{rc} ||= -1;
        if (open(my $fh, '<', $s->{log})) {
            my @lines = <$fh>;
            splice(@lines, 0, @lines - 20) if @lines > 20;
            Test::More::diag("the stream failed:\n", @lines);
        }
    }
    return \%res;
}

# count(*) of a collection with Strong consistency (the reader waits until
# the server's TimeTicks pass the time of the query), at most $secs
# seconds: the count, or -3 when the query timed out or failed
sub strong_count ($$;$) {
    my ($uri, $coll, $secs) = @_;
    $secs //= 20;
    my $code = <<'PY';
import sys
from pymilvus import connections, Collection
connections.connect(uri=sys.argv[1])
try:
    r = Collection(sys.argv[2]).query("", output_fields=["count(*)"],
                                      consistency_level="Strong",
                                      timeout=float(sys.argv[3]))
    print(r[0]["count(*)"])
except Exception:
    print(-3)
PY
    my $out = qx{@{[bench_python()]} -c '$code' $uri $coll $secs 2>/dev/null};
    chomp $out;
    return $out eq '' ? -2 : $out + 0;
}

sub target_count ($;$) { count_rows($ENV{TEST_NGINX_TARGET_URI}, $_[0], $_[1]) }
sub source_count ($;$) { count_rows($ENV{TEST_NGINX_SOURCE_URI}, $_[0], $_[1]) }

1;
