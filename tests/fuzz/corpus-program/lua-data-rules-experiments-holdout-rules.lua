--lua
-- Lua rules take the same key: a service message every member gets.
rule { name = 'receipt-note', message = 'Thank you', holdout = 'exempt' }
rule { name = 'big-basket-bonus', when = function(ctx) return ctx.subtotal >= 100000 end,
	bonus_points = 25 }
