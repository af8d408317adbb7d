-- GET of one path with the bench's credential (none for the bare endpoint), and the JSON report.
request = function()
  local key = os.getenv("BENCH_API_KEY")
  local headers = {}
  if key ~= nil and key ~= "" then
    headers["Authorization"] = "Bearer " .. key
  end
  return wrk.format("GET", os.getenv("BENCH_PATH"), headers)
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
