--lua
rule {
  name = "loyal-latte",
  priority = 5,
  when = function(ctx)
    return ctx.customer.purchase_count >= 10 and ctx:any_item(function(i) return i.sku == "LATTE" end)
  end,
  discount = { percent = 20, items = function(i) return i.sku == "LATTE" end },
  points = function(ctx) return ctx.net // 50 end,
}
segment("weekend_regular", function(ctx) return ctx.customer.purchase_count > 5 and (ctx.weekday == "sat" or ctx.weekday == "sun") end)
