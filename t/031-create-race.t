# Races on the task API: every request is answered, also when another
# worker changes the task store between the steps of a create.
#
# Clients in parallel, against four workers: some create the task "T" with
# its task_id (an existing id is a repeat, answered with the id; a missing
# one contacts the target and stores it), others delete "T".  Each request
# must get a complete JSON answer within 5 s; the answers are counted.
# Meanwhile a third writer (the sqlite3 shell) holds the store's write lock
# for 30 ms at a time, as the helper process does for its leases and
# checkpoints: the creates and deletes that wait for it run in a mixed order
# as soon as it commits.

use Test::Nginx::Socket 'no_plan';
use MilvusCdc::Test;
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time);

# one request on its own connection: (answer body, or undef when none came
# within $timeout seconds; the time it took)
sub post ($$) {
    my ($body, $timeout) = @_;
    my $start = time;
    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => Test::Nginx::Util::server_port_for_client(),
        Proto    => 'tcp',
        Timeout  => $timeout,
    ) or return (undef, 0);
    print $s "POST /cdc HTTP/1.0\r\nHost: localhost\r\n"
           . "Content-Type: application/json\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    my ($sel, $resp) = (IO::Select->new($s), '');
    while (1) {
        my $left = $start + $timeout - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $n = sysread $s, $resp, 65536, length $resp;
        last unless $n;
    }
    close $s;
    my $took = time - $start;
    return (undef, $took) unless $resp =~ /\r\n\r\n(.*)\z/s && length $1;
    return ($1, $took);
}

# $clients children of which $creators create "T", the others delete it,
# $ops requests each, for at most $limit seconds in all; returns the
# number of answers with code 200, of answers "fail to … the task store"
# (500: the store stayed locked longer than a worker waits), of requests
# without answer and of other answers
sub race ($$$$) {
    my ($clients, $creators, $ops, $limit) = @_;
    my (undef, $create) = split /\n/, create("T"), 2;
    my $delete = '{"request_type":"delete","request_data":'
               . '{"task_id":"T","ignore_not_found":true}}';
    my $deadline = time + $limit;
    my @pipes;

    # the third writer, until the clients are done
    my $locker = fork // die "fork: $!";
    if ($locker == 0) {
        $Test::Nginx::Util::InSubprocess = 1;
        my $db = Test::Nginx::Util::server_root() . "/cdc_temp/tasks.db";
        open my $sh, '|-', 'sqlite3', $db or POSIX::_exit(1);
        select((select($sh), $| = 1)[0]);
        print $sh ".timeout 1000\n";
        while (time < $deadline) {
            print $sh "BEGIN IMMEDIATE;\n";
            Time::HiRes::sleep(0.03);
            print $sh "COMMIT;\n";
            Time::HiRes::sleep(0.01);
        }
        close $sh;
        POSIX::_exit(0);
    }

    for my $c (1 .. $clients) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            close $r;
            $Test::Nginx::Util::InSubprocess = 1;
            my ($ok, $busy, $lost, $bad) = (0, 0, 0, 0);
            for (1 .. $ops) {
                last if time > $deadline;
                my ($body) = post($c <= $creators ? $create : $delete, 5);
                my $json = defined $body
                    ? eval { JSON::PP->new->utf8->decode($body) } : undef;
                if (!defined $body) {
                    $lost++;
                } elsif (ref $json eq 'HASH' && $json->{code} == 200) {
                    $ok++;
                } elsif (ref $json eq 'HASH' && $json->{code} == 500
                         && $json->{message} =~ /^fail to \w+ the task/)
                {
                    # the store stayed locked longer than the workers wait
                    $busy++;
                } else {
                    $bad++;
                    print STDERR "bad answer: $body\n" if $bad < 3;
                }
            }
            print $w "$ok $busy $lost $bad\n";
            close $w;
            POSIX::_exit(0);
        }
        close $w;
        push @pipes, [$pid, $r];
    }

    my ($ok, $busy, $lost, $bad) = (0, 0, 0, 0);
    for my $p (@pipes) {
        my $line = readline($p->[1]) // "0 0 0 0";
        waitpid $p->[0], 0;
        my @n = split ' ', $line;
        $ok += $n[0];
        $busy += $n[1];
        $lost += $n[2];
        $bad += $n[3];
    }
    kill 'TERM', $locker;
    waitpid $locker, 0;
    return ($ok, $busy, $lost, $bad);
}

{
    no strict 'refs';
    *{"Test::Base::Filter::$_"} = \&{"main::$_"} for qw(race);
}

workers(4);
master_on();
log_level('notice');
no_shuffle();
run_tests();

__DATA__

=== TEST 1: create with a task_id while other clients delete it: every request answered
--- http_config
    milvus_cdc_store cdc_temp;
--- config
    location = /cdc { milvus_cdc on; }
--- init
my ($ok, $busy, $lost, $bad) = main::race(12, 8, 84, 60);
Test::More::is($lost, 0, "no request left without an answer (of "
                         . ($ok + $busy + $lost + $bad) . ")");
Test::More::is($bad, 0, "no answer other than code 200 or a busy store");
Test::More::cmp_ok($ok, '>=', 500, "at least 500 answers with code 200 "
                                   . "($busy with a busy store)");
--- request eval
cdc('list')
--- response_body_like
^\{"code":200,"data":\{"tasks":\[.*\]\}\}$
--- no_error_log
[alert]
[crit]
