# Quantile p of N(0, 1) truncated to [l, u] (vectorised over p, l, u), accurate in both tails.
norminvp <- function(p, l, u) {
  n <- max(length(p), length(l), length(u))
  p <- rep_len(p, n); l <- rep_len(l, n); u <- rep_len(u, n)
  out <- numeric(n)
  for (i in seq_len(n)) {
    if (l[i] >= 0) {  # upper tail: work with survival functions
      ls <- pnorm(l[i], lower.tail = FALSE, log.p = TRUE)
      us <- pnorm(u[i], lower.tail = FALSE, log.p = TRUE)
      target <- ls + log1p(-p[i] * (-expm1(us - ls)))
      out[i] <- qnorm(target, lower.tail = FALSE, log.p = TRUE)
    } else if (u[i] <= 0) {  # lower tail
      lf <- pnorm(l[i], log.p = TRUE)
      uf <- pnorm(u[i], log.p = TRUE)
      target <- uf + log1p(-(1 - p[i]) * (-expm1(lf - uf)))
      out[i] <- qnorm(target, log.p = TRUE)
    } else {
      out[i] <- qnorm(pnorm(l[i]) + p[i] * (pnorm(u[i]) - pnorm(l[i])))
    }
  }
  out
}
