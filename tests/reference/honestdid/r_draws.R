# Normal draws from R's default generator (Mersenne-Twister, Inversion), to check villageaid.estimators.arp's
# r_normal_draws / r_mvnorm, which reproduce them so that simulated critical values match R HonestDiD's.
# Base R + mvtnorm (Debian r-cran-mvtnorm 1.1-3) + jsonlite. Run: Rscript r_draws.R  -> r_draws.json
library(mvtnorm); library(jsonlite)
sigma <- matrix(c(2, 0.5, 0.3, 0.5, 1, 0.2, 0.3, 0.2, 0.5), 3)
out <- list(rnorm = list(), rmvnorm = list(sigma = sigma))
for (seed in c(0, 1, 20240601)) {
  set.seed(seed); out$rnorm[[as.character(seed)]] <- rnorm(1001)
}
set.seed(0); out$rmvnorm$draws <- rmvnorm(n = 50, sigma = sigma)
out$versions <- list(R = R.version.string, mvtnorm = as.character(packageVersion("mvtnorm")))
write(toJSON(out, digits = NA, auto_unbox = TRUE), "r_draws.json")
