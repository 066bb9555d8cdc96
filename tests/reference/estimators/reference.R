# Reference estimates for villageaid's estimators, computed with base R, sandwich and plm.
#
#   Rscript tests/reference/estimators/reference.R   (from the repository root)
#
# Writes reference.csv: model, vcov, term, estimate, std_error at full precision.
# Fixed effects enter lm()/glm() as factor dummies. The small-sample conventions of R fixest are applied
# by hand from their documented definitions (fixest ssc(): adj = (n-1)/(n-K), fixef.K = "nested",
# cluster.adj = G/(G-1), cluster.df = "min"):
#   iid:    vcov(lm)                               (RSS/(n-K), K = lm's rank)
#   hetero: vcovHC(type = "HC1")                   (n/(n-K))
#   CRV1:   vcovCL(type = "HC0", cadjust = TRUE) * (n-1)/(n-K'), K' counting a fixed effect nested in the
#           clusters as one parameter instead of its number of levels
#   two-way CRV1: vcovCL(~a+b, type = "HC0", cadjust = FALSE) * Gmin/(Gmin-1) * (n-1)/(n-K')
# Versions used: see the sessionInfo() lines at the end of reference_session.txt.
suppressPackageStartupMessages({library(sandwich); library(plm)})
here <- "tests/reference/estimators"
d <- read.csv(file.path(here, "panel_data.csv"))
d$unit_f <- factor(d$unit); d$period_f <- factor(d$period)
out <- list()
add <- function(model, vcov_name, est, V, terms) {
  out[[length(out) + 1]] <<- data.frame(model = model, vcov = vcov_name, term = terms,
                                        estimate = unname(est[terms]), std_error = sqrt(unname(diag(V)[terms])))
}
n <- nrow(d); Nu <- nlevels(d$unit_f); Tp <- nlevels(d$period_f)

slopes <- c("x1", "x2", "d")
# --- OLS, one-way fixed effects (unit) ---
f1 <- lm(y ~ x1 + x2 + d + unit_f, data = d); k <- 3
add("ols_oneway", "iid", coef(f1), vcov(f1), slopes)
add("ols_oneway", "hetero", coef(f1), vcovHC(f1, type = "HC1"), slopes)
Kn <- k + 1  # unit effects nested in unit and in grp clusters
add("ols_oneway", "CRV1:unit", coef(f1), vcovCL(f1, cluster = ~unit, type = "HC0", cadjust = TRUE) * (n - 1) / (n - Kn), slopes)
add("ols_oneway", "CRV1:grp", coef(f1), vcovCL(f1, cluster = ~grp, type = "HC0", cadjust = TRUE) * (n - 1) / (n - Kn), slopes)

# --- OLS, two-way fixed effects (unit + period) ---
f2 <- lm(y ~ x1 + x2 + d + unit_f + period_f, data = d)
add("ols_twoway", "iid", coef(f2), vcov(f2), slopes)
add("ols_twoway", "hetero", coef(f2), vcovHC(f2, type = "HC1"), slopes)
Kn <- k + Tp  # unit nested (counts 1), period not: k + (Nu + Tp - 1) - Nu + 1
add("ols_twoway", "CRV1:unit", coef(f2), vcovCL(f2, cluster = ~unit, type = "HC0", cadjust = TRUE) * (n - 1) / (n - Kn), slopes)
add("ols_twoway", "CRV1:grp", coef(f2), vcovCL(f2, cluster = ~grp, type = "HC0", cadjust = TRUE) * (n - 1) / (n - Kn), slopes)
Kn <- k + 1  # both nested: k + (Nu + Tp - 1) - Nu - Tp + 2
G <- min(Nu, Tp)
V2 <- vcovCL(f2, cluster = ~unit + period, type = "HC0", cadjust = FALSE, multi0 = FALSE) * G / (G - 1) * (n - 1) / (n - Kn)
add("ols_twoway", "CRV1:unit+period", coef(f2), V2, slopes)

# --- OLS with an interaction, two-way fixed effects ---
f3 <- lm(y ~ x1 + x2 + x1:x2 + unit_f + period_f, data = d)
Kn <- 3 + Tp
add("ols_interaction", "CRV1:unit", coef(f3), vcovCL(f3, cluster = ~unit, type = "HC0", cadjust = TRUE) * (n - 1) / (n - Kn), c("x1", "x2", "x1:x2"))

# --- OLS without fixed effects ---
f4 <- lm(y ~ x1 + x2 + d, data = d)
terms4 <- c("(Intercept)", slopes)
add("ols_nofe", "iid", coef(f4), vcov(f4), terms4)
add("ols_nofe", "hetero", coef(f4), vcovHC(f4, type = "HC1"), terms4)
add("ols_nofe", "CRV1:grp", coef(f4), vcovCL(f4, cluster = ~grp, type = "HC0", cadjust = TRUE) * (n - 1) / (n - 4), terms4)

