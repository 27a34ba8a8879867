--lua
rule {
  name = "x",
  pointz = 1,
}
