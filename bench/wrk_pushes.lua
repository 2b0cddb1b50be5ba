-- wrk script for bench/wrk.py: sends the signed requests of a file in turn and prints the figures as one JSON line.
-- The file holds raw HTTP requests, each after a line with its length in bytes. Thread i of n sends the requests
-- numbered i, i + n, i + 2n, ... so that across threads each request goes out once before any repeats (a push of
-- a "new burst" stays the first push of its owner). Arguments after `--`: the file, the number of threads.
local made = 0

function setup(thread)
  thread:set("index", made)
  made = made + 1
end

local mine, at = {}, 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local threads, position, number = tonumber(args[2]), 1, 0
  while position <= #data do
    local newline = string.find(data, "\n", position, true)
    local length = tonumber(string.sub(data, position, newline - 1))
    if number % threads == index then
      mine[#mine + 1] = string.sub(data, newline + 1, newline + length)
    end
    number = number + 1
    position = newline + length + 1
  end
end

function request()
  at = at % #mine + 1
  return mine[at]
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
