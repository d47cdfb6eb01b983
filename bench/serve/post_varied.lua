-- wrk script: POST /v1/runs with std-v1 and a decode.max_new_tokens that changes on every request (1 to 4000,
-- then again), so that no request repeats within the result cache's 1024 entries: every request is a miss and
-- evaluates the model. Measures the server without the benefit of its cache (with the cost of filling it).
--   SCRIPT=post_varied.lua bench/serve/run.sh build 4 10 1
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n % 4000 + 1
  return wrk.format(nil, nil, nil,
    '{"plugin":"deepseek_ocr","workload":"std-v1","set":{"decode.max_new_tokens":' .. n .. '}}')
end
