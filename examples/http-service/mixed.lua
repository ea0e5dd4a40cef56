-- wrk script for `make http-bench`: nine GET /users/{id} for one POST /users,
-- ids drawn from 1..USERS (the first script argument, default 10000).
local users = 10000
local n = 0

function init(args)
   users = tonumber(args[1]) or users
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
   n = n + 1
   local id = math.random(1, users)
   if n % 10 == 0 then
      local body = string.format('{"id":%d,"name":"user %d","score":%d}', id, id, n)
      return wrk.format("POST", "/users", {["Content-Type"] = "application/json"}, body)
   end
   return wrk.format("GET", "/users/" .. id)
end
