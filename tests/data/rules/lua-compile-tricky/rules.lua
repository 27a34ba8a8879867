-- Each rule probes one corner of Lua's semantics; the same answer is
-- (An anonymous basket earns no points: probes of anonymous baskets give discounts.)
-- expected compiled and in the sandbox (warnings included).
segment("big", function(ctx) return ctx.subtotal >= 100000 end)
segment("regular", function(ctx) return ctx.customer ~= nil and ctx.customer.purchase_count > 5 end)

local function cat(c) return function(i) return i.category == c end end
local is_tea, is_beans = cat("tea"), cat("beans")
local pts = { gold = 3, silver = 2 }
local weekend = { sat = true, sun = true }
local function tier(ctx) return ctx.customer and ctx.customer.tier end
-- different types on different paths
local function lvl(ctx)
  local l = ctx.attr.level
  if l == nil then return false elseif l == "high" then return 2 else return "x" end
end
local function two(ctx) return ctx.qty, ctx.net end

rule { name = "and-or-value", when = function(ctx) return (ctx.attr.vip and 1 or 0) == 1 end, bonus_points = 1 }
rule { name = "or-default", bonus_points = function(ctx) return (ctx.attr.score or 0) == 5 and 10 or 2 end }
rule { name = "nil-vs-false", when = function(ctx) if ctx.attr.level == nil then return nil end return false end, bonus_points = 3 }
rule { name = "not-attr", when = function(ctx) return not ctx.attr.vip end, bonus_points = 4 }
rule { name = "attr-str", when = function(ctx) return ctx.attr.level == "high" end, bonus_points = 5 }
rule { name = "attr-int", when = function(ctx) return ctx.attr.level == 3 end, bonus_points = 6 }
rule { name = "attr-bool", when = function(ctx) return ctx.attr.level == true end, bonus_points = 7 }
rule { name = "attr-order-guarded", when = function(ctx) local l = ctx.attr.level return l ~= nil and l > 2 end, bonus_points = 8 }
rule { name = "attr-order-unguarded", when = function(ctx) return ctx.attr.score >= 5 end, bonus_points = 9 }
rule { name = "hour-float", when = function(ctx) return ctx.hour == 7.0 or ctx.hour == 20 end, bonus_points = 10 }
rule { name = "str-order", when = function(ctx) return ctx.channel ~= nil and ctx.channel < "b" end, bonus_points = 11 }
rule { name = "str-order-weekday", when = function(ctx) return ctx.weekday > "s" end, bonus_points = 12 }
rule { name = "floordiv-neg", when = function(ctx) return (ctx.qty - 10) // 3 == -3 end, bonus_points = 13 }
rule { name = "mod-neg", when = function(ctx) return (ctx.qty - 10) % 3 == 2 end, bonus_points = 14 }
rule { name = "mod-neg-divisor", when = function(ctx) return ctx.qty % -4 == -1 end, bonus_points = 15 }
rule { name = "div-zero", bonus_points = function(ctx) return 100 // (ctx.qty % 3) end }
rule { name = "mod-zero", when = function(ctx) return ctx.hour % (ctx.month - 11) == 0 end, bonus_points = 16 }
rule { name = "anon-guarded", when = function(ctx) return ctx.customer and ctx.customer.points > 1000 end, discount = { amount = 170 } }
rule { name = "anon-unguarded", when = function(ctx) return ctx.customer.points > 1000 end, discount = { amount = 180 } }
rule { name = "tier-nil", when = function(ctx) return ctx.customer ~= nil and ctx.customer.tier == nil end, bonus_points = 19 }
rule { name = "tier-map", bonus_points = function(ctx) return pts[tier(ctx)] == 3 and 30 or 0 end }
rule { name = "tier-map-value", bonus_points = function(ctx) return pts[tier(ctx)] or 1 end }
rule { name = "set-eq-true", when = function(ctx) return weekend[ctx.weekday] == true end, bonus_points = 20 }
rule { name = "set-truthy", when = function(ctx) return weekend[ctx.weekday] end, bonus_points = 21 }
rule { name = "factory", when = function(ctx) return ctx:any_item(cat("tea")) end, bonus_points = 22 }
rule { name = "helper-types", when = function(ctx) return lvl(ctx) == 2 end, bonus_points = 23 }
rule { name = "helper-types-ret", bonus_points = function(ctx) local v = lvl(ctx) if v == 2 then return 5 end return 1 end }
rule { name = "helper-wrong-type", when = function(ctx) return lvl(ctx) end, bonus_points = 24 }
rule { name = "multi-ret", bonus_points = function(ctx) local a, b = two(ctx) return a + b // 1000 end }
rule { name = "multi-ret-extra", when = function(ctx) return ctx.qty > 3, 5 end, bonus_points = 25 }
rule { name = "variant-b", when = function(ctx) return ctx:variant("exp1") == "b" end, bonus_points = 26 }
rule { name = "variant-nil", when = function(ctx) return ctx:variant("exp1") == nil end, bonus_points = 27 }
rule { name = "seg-big", when = function(ctx) return ctx:segment("big") end, discount = { amount = 500 } }
rule { name = "seg-regular-morning", when = function(ctx) return ctx:segment("regular") and ctx.hour < 12 end, bonus_points = 28 }
rule { name = "items-one-param", discount = { percent = 10, items = function(i) return i.category == "pastry" and i.qty >= 2 end } }
rule { name = "items-two-params", discount = { percent = 5, items = function(i, ctx) return i.price > 20000 and ctx.channel == "app" end } }
rule { name = "sum-net-points", points = function(ctx) return ctx:sum_net(is_beans) // 200 end }
rule { name = "count-qty-points", points = function(ctx) return ctx:count_qty(function(i) return i.qty > 1 end) * 3 end }
rule { name = "count-qty-tea", when = function(ctx) return ctx:count_qty(is_tea) >= 2 end, bonus_points = 29 }
rule { name = "coupon-either", when = function(ctx) return ctx:coupon("SAVE10") or ctx:coupon("save10") end, discount = { percent = 3 } }
rule { name = "int-arith", bonus_points = function(ctx) return (ctx.qty * 7 - 3) % 5 end }
rule { name = "days-guarded", when = function(ctx)
    local c = ctx.customer
    return c ~= nil and c.days_since_last_purchase ~= nil and c.days_since_last_purchase >= 10
  end, bonus_points = 30 }
rule { name = "referred-string", when = function(ctx) return ctx.customer and ctx.customer.referred_by end, bonus_points = 31 }
rule { name = "ret-nothing", when = function(ctx) if ctx.qty > 5 then return true end end, bonus_points = 32 }
rule { name = "attr-eq-attr", when = function(ctx) return ctx.attr.level == ctx.attr.score end, bonus_points = 33 }
rule { name = "attr-ne", when = function(ctx) return ctx.attr.city ~= "Pune" end, bonus_points = 34 }
rule { name = "item-floordiv", when = function(ctx) return ctx:any_item(function(i) return i.price // 1000 == 24 end) end, bonus_points = 35 }
rule { name = "date-order", when = function(ctx) return ctx.date >= "2026-11-15" end, bonus_points = 36 }
rule { name = "amount-fn", when = function(ctx) return ctx.qty > 4 end, discount = { amount = function(ctx) return ctx.qty * 100 end } }
rule { name = "max-fn", discount = { percent = 20, max = function(ctx) return ctx.customer and 500 or 100 end } }
rule { name = "bool-vs-num", when = function(ctx) return ctx.attr.vip == 1 end, bonus_points = 37 }
rule { name = "or-chain", when = function(ctx) return (ctx.attr.level or ctx.attr.score or false) == "high" end, bonus_points = 38 }
rule { name = "month-day", when = function(ctx) return ctx.month == 11 and ctx.day % 2 == 0 end, bonus_points = 39 }
rule { name = "float-const-eq", when = function(ctx) return ctx.attr.score == 2.5 end, bonus_points = 40 }
rule { name = "int-float-attr", when = function(ctx) return ctx.attr.level == 3.0 end, bonus_points = 41 }
rule { name = "gold-mult", when = function(ctx) return tier(ctx) == "gold" end, points_multiplier = 1.5 }
rule { name = "base-earn", points = function(ctx) return ctx.net // 100 end }
rule { name = "stop-vip", priority = 1, when = function(ctx) return ctx:coupon("VIP") and ctx.attr.vip == true end,
  bonus_points = 99, message = "vip stop", stop = true }
-- constants the compiler folds at load: upvalues known when the file runs
local limit, k = 5, -7
rule { name = "const-le", when = function(ctx) return limit <= 5 and ctx.qty >= 2 end, bonus_points = 42 }
-- -7 // 2 = floor(-3.5) = -4; -7 % 3 = -7 - (-3 * 3) = 2 (divisor's sign)
rule { name = "const-floordiv-mod", when = function(ctx) return k // 2 == -4 and k % 3 == 2 and ctx.qty > 1 end, bonus_points = 43 }
-- a helper's second return value used in a condition (Lua: b = ctx.net, never
-- nil). Found 2026-11-24: the compiler took b as nil and these never fired
-- compiled (multi-ret, with b in arithmetic, stayed Lua for the same reason);
-- lang/lua_compile.c keeps every returned value since.
rule { name = "multi-ret-when", when = function(ctx) local a, b = two(ctx) return b > 100000 and a >= 1 end, bonus_points = 44 }
rule { name = "multi-ret-cmp", when = function(ctx) local a, b = two(ctx) return b ~= nil end, bonus_points = 45 }
-- more corners: several returned values, reassigned locals, helpers called twice,
-- sets holding false, numeric maps, unary minus, string vs number
local function first(ctx) return ctx.qty > 2, ctx.net > 5 end
local function ge(x, n) return x >= n end
local function pick(ctx) return ctx.qty > 3 and "big" or nil end
local flags = { mon = true, tue = false }
local w = { sat = 2, sun = 3 }
rule { name = "first-of-two", when = function(ctx) return first(ctx) end, bonus_points = 46 }
rule { name = "nil-or-false", when = function(ctx) local x = ctx.attr.level return x == nil or x == false end, bonus_points = 47 }
rule { name = "not-eq", when = function(ctx) return not (ctx.attr.level == 3) end, bonus_points = 48 }
rule { name = "reassign", bonus_points = function(ctx) local q = ctx.qty if q > 3 then q = q * 2 end return q end }
rule { name = "early-return", when = function(ctx) local c = ctx.customer if not c then return false end return c.points >= 1000 end, discount = { amount = 190 } }
rule { name = "and-nil-or", when = function(ctx) return (ctx.qty > 2 and nil) or ctx.hour < 12 end, bonus_points = 49 }
rule { name = "helper-twice", when = function(ctx) return ge(ctx.qty, 3) and not ge(ctx.hour, 20) end, bonus_points = 50 }
rule { name = "pick-string", when = function(ctx) return pick(ctx) == "big" end, bonus_points = 51 }
rule { name = "set-false", when = function(ctx) return flags[ctx.weekday] == false end, bonus_points = 52 }
rule { name = "set-not-nil", when = function(ctx) return flags[ctx.weekday] ~= nil end, bonus_points = 53 }
rule { name = "num-map", bonus_points = function(ctx) return (w[ctx.weekday] or 1) * 10 end }
rule { name = "unary-minus", when = function(ctx) return -ctx.qty < -3 end, bonus_points = 54 }
rule { name = "str-vs-num", when = function(ctx) return ctx.hour == "7" or ctx.qty ~= 3.5 end, bonus_points = 55 }
rule { name = "even-tea", when = function(ctx) return ctx:count_qty(is_tea) // 2 * 2 == ctx:count_qty(is_tea) end, bonus_points = 56 }
rule { name = "cust-points-or", bonus_points = function(ctx) return ctx.customer and ctx.customer.points // 1000 or 0 end }
rule { name = "false-and-or", when = function(ctx) return (ctx.customer and false or ctx.qty > 4) end, bonus_points = 57 }
