# Reference estimates for villageaid.analysis.performance (H6, 强者愈强), computed with base R and sandwich.
#
#   Rscript tests/reference/performance/reference.R   (from the repository root)
#
# Reads panel.csv (made by make_data.py) and builds everything from it here, independently of the package:
# the lagged growth of log collective income, the stacked β-convergence rows, σ by year and the means by type.
# Writes reference.csv (model, term, estimate, std_error, nobs; numbers at full precision, %.17g) and
# reference_session.txt (sessionInfo()).
#
# Fixed effects enter lm()/glm() as factor dummies. CRV1 by village follows fixest's default small-sample
# correction (ssc(): adj = (n-1)/(n-K), fixef.K = "nested", cluster.adj = G/(G-1)), applied by hand as in
# tests/reference/estimators/reference.R:
#   vcovCL(type = "HC0", cadjust = TRUE) * (n-1)/(n-K'), K' counting a fixed effect nested in the clusters
#   (here the village effects) as one parameter instead of its number of levels.
suppressPackageStartupMessages(library(sandwich))
here <- "tests/reference/performance"
d <- read.csv(file.path(here, "panel.csv"), stringsAsFactors = FALSE)
out <- list()
add <- function(model, terms, estimate, std_error, nobs) {
  out[[length(out) + 1]] <<- data.frame(model = model, term = terms, estimate = unname(estimate),
                                        std_error = unname(std_error), nobs = nobs)
}
crv1_village <- function(fit, data, K) {
  n <- nrow(data)
  vcovCL(fit, cluster = data$village_id, type = "HC0", cadjust = TRUE) * (n - 1) / (n - K)
}
# The slopes by period: b[base] (campaign) and b[base] + b[interaction] (transition), with w' V w.
add_slopes <- function(model, b, V, base, interaction, nobs) {
  w <- c(1, 1)
  idx <- c(base, interaction)
  add(model, c(base, paste(base, "+", interaction)),
      c(b[base], sum(b[idx])), c(sqrt(V[base, base]), sqrt(drop(t(w) %*% V[idx, idx] %*% w))), nobs)
}

d$log_ci <- ifelse(!is.na(d$collective_income) & d$collective_income > 0, log(d$collective_income), NA)
key <- paste(d$village_id, d$year)

# ---- funding on last year's growth (campaign and transition years) ------------------------------------------
# lag_growth = log CI(t-1) - log CI(t-2) of the same village (calendar years; NA when either is missing).
d$lag_growth <- d$log_ci[match(paste(d$village_id, d$year - 1), key)] -
  d$log_ci[match(paste(d$village_id, d$year - 2), key)]
e <- d[d$period %in% c("campaign", "transition") & !is.na(d$lag_growth) & !is.na(d$funding_total), ]
e$post <- as.numeric(e$period == "transition")
e$post_lag <- e$post * e$lag_growth
e$county_year <- paste(e$county, e$year, sep = "_")
e$village_f <- factor(e$village_id); e$cy_f <- factor(e$county_year)

# asinh(funding) by OLS; K' = 2 slopes + county-year levels (village effects nested in the clusters: one).
f_ols <- lm(asinh(funding_total) ~ lag_growth + post_lag + village_f + cy_f, data = e)
V <- crv1_village(f_ols, e, 2 + nlevels(e$cy_f))
b <- coef(f_ols); b <- b[!is.na(b)]; names(b)[names(b) == "post_lag"] <- "post:lag_growth"
dimnames(V) <- list(names(b), names(b))
add("asinh_ols", c("lag_growth", "post:lag_growth"), b[c("lag_growth", "post:lag_growth")],
    sqrt(diag(V))[c("lag_growth", "post:lag_growth")], nrow(e))
add_slopes("asinh_ols_slopes", b, V, "lag_growth", "post:lag_growth", nrow(e))

# PPML: observations whose village or county-year has only zero funding are dropped first, as fixest does,
# repeated until none is left.
p <- e
repeat {
  zero_village <- tapply(p$funding_total, p$village_id, sum) == 0
  zero_cy <- tapply(p$funding_total, p$county_year, sum) == 0
  drop <- p$village_id %in% names(zero_village)[zero_village] | p$county_year %in% names(zero_cy)[zero_cy]
  if (!any(drop)) break
  p <- p[!drop, ]
}
p$village_f <- factor(p$village_id); p$cy_f <- factor(p$county_year)
# The village and county-year dummies are collinear (both sum to the county indicators). glm.fit detects
# collinearity with tolerance min(1e-7, epsilon/1000), which at epsilon = 1e-14 misses it and does not
# converge; so the aliased dummies are removed first (qr() at its default tolerance) and the full-rank
# design is fitted.
X <- model.matrix(~ lag_growth + post_lag + village_f + cy_f, data = p)
X_qr <- qr(X)
X <- X[, sort(X_qr$pivot[seq_len(X_qr$rank)])]
stopifnot(all(c("lag_growth", "post_lag") %in% colnames(X)))
# (funding is not a count: the Poisson log-likelihood's "non-integer x" warnings are muffled; PPML needs none.)
f_ppml <- withCallingHandlers(
  glm(p$funding_total ~ 0 + X, family = poisson(), control = glm.control(epsilon = 1e-14, maxit = 100)),
  warning = function(w) if (grepl("non-integer", conditionMessage(w))) invokeRestart("muffleWarning"))
