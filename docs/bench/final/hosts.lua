local hosts = {
  "42mfmcte63.execute-api.localhost",
  "sy6ztc2mpc.execute-api.localhost",
  "tyzaa3xbmb.execute-api.localhost",
  "nfhsvnaobo.execute-api.localhost",
}
local reqs, i = {}, 0
function init(args)
  for k, host in ipairs(hosts) do
    local h = {}
    for name, v in pairs(wrk.headers) do h[name] = v end
    h["Host"] = host
    reqs[k] = wrk.format("GET", "/dev/items/1", h)
  end
end
function request() i = i % #reqs + 1; return reqs[i] end
