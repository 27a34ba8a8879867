rule { name = "x", points = 1 }
