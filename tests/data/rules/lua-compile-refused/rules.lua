-- Functions the compiler must refuse: loops, library calls, `..`, `#`,
-- pcall, table constructors, float arithmetic, writes, ctx.items/coupons.
local seen = { n = 0 }
local last = 0
rule { name = "loop", when = function(ctx) local n = 0 for i = 1, 3 do n = n + i end return n == 6 and ctx.qty > 2 end, bonus_points = 1 }
rule { name = "while-loop", bonus_points = function(ctx) local q, k = ctx.qty, 0 while q > 1 do q = q // 2 k = k + 1 end return k end }
rule { name = "string-format", when = function(ctx) return string.format("%d", ctx.qty) == "3" end, bonus_points = 2 }
rule { name = "concat", when = function(ctx) return (ctx.weekday .. "x") == "monx" end, bonus_points = 3 }
rule { name = "length-items", when = function(ctx) return #ctx.items > 2 end, bonus_points = 4 }
rule { name = "pcall", when = function(ctx) local ok, v = pcall(function() return ctx.customer.points end) return ok and v > 100 end, bonus_points = 5 }
rule { name = "table-ctor", when = function(ctx) local t = { ctx.qty } return t[1] > 3 end, bonus_points = 6 }
rule { name = "float-arith", points = function(ctx) return ctx.net * 0.01 end }
rule { name = "float-div", points = function(ctx) return ctx.net / 300 end }
rule { name = "math-floor", points = function(ctx) return math.floor(ctx.net // 100) end }
rule { name = "write-table", when = function(ctx) seen.n = seen.n + 1 return ctx.qty > 2 end, bonus_points = 7 }
rule { name = "write-upvalue", when = function(ctx) last = ctx.qty return last > 2 end, bonus_points = 8 }
rule { name = "write-global", when = function(ctx) gcount = 1 return ctx.qty > 4 end, bonus_points = 9 }
rule { name = "coupons-array", when = function(ctx) return ctx.coupons[1] == "SAVE10" end, discount = { percent = 10 } }
rule { name = "string-method", discount = { percent = 5, items = function(i) return i.sku:sub(1, 1) == "L" end } }
rule { name = "items-loop", when = function(ctx)
    for _, it in ipairs(ctx.items) do if it.category == "tea" then return true end end
    return false
  end, bonus_points = 10 }
rule { name = "string-len", when = function(ctx) return #ctx.weekday == 3 end, bonus_points = 11 }
rule { name = "tostring", when = function(ctx) return tostring(ctx.hour) == "9" end, bonus_points = 12 }
