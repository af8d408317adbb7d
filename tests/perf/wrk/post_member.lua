-- POST /v1/members with a new Idempotency-Key per request (a thread id and a counter), and the JSON report.
-- `thread_id` is a global that setup() sets in each thread's own Lua state (a local would shadow it).
local counter = 0
local threads = 0

setup = function(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

request = function()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY"),
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", os.getenv("BENCH_RUN"), thread_id, counter),
  }
  return wrk.format("POST", "/v1/members", headers,
    '{"person_kind": "natural_person", "display_name": "Bench Member", "category": 1}')
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
