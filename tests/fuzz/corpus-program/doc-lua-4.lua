--lua
local function is_latte(item) return item.sku == "LATTE" end

rule {
  name = "loyal-latte",
  priority = 5,
  when = function(ctx)
    return ctx.customer ~= nil and ctx.customer.purchase_count >= 10
       and ctx:any_item(is_latte)
  end,
  discount = { percent = 20, items = is_latte },
  points = function(ctx) return ctx.net // 50 end,
}

segment("weekend_regular", function(ctx)
  return ctx.customer ~= nil and ctx.customer.purchase_count > 5
     and (ctx.weekday == "sat" or ctx.weekday == "sun")
end)
