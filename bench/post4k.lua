-- wrk script of the post-4k scenario: POST a 4 KiB body to the URL's path
-- (/echo), which the origin reads and answers with a 12-byte body.
--   wrk -t1 -c64 -d10s --latency -s bench/post4k.lua http://127.0.0.1:PORT/echo
wrk.method = "POST"
wrk.body = string.rep("x", 4096)
wrk.headers["Content-Type"] = "application/octet-stream"
