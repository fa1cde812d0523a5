-- wrk script of bench/api.sh: every request is "POST <path>" with a JSON body.
--
--   wrk ... -s bench/api.lua http://127.0.0.1:PORT -- '<json body>' [/cdc]
--
-- With BENCH_CHECK=1 every answer is also checked to be a code-200 envelope
-- (this costs wrk CPU, which on a small machine is nginx's CPU too); the
-- count of other answers is printed at the end as "bad answers: N".

local body, path = nil, "/cdc"
local req
local check = os.getenv("BENCH_CHECK") == "1"
bad = 0  -- a global: done() reads it from each thread with thread:get()

function init(args)
    body = args[1] or '{"request_type":"list"}'
    path = args[2] or path
    req = wrk.format("POST", path,
                     { ["Content-Type"] = "application/json" }, body)
end

function request()
    return req
end

if check then
    function response(status, headers, resp)
        if status ~= 200 or resp:sub(1, 11) ~= '{"code":200' then
            bad = bad + 1
        end
    end
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function done(summary, latency, requests)
    if not check then
        return
    end
    local n = 0
    for _, t in ipairs(threads) do
        n = n + (t:get("bad") or 0)
    end
    io.write(string.format("bad answers: %d\n", n))
end
