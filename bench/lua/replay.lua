-- Sends the requests of a file in order, one per line: method, path, bearer token and body,
-- separated by tabs (an empty body: none). wrk's threads take turns: with n threads, thread i
-- sends lines i, i + n, i + 2n, ... Usage: wrk -s replay.lua URL -- FILE THREADS
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  requests = {}
  local line_no = 0
  for line in io.lines(file) do
    if line_no % threads == id then
      local method, path, token, body = line:match("^(%S+)\t(%S+)\t(%S+)\t(.*)$")
      local headers = {["Authorization"] = "Bearer " .. token,
                       ["Content-Type"] = "application/json"}
      if body == "" then body = nil end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
    line_no = line_no + 1
  end
  sent = 0
end

function request()
  sent = sent + 1
  -- past the end the file starts again: its commands are then refused, and the run fails
  return requests[(sent - 1) % #requests + 1]
end