# --- Weighted OLS, two-way fixed effects ---
f5 <- lm(y ~ x1 + x2 + unit_f + period_f, data = d, weights = w)
add("ols_weighted", "iid", coef(f5), vcov(f5), c("x1", "x2"))
Kn <- 2 + Tp
add("ols_weighted", "CRV1:unit", coef(f5), vcovCL(f5, cluster = ~unit, type = "HC0", cadjust = TRUE) * (n - 1) / (n - Kn), c("x1", "x2"))

# --- PPML (Poisson pseudo-ML), two-way fixed effects ---
# As fixest and ppmlhdfe do, observations in a fixed-effect group whose outcome is always 0 are dropped
# first (their effect would be minus infinity); repeated until none is left.
dp <- d
repeat {
  zero_unit <- tapply(dp$count, dp$unit, sum) == 0
  zero_period <- tapply(dp$count, dp$period, sum) == 0
  drop <- dp$unit %in% names(zero_unit)[zero_unit] | dp$period %in% names(zero_period)[zero_period]
  if (!any(drop)) break
  dp <- dp[!drop, ]
}
dp$unit_f <- factor(dp$unit); dp$period_f <- factor(dp$period)
np_ <- nrow(dp)
g1 <- glm(count ~ x1 + x2 + d + unit_f + period_f, data = dp, family = poisson(), control = glm.control(epsilon = 1e-14, maxit = 100))
Kfull <- 3 + nlevels(dp$unit_f) + nlevels(dp$period_f) - 1
add("ppml_twoway", "hetero", coef(g1), vcovHC(g1, type = "HC0") * np_ / (np_ - Kfull), slopes)
Kn <- 3 + nlevels(dp$period_f)
add("ppml_twoway", "CRV1:unit", coef(g1), vcovCL(g1, cluster = ~unit, type = "HC0", cadjust = TRUE) * (np_ - 1) / (np_ - Kn), slopes)
cat("ppml observations:", np_, "dropped:", n - np_, "\n")
# PPML with the separating dummy: fixest/ppmlhdfe drop the separated observations, then the dummy (now
# constant) as collinear; the reference is the fit on the remaining observations without it.
ds <- dp[dp$sep == 0, ]; ds$unit_f <- factor(ds$unit); ds$period_f <- factor(ds$period)
g2 <- glm(count ~ x1 + x2 + d + unit_f + period_f, data = ds, family = poisson(), control = glm.control(epsilon = 1e-14, maxit = 100))
ns <- nrow(ds); Kn <- 3 + nlevels(ds$period_f)
add("ppml_separated", "CRV1:unit", coef(g2), vcovCL(g2, cluster = ~unit, type = "HC0", cadjust = TRUE) * (ns - 1) / (ns - Kn), slopes)

# --- Logit with cluster-robust errors and average marginal effects ---
l1 <- glm(b ~ x1 + x2 + d, data = d, family = binomial(), control = glm.control(epsilon = 1e-14, maxit = 100))
Vl <- vcovCL(l1, cluster = ~grp, type = "HC1")  # G/(G-1) (n-1)/(n-k)
add("logit", "CRV1:grp", coef(l1), Vl, terms4)
X <- model.matrix(l1); b <- coef(l1); p <- plogis(drop(X %*% b)); phi <- p * (1 - p)
ame <- mean(phi) * b
J <- matrix(0, length(b), length(b))
for (j in seq_along(b)) for (l in seq_along(b)) J[j, l] <- mean(phi * (1 - 2 * p) * X[, l]) * b[j] + (j == l) * mean(phi)
Vame <- J %*% Vl %*% t(J); names(ame) <- names(b); dimnames(Vame) <- list(names(b), names(b))
add("logit_ame", "CRV1:grp", ame, Vame, slopes)

