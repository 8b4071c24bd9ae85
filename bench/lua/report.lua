-- wrk script: counts non-2xx answers (wrk itself only counts >= 400) and prints one
-- machine-readable line with the figures the harness needs, p95 included.
--
-- Like a browser, each wrk thread keeps the cookies the server sets (the Cookie header
-- given with -H is where it starts). A signed-in page re-signs the session cookie when
-- its idle clock moves (every 15 s, banking.web.sessions); a client that kept sending
-- the sign-in's cookie would make every later request re-sign it, which no customer's
-- browser does. The request is rebuilt only when a cookie changes.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  cookie_updates = 0
  jar = {}  -- names in the order first seen, and name -> value
  for pair in (wrk.headers["Cookie"] or ""):gmatch("[^;]+") do
    local name, value = pair:match("^%s*([^=%s]+)=(.*)$")
    if name then
      keep(name, value)
    end
  end
  req = wrk.format()
end

function keep(name, value)
  if jar[name] == nil then
    table.insert(jar, name)
  end
  jar[name] = value
end

function cookie_header()
  local parts = {}
  for _, name in ipairs(jar) do
    if jar[name] ~= "" then
      table.insert(parts, name .. "=" .. jar[name])
    end
  end
  return table.concat(parts, "; ")
end

function request()
  return req
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then
    local name, value = set:match("^%s*([^=;%s]+)=([^;]*)")
    if name then
      local attributes = set:lower()
      if value == '""' or attributes:find("max-age=0", 1, true)
        or attributes:find("expires=thu, 01 jan 1970", 1, true) then
        value = ""  -- a deletion, as bench/web.py's parse_set_cookie reads it
      end
      if jar[name] ~= value then
        keep(name, value)
        wrk.headers["Cookie"] = cookie_header()
        req = wrk.format()
        cookie_updates = cookie_updates + 1
      end
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  local updates = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    updates = updates + (thread:get("cookie_updates") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
    "\"non2xx\": %d, \"connect_errors\": %d, \"read_errors\": %d, \"write_errors\": %d, " ..
    "\"status_errors\": %d, \"timeouts\": %d, \"p50_us\": %d, \"p75_us\": %d, " ..
    "\"p90_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"mean_us\": %.1f, " ..
    "\"cookie_updates\": %d}\n",
    summary.requests, summary.duration, summary.bytes, bad, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, updates))
end