stopifnot(f_ppml$converged)
V <- crv1_village(f_ppml, p, 2 + nlevels(p$cy_f))
b <- coef(f_ppml); names(b) <- sub("^X", "", names(b)); names(b)[names(b) == "post_lag"] <- "post:lag_growth"
dimnames(V) <- list(names(b), names(b))
add("ppml", c("lag_growth", "post:lag_growth"), b[c("lag_growth", "post:lag_growth")],
    sqrt(diag(V))[c("lag_growth", "post:lag_growth")], nrow(p))
add_slopes("ppml_slopes", b, V, "lag_growth", "post:lag_growth", nrow(p))
cat("lagged growth rows:", nrow(e), " PPML rows:", nrow(p), "\n")

# ---- convergence ------------------------------------------------------------------------------------------
periods <- d[d$period %in% c("campaign", "transition"), ]
years <- sort(unique(periods$year))
villages <- sort(unique(periods$village_id))
M <- matrix(NA_real_, length(villages), length(years), dimnames = list(villages, as.character(years)))
M[cbind(match(periods$village_id, villages), match(periods$year, years))] <- periods$log_ci
campaign_years <- sort(unique(d$year[d$period == "campaign"]))
transition_years <- sort(unique(d$year[d$period == "transition"]))
first_c <- as.character(min(campaign_years)); last_c <- as.character(max(campaign_years))
last_t <- max(transition_years)
county <- d$county[match(villages, d$village_id)]
first_t_rows <- d[d$year == min(transition_years), ]
type_first_transition <- first_t_rows$village_type[match(villages, first_t_rows$village_id)]
sd0 <- function(x) { x <- x[!is.na(x)]; sqrt(mean((x - mean(x))^2)) }
sigma <- apply(M, 2, sd0)

for (reference in list(2019, 2016:2019, 2020)) {
  label <- paste0("ref", paste(range(reference), collapse = "_")); if (length(reference) == 1) label <- paste0("ref", reference)
  start <- rowMeans(M[, as.character(reference), drop = FALSE])  # NA unless every reference year has income
  rows <- rbind(
    data.frame(village_id = villages, county = county, transition = 0, log_initial = M[, first_c],
               growth = M[, last_c] - M[, first_c]),
    data.frame(village_id = villages, county = county, transition = 1, log_initial = start,
               growth = M[, as.character(last_t)] - start))
  rows$county_period <- paste(rows$county, rows$transition)
  rows$tr_initial <- rows$transition * rows$log_initial
  rows <- rows[!is.na(rows$growth) & !is.na(rows$log_initial), ]
  rows$cp_f <- factor(rows$county_period)
  f_beta <- lm(growth ~ log_initial + tr_initial + cp_f, data = rows)
  V <- crv1_village(f_beta, rows, f_beta$rank)  # county x period is not nested in villages: K' = lm's rank
  b <- coef(f_beta); b <- b[!is.na(b)]; names(b)[names(b) == "tr_initial"] <- "transition:log_initial"
  dimnames(V) <- list(names(b), names(b))
  terms <- c("log_initial", "transition:log_initial")
  add(paste0("beta_", label), terms, b[terms], sqrt(diag(V))[terms], nrow(rows))
  add_slopes(paste0("beta_slopes_", label), b, V, "log_initial", "transition:log_initial", nrow(rows))
  # sigma: change from the mean over the reference years to the last year.
  add(paste0("sigma_change_", label), "change", sigma[as.character(last_t)] - mean(sigma[as.character(reference)]),
      NA, nrow(M))
  # mean transition growth by the village's type in the first transition year (SE of the mean).
  tr <- rows[rows$transition == 1, ]
  tr$type <- type_first_transition[match(tr$village_id, villages)]
  for (type in sort(unique(tr$type))) {
    g <- tr$growth[tr$type == type]
    add(paste0("by_type_", label), type, mean(g), sd(g) / sqrt(length(g)), length(g))
  }
}
add("sigma", names(sigma), sigma, NA, colSums(!is.na(M)))

res <- do.call(rbind, out)
res$estimate <- sprintf("%.17g", res$estimate); res$std_error <- sprintf("%.17g", res$std_error)
write.csv(res, file.path(here, "reference.csv"), row.names = FALSE, quote = FALSE)
writeLines(capture.output(sessionInfo()), file.path(here, "reference_session.txt"))