# --- Random effects (Swamy-Arora) and first differences, with plm ---
pd_ <- pdata.frame(d, index = c("unit", "period"))
re <- plm(y ~ x1 + x2 + d, data = pd_, model = "random", random.method = "swar")
add("random_effects", "iid", coef(re), vcov(re), terms4)
fd <- plm(y ~ x1 + x2 + d, data = pd_, model = "fd")
add("first_difference", "iid", coef(fd), vcov(fd), c("(Intercept)", slopes))
cat("fd observations:", nobs(fd), "\n")
# --- Variances added for the one inference core (issue 9) ---
# PPML iid: the inverse information, as vcov(glm) (dispersion one).
add("ppml_twoway", "iid", coef(g1), vcov(g1), slopes)
# PPML two-way CRV1: both fixed effects nested in one of the clusterings (K' = k + 1).
G <- min(nlevels(dp$unit_f), nlevels(dp$period_f)); Kn <- 3 + 1
Vp2 <- vcovCL(g1, cluster = ~unit + period, type = "HC0", cadjust = FALSE, multi0 = FALSE) * G / (G - 1) * (np_ - 1) / (np_ - Kn)
add("ppml_twoway", "CRV1:unit+period", coef(g1), Vp2, slopes)
# Logit iid (vcov(glm)) and HC1 (n/(n-k) sandwich).
add("logit", "iid", coef(l1), vcov(l1), terms4)
add("logit", "hetero", coef(l1), vcovHC(l1, type = "HC1"), terms4)
# Random effects and first differences with plm's robust variances: white1 HC1 and arellano "sss"
# (Stata's G/(G-1) (n-1)/(n-k)).
add("random_effects", "hetero", coef(re), vcovHC(re, method = "white1", type = "HC1"), terms4)
add("random_effects", "CRV1:unit", coef(re), vcovHC(re, method = "arellano", cluster = "group", type = "sss"), terms4)
# plm 2.6's vcovHC(fd, method = "white1", type = "HC1") is smaller than its own HC0 (its small-sample factor
# for FD models does not use the differenced sample), so the HC1 reference is sandwich's on the FD regression.
Xfd <- model.matrix(fd); yfd <- pmodel.response(fd)
fd_lm <- lm(yfd ~ Xfd - 1)
V_fd <- vcovHC(fd_lm, type = "HC1"); dimnames(V_fd) <- list(colnames(Xfd), colnames(Xfd))
add("first_difference", "hetero", setNames(coef(fd_lm), colnames(Xfd)), V_fd, c("(Intercept)", slopes))
add("first_difference", "CRV1:unit", coef(fd), vcovHC(fd, method = "arellano", cluster = "group", type = "sss"),
    c("(Intercept)", slopes))

# --- Exact leave-one-cluster-out jackknife (CRV3) by refitting with lm()/glm() without each cluster ---
# (G-1)/G * sum_g (b_-g - b)(b_-g - b)', centred at the full-sample estimate; every fixed effect (dummies)
# re-estimated in each refit. grp clusters nest the unit effects but not the period effects.
jackknife <- function(fit_fun, data, cluster, terms) {
  full <- coef(fit_fun(data))[terms]
  groups <- sort(unique(data[[cluster]]))
  shifts <- t(sapply(groups, function(g) {
    rest <- droplevels(data[data[[cluster]] != g, ])
    coef(fit_fun(rest))[terms] - full
  }))
  G <- length(groups)
  list(estimate = full, V = (G - 1) / G * crossprod(shifts))
}
ols_fun <- function(data) lm(y ~ x1 + x2 + d + unit_f + period_f, data = data)
for (cl in c("grp", "unit")) {
  jk <- jackknife(ols_fun, d, cl, slopes)
  add("ols_twoway", paste0("CRV3:", cl), jk$estimate, jk$V, slopes)
}
jk <- jackknife(function(data) lm(y ~ x1 + x2 + d + period_f, data = data), d, "grp", slopes)
add("ols_period_fe", "CRV3:grp", jk$estimate, jk$V, slopes)
jk <- jackknife(function(data) lm(y ~ x1 + x2 + unit_f + period_f, data = data, weights = w), d, "grp", c("x1", "x2"))
add("ols_weighted", "CRV3:grp", jk$estimate, jk$V, c("x1", "x2"))
# PPML: every leave-one-out sample keeps only units with a positive count (all-zero units are dropped by
# the full fit already, and leaving out whole grp clusters creates no new all-zero group here).
ppml_fun <- function(data) glm(count ~ x1 + x2 + d + unit_f + period_f, data = data, family = poisson(),
                               control = glm.control(epsilon = 1e-14, maxit = 100))
jk <- jackknife(ppml_fun, dp, "grp", slopes)
add("ppml_twoway", "CRV3:grp", jk$estimate, jk$V, slopes)
jk <- jackknife(function(data) glm(count ~ x1 + x2 + d + period_f, data = data, family = poisson(),
                                   control = glm.control(epsilon = 1e-14, maxit = 100)), dp, "grp", slopes)
add("ppml_period_fe", "CRV3:grp", jk$estimate, jk$V, slopes)

res <- do.call(rbind, out)
res$estimate <- sprintf("%.17g", res$estimate); res$std_error <- sprintf("%.17g", res$std_error)
write.csv(res, file.path(here, "reference.csv"), row.names = FALSE, quote = FALSE)
writeLines(capture.output(sessionInfo()), file.path(here, "reference_session.txt"))
