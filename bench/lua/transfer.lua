-- wrk script for the HTTP transfer load (bench/transfers.py): each wrk thread (one
-- connection each) is one signed-in customer POSTing the transfer confirmation.
--
-- The client file (the script's argument, after "--") has one line per thread:
--   cookie <TAB> body prefix <TAB> idempotency-key prefix <TAB> comma-separated numbers
-- The body prefix is already form-urlencoded (csrf_token, flow, from_account, amount,
-- memo); each request adds a random destination and a fresh idempotency key: the key
-- prefix (unique to this run and thread) plus a 12-hex-digit counter, a valid UUID.
--
-- A 302 whose Location contains "/transfers/" is a transfer made; anything else counts
-- as an error by kind ("500", "302 /auth/login", ...). done() prints one BENCH_JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  local line_no = 0
  for line in io.lines(args[1]) do
    line_no = line_no + 1
    if line_no == index then
      cookie, body_prefix, key_prefix, numbers =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    end
  end
  assert(body_prefix, "no client line " .. index .. " in " .. args[1])
  destinations = {}
  for number in numbers:gmatch("[^,]+") do
    table.insert(destinations, number)
  end
  assert(#destinations > 0, "client " .. index .. " has no account to pay")
  wrk.method = "POST"
  wrk.path = "/transfers/confirm"
  wrk.headers["Cookie"] = cookie
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  math.randomseed(index)
  sent = 0
  made = 0
  kinds = {}
end

function request()
  sent = sent + 1
  local body = body_prefix
    .. "&to_number=" .. destinations[math.random(#destinations)]
    .. "&idempotency_key=" .. key_prefix .. string.format("%012x", sent)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  local kind
  if status == 302 then
    local location = headers["Location"] or headers["location"] or ""
    if location:find("/transfers/", 1, true) then
      made = made + 1
      return
    end
    kind = "302 " .. location:match("^[^?]*")
  else
    kind = tostring(status)
  end
  kinds[kind] = (kinds[kind] or 0) + 1
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

function done(summary, latency, requests)
  local total_made, total_kinds = 0, {}
  for _, thread in ipairs(threads) do
    total_made = total_made + (thread:get("made") or 0)
    for kind, count in pairs(thread:get("kinds") or {}) do
      total_kinds[kind] = (total_kinds[kind] or 0) + count
    end
  end
  local parts = {}
  for kind, count in pairs(total_kinds) do
    table.insert(parts, json_string(kind) .. ": " .. count)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"made\": %d, \"kinds\": {%s}, " ..
    "\"connect_errors\": %d, \"read_errors\": %d, \"write_errors\": %d, \"timeouts\": %d, " ..
    "\"p50_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"threads\": %d}\n",
    summary.requests, summary.duration, total_made, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, #threads))
end
