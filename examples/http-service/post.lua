-- wrk script for `make http-bench`: POST /users.  The ids cycle through
-- 1..USERS (the first script argument, default 10000), the threads
-- (WRK_THREADS, the second, default 2) interleaved, so that every id is
-- stored once the first USERS posts are done, and again and again after.
local threads = 0

function setup(thread)
   thread:set("first", threads)
   threads = threads + 1
end

local users, stride, n = 10000, 2, 0

function init(args)
   users = tonumber(args[1]) or users
   stride = tonumber(args[2]) or stride
end

function request()
   local id = (first + n * stride) % users + 1
   n = n + 1
   local body = string.format('{"id":%d,"name":"user %d","score":%d,"tags":["a","b"]}',
                              id, id, n)
   return wrk.format("POST", "/users", {["Content-Type"] = "application/json"}, body)
end
