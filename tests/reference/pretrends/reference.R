# Reference values for villageaid.estimators.pretrends (Roth 2022 pre-trend power), computed in R.
#
# Input: HeAndWangResults.rda from the R package pretrends (github.com/jonathandroth/pretrends, commit
# 122731d082a5990e274f57fd9af0968e44977e7a, MIT licence): the event-study coefficients, covariance and relative
# times of He and Wang (2017), Figure 2C, as used in the package's README.
# The power of the pre-test (reject when any pre-period |t| > 1.96) is 1 - P(box) under N(delta_pre, Sigma_pre),
# computed with mvtnorm::pmvnorm at high precision (pretrends' own formula, rejectionProbability_NIS); the slope
# with a given power by uniroot, as pretrends::slope_for_power does, with a tight tolerance.
# Run (R 4.2.2, Debian r-cran-mvtnorm 1.1-3, r-cran-jsonlite):  Rscript reference.R HeAndWangResults.rda
library(mvtnorm)
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
load(args[1])
beta <- as.numeric(HeAndWangResults$beta)
sigma <- unname(as.matrix(HeAndWangResults$sigma))
tVec <- as.numeric(HeAndWangResults$tVec)
reference <- -1
pre <- which(tVec < reference)
sigmaPre <- sigma[pre, pre]
set.seed(20240601)
power <- function(deltaPre) {
  ub <- sqrt(diag(sigmaPre)) * 1.96
  1 - pmvnorm(mean = deltaPre, sigma = sigmaPre, lower = -ub, upper = ub,
              algorithm = GenzBretz(maxpts = 5e6, abseps = 1e-9, releps = 0))[1]
}
slopeFor <- function(target) {
  uniroot(function(s) power((tVec[pre] - reference) * s) - target, lower = 0,
          upper = 8 * max(sqrt(diag(sigmaPre))), tol = 1e-12)$root
}
slope50 <- slopeFor(0.5)
slope80 <- slopeFor(0.8)
linear <- slope50 * (tVec - reference)
quadratic <- 0.024 * (tVec - reference)^2
out <- list(
  source = "pretrends HeAndWangResults.rda, commit 122731d082a5990e274f57fd9af0968e44977e7a",
  beta = beta, sigma = sigma, tVec = tVec, referencePeriod = reference,
  slope50 = slope50, slope80 = slope80,
  power_linear50 = power(linear[pre]), power_quadratic = power(quadratic[pre]), power_zero = power(0 * linear[pre]),
  likelihood_ratio_linear50 = dmvnorm(beta[pre], linear[pre], sigmaPre) / dmvnorm(beta[pre], 0 * linear[pre], sigmaPre),
  likelihood_ratio_quadratic = dmvnorm(beta[pre], quadratic[pre], sigmaPre) / dmvnorm(beta[pre], 0 * quadratic[pre], sigmaPre),
  # Published in the pretrends README (R, tmvtnorm's truncated moments; pmvnorm at its default precision).
  readme = list(slope50 = 0.05205871,
                linear = list(power = 0.4999776, bayes_factor = 0.56901, likelihood_ratio = 0.1057627,
                              mean_after_pretesting = c(-0.09230764, -0.05555285, -0.02790950, 0.06490184,
                                                        0.12084694, 0.16946498, 0.22453827)),
                quadratic = list(power = 0.6624282, bayes_factor = 0.3841516, likelihood_ratio = 0.4332635))
)
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "he_wang.json")
