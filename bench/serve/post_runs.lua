-- wrk script: POST /v1/runs with the std-v1 body of the issue's curl example, over keep-alive connections.
--   wrk -t1 -c4 -d10s --latency -s bench/serve/post_runs.lua http://127.0.0.1:8470/v1/runs
-- wrk counts any status other than 2xx/3xx as "Non-2xx or 3xx responses" (all must be 201).
wrk.method = "POST"
wrk.body = '{"plugin":"deepseek_ocr","workload":"std-v1"}'
wrk.headers["Content-Type"] = "application/json"
