-- One fixed AWS JSON request, as fast as wrk sends it: the control-plane workloads of
-- bench/http/control-plane.sh. wrk -t1 -c8 -d10s -s post.lua URL -- TARGET CONTENT_TYPE BODY_FILE
local req

function init(args)
  local target, ctype, file = args[1], args[2], args[3]
  local f = assert(io.open(file, "rb"))
  local body = f:read("*a")
  f:close()
  local headers = {
    ["Content-Type"] = ctype,
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/bench/aws4_request, SignedHeaders=host, Signature=0",
  }
  -- TARGET "-": an AWS Query request (form body, no X-Amz-Target), as bench/http/sns.sh sends.
  -- TARGET "rpcv2:<path>": Smithy RPC v2 (path /service/<Service>/operation/<Op>), as
  -- bench/http/cloudwatch.sh sends CBOR.
  local path = "/"
  if target:sub(1, 6) == "rpcv2:" then
    path = target:sub(7)
    headers["smithy-protocol"] = "rpc-v2-cbor"
  elseif target ~= "-" then
    headers["X-Amz-Target"] = target
  end
  req = wrk.format("POST", path, headers, body)
end

function request() return req end

function done(summary, latency, requests)
  local s = summary.duration / 1e6
  io.stderr:write(string.format("RESULT %.0f %d %d %.0f %.0f\n", summary.requests / s,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
