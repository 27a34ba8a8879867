--lua
-- coffee-club's 22 rules in Lua (doc/lua.md): each rule{} has the keys of
-- the YAML rule of the same name in examples/coffee-club/program.yaml, with
-- functions where YAML has expressions. Equal priorities run in file order.

local function category(name)
  return function(item) return item.category == name end
end
local is_coffee, is_pastry, is_beans = category("coffee"), category("pastry"), category("beans")
local is_tea, is_merch = category("tea"), category("merch")

local function tier(ctx)
  return ctx.customer and ctx.customer.tier
end

-- ---- phase 1: discounts, in this order ----

rule {
  name = "capsule-buy5-get1",
  discount = { buy = 5, get = 1, items = function(item) return item.sku == "CAPS-ESP10" end },
}

rule {
  name = "pastry-3-for-2",
  discount = { buy = 2, get = 1, items = is_pastry },
}

rule {
  name = "birthday-drink",
  when = function(ctx)
    return ctx.attr.birth_month == ctx.month and ctx:any_item(is_coffee)
  end,
  discount = { free = 1, items = is_coffee },
  limit = { per_customer = 1, window_days = 365 },
}

rule {
  name = "coffee-pastry-pairing",
  when = function(ctx) return ctx:any_item(is_coffee) end,
  discount = { percent = 10, items = is_pastry },
}

rule {
  name = "gold-member-price",
  when = function(ctx) return tier(ctx) == "gold" end,
  discount = { percent = 5 },
}

rule {
  name = "lapsed-winback",
  when = function(ctx)
    local days = ctx.customer and ctx.customer.days_since_last_purchase
    return days ~= nil and days > 90
  end,
  discount = { percent = 15 },
}

rule {
  name = "coupon-BEANS20",
  when = function(ctx) return ctx:coupon("BEANS20") and ctx:any_item(is_beans) end,
  discount = { percent = 20, items = is_beans },
}

rule {
  name = "coupon-SAVE10",
  when = function(ctx) return ctx:coupon("SAVE10") end,
  discount = { percent = 10 },
}

rule {
  name = "basket-1500-save-100",
  when = function(ctx) return ctx.net >= 150000 end,
  discount = { amount = 10000 },
}

rule {
  name = "merch-with-beans",
  when = function(ctx) return ctx:any_item(is_beans) and ctx:any_item(is_merch) end,
  discount = { percent = 25, items = is_merch },
}

-- ---- phase 2: points (evaluated on the final net) ----

rule {
  name = "base-earn",
  points = function(ctx) return ctx.net // 100 end,
}

rule {
  name = "beans-double-earn",
  when = function(ctx) return ctx:any_item(is_beans) end,
  points = function(ctx) return ctx:sum_net(is_beans) // 100 end,
}

rule {
  name = "tea-bonus",
  when = function(ctx) return ctx:any_item(is_tea) end,
  bonus_points = function(ctx) return 20 * ctx:count_qty(is_tea) end,
}

rule {
  name = "silver-multiplier",
  when = function(ctx) return tier(ctx) == "silver" end,
  points_multiplier = 1.25,
}

rule {
  name = "gold-multiplier",
  when = function(ctx) return tier(ctx) == "gold" end,
  points_multiplier = 1.5,
}

local weekdays = { mon = true, tue = true, wed = true, thu = true, fri = true }

rule {
  name = "weekday-store-double",
  when = function(ctx) return weekdays[ctx.weekday] == true and ctx.channel == "store" end,
  points_multiplier = 2,
}

rule {
  name = "coupon-2XPTS",
  when = function(ctx) return ctx:coupon("2XPTS") end,
  points_multiplier = 2,
}

rule {
  name = "first-purchase-bonus",
  when = function(ctx) return ctx.customer ~= nil and ctx.customer.purchase_count == 0 end,
  bonus_points = 250,
}

rule {
  name = "breakfast-bonus",
  when = function(ctx)
    return ctx.hour >= 7 and ctx.hour < 11 and ctx:any_item(is_coffee) and ctx:any_item(is_pastry)
  end,
  bonus_points = 40,
}

rule {
  name = "pune-store-launch",
  when = function(ctx) return ctx.attr.city == "Pune" and ctx.channel == "store" end,
  bonus_points = 75,
}

-- last in the file, so ctx.net here is the net after every discount
rule {
  name = "silver-upgrade-bonus",
  when = function(ctx)
    local c = ctx.customer
    if c == nil or c.tier ~= "bronze" then return false end
    local after = c.spend_12m + ctx.net
    return after >= 500000 and after < 1500000
  end,
  bonus_points = 500,
}

rule {
  name = "gold-upgrade-bonus",
  when = function(ctx)
    local c = ctx.customer
    return c ~= nil and c.tier ~= "gold" and c.spend_12m + ctx.net >= 1500000
  end,
  bonus_points = 1500,
}
