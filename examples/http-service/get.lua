-- wrk script for `make http-bench`: GET /users/{id}, ids drawn from 1..USERS
-- (the first script argument, default 10000), stored by the POST run before.
local users = 10000

function init(args)
   users = tonumber(args[1]) or users
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
   return wrk.format("GET", "/users/" .. math.random(1, users))
end
