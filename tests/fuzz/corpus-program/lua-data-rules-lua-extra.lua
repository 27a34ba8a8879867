--lua
rule { name = "x", points = 1 }
