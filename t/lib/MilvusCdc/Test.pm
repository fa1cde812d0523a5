package MilvusCdc::Test;

# Helpers shared by the t/*.t files: task API requests and the Task objects
# the module is expected to answer with.  The target Milvus of a create is
# the test bench's (./build.sh env up writes its address to work/bench/env;
# ./build.sh test exports it as TEST_NGINX_TARGET_URI).

use strict;
use warnings;
use Exporter ();

our @EXPORT = qw(target source cdc create task tasks deleted);

# Test::Base runs "--- … eval" sections in package Test::Base::Filter (with
# the real Test::Nginx as with t/lib's): the helpers are exported there too
sub import {
    my $class = shift;
    Exporter::export($class, scalar caller, @EXPORT);
    Exporter::export($class, 'Test::Base::Filter', @EXPORT);
}

sub target () {
    $ENV{TEST_NGINX_TARGET_URI}
        or die "TEST_NGINX_TARGET_URI is not set: run ./build.sh test, or "
             . "./build.sh env up and export TEST_NGINX_TARGET_URI=\$TARGET_URI "
             . "from work/bench/env\n";
}

# the bench's source Milvus: a second, distinct target for tests that need one
sub source () {
    $ENV{TEST_NGINX_SOURCE_URI}
        or die "TEST_NGINX_SOURCE_URI is not set: see target()\n";
}

# "POST /cdc" with {"request_type": $type, "request_data": $data}
# the answer to a delete of an existing task (a note on what stays behind)
sub deleted () {
    qq({"code":200,"data":{"target":"the target stays in replicate mode )
    . qq((common.ttMsgEnabled false) with what was replicated; set )
    . qq(ttMsgEnabled back to true to write to it, or create a task again: )
    . qq(it continues without duplicates"}}\n);
}

sub cdc ($;$) {
    my ($type, $data) = @_;
    my $body = defined $data
        ? qq({"request_type":"$type","request_data":$data})
        : qq({"request_type":"$type"});
    return "POST /cdc\n$body";
}

# a create request: create($id, scope => '"collection_infos":[…]',
# uri => …, extra => ',"token":"…"', data => ',"disable_auto_start":true')
sub create ($%) {
    my ($id, %o) = @_;
    my $uri = $o{uri} // target();
    my $scope = $o{scope} // '"collection_infos":[{"name":"*"}]';
    my $extra = $o{extra} // '';
    my $data = $o{data} // '';
    my $tid = defined $id ? qq("task_id":"$id",) : '';
    return cdc('create', qq({$tid"milvus_connect_param":{"uri":"$uri"$extra},)
                         . qq($scope$data}));
}

# the Task object of get/list
sub task ($$%) {
    my ($id, $state, %o) = @_;
    my $uri = $o{uri} // target();
    my $timeout = $o{timeout} // 5;
    my $scope = $o{scope} // '"collection_infos":[{"name":"*"}]';
    my $reason = defined $o{reason} ? qq(,"reason":"$o{reason}") : '';
    return qq({"task_id":"$id","milvus_connect_param":{"uri":"$uri",)
         . qq("connect_timeout":$timeout},$scope,"state":"$state"$reason});
}

# the body of a list answer
sub tasks (@) {
    return '{"code":200,"data":{"tasks":[' . join(',', @_) . "]}}\n";
}

1;
