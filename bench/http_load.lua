-- wrk script of bench/http_load.py: checks the status of every response and prints one line,
-- "http_load {json}", with what wrk's own summary leaves out: p95, the responses whose status
-- was not the expected one (a 200 where a 302 was due is not an error to wrk), and the
-- requests sent, so the ones still in flight when wrk stopped are known.
-- Usage: wrk -s bench/http_load.lua <url> -- <expected status>

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  sent = 0
  unexpected = 0
  prepared = wrk.format()
end

function request()
  sent = sent + 1
  return prepared
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total_sent, total_unexpected = 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_unexpected = total_unexpected + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    'http_load {"requests": %d, "duration_us": %d, "sent": %d, "unexpected_status": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status_4xx_5xx": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, total_sent, total_unexpected,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max
  ))
end
