# Reference values for villageaid's instrumental-variable estimator, computed with R fixest.
#
#   R_LIBS=/tmp/rlib Rscript tests/reference/iv/reference.R     (from the repository root)
#
# R_LIBS names the library where fixest (with dreamerr and stringmagic) is installed; see README.md.
# Writes, at full precision (%.17g), in tests/reference/iv/:
#   reference.csv   dataset, model, vcov, ssc, term, estimate, std_error, df_t, nobs
#   statistics.csv  dataset, model, vcov, ssc, statistic, value, p_value, df1, df2
#   reference_session.txt  sessionInfo()
source("tests/reference/fixest_common.R")  # fixest, vcov/ssc labels, collectors, degenerate-case checks
here <- "tests/reference/iv"
# First-stage Wald test of the excluded instruments, one per endogenous regressor. fixest's fitstat "ivwald1"
# summarises each first stage with the vcov and ssc of the summary it is given (R/fitstats.R), unless the
# model was estimated with a vcov/cluster argument: then the first stages keep that estimation-time vcov.
# The statistic is therefore computed here from the first stage summarised with the requested vcov and ssc;
# df1 and df2 are fixest's (df2 = nobs - dof.K of the first stage under its own default/estimation vcov).
# For a model estimated without a vcov argument, the result is checked against fitstat().
ivwald1_rows <- function(dataset, model, m, vcov_name, ssc_name) {
  v <- vcov_spec(vcov_name)
  sc <- ssc_all[[ssc_name]]
  label <- paste(dataset, model, vcov_name, ssc_name)
  s <- noting_fix(paste(label, "second stage"), summary(m, vcov = v, ssc = sc))
  fs_fixest <- noting_fix(paste(label, "first stage (fitstat)"), fitstat(s, "ivwald1"))
  inst <- m$iv_inst_names_xpd
  plain <- is.null(m$iv_first_stage[[1]]$cov.scaled)
  for (endo in names(m$iv_first_stage)) {
    sfs <- noting_fix(paste(label, "first stage", endo), summary(m$iv_first_stage[[endo]], vcov = v, ssc = sc))
    stat <- fixest:::.wald(sfs, inst)
    ref <- fs_fixest[[paste0("ivwald1::", endo)]]
    if (plain) stopifnot(isTRUE(all.equal(stat, ref$stat, tolerance = 1e-12)))
    check_pd(paste(dataset, model, vcov_name, ssc_name, paste0("ivwald1::", endo)),
             coef(sfs)[inst], sfs$cov.scaled[inst, inst, drop = FALSE], stat)
    p <- pf(stat, ref$df1, ref$df2, lower.tail = FALSE)
    add_stat(dataset, model, vcov_name, ssc_name, paste0("ivwald1::", endo), stat, p, ref$df1, ref$df2)
  }
}

# Coefficients, standard errors, df of the t tests, the joint Wald test and dof.K under one vcov/ssc.
record <- function(dataset, model, m, vcov_name, ssc_name, iv = FALSE) {
  label <- paste(dataset, model, vcov_name, ssc_name)
  s <- noting_fix(label, summary(m, vcov = vcov_spec(vcov_name), ssc = ssc_all[[ssc_name]]))
  V <- noting_fix(label, vcov(m, vcov = vcov_spec(vcov_name), ssc = ssc_all[[ssc_name]], attr = TRUE))
  df_t <- attr(V, "df.t")
  stopifnot(isTRUE(all.equal(df_t, degrees_freedom(s, "t"))))
  ct <- coeftable(s)
  stopifnot(isTRUE(all.equal(unname(ct[, 2]), unname(sqrt(diag(V))[rownames(ct)]))))
  add_ref(dataset, model, vcov_name, ssc_name, rownames(ct), ct[, 1], ct[, 2], df_t, nobs(m))
  w <- fitstat(s, "wald")$wald
  add_stat(dataset, model, vcov_name, ssc_name, "wald", w$stat, w$p, w$df1, w$df2)
  slopes <- setdiff(names(coef(s)), "(Intercept)")
  check_pd(paste(dataset, model, vcov_name, ssc_name, "wald"), coef(s)[slopes],
           s$cov.scaled[slopes, slopes, drop = FALSE], w$stat)
  add_stat(dataset, model, vcov_name, ssc_name, "K", attr(V, "dof.K"))
  if (iv) ivwald1_rows(dataset, model, m, vcov_name, ssc_name)
}

# The non-robust first-stage F (fitstat "ivf1"), once per IV model, recorded with vcov "iid".
record_ivf1 <- function(dataset, model, m) {
  f <- fitstat(m, "ivf1")
  for (nm in names(f)) {
    add_stat(dataset, model, "iid", "default", nm, f[[nm]]$stat, f[[nm]]$p, f[[nm]]$df1, f[[nm]]$df2)
  }
}

run_model <- function(dataset, model, m, vcovs, ssc_names, has_fe, iv) {
  for (vn in vcovs) for (sn in ssc_names) {
    if (ssc_applies(sn, vn, has_fe)) record(dataset, model, m, vn, sn, iv = iv)
  }
  if (iv) record_ivf1(dataset, model, m)
}

# Exact leave-one-cluster-out jackknife (CRV3): every refit re-estimates all fixed effects;
# V = (G-1)/G * sum_g (b_-g - b)(b_-g - b)', centred at the full-sample estimate; df_t = G - 1.
jackknife <- function(dataset, model, fml, data, cluster) {
  m <- feols(fml, data = data)
  b <- coef(m)
  groups <- sort(unique(data[[cluster]]))
  G <- length(groups)
  V <- matrix(0, length(b), length(b))
  for (g in groups) {
    bg <- coef(feols(fml, data = data[data[[cluster]] != g, , drop = FALSE]))[names(b)]
    V <- V + tcrossprod(bg - b)
  }
  V <- V * (G - 1) / G
  add_ref(dataset, model, paste0("CRV3:", cluster), "none", names(b), b, sqrt(diag(V)), G - 1, nobs(m))
}

# ---- A. the H10 models -----------------------------------------------------------------------------------------
h10 <- read.csv(file.path(here, "h10_data.csv"))
h10_vcovs <- c("CRV1:village_id", "iid", "hetero", "CRV1:township", "CRV1:village_id+year")
for (outcome in c("log_collective_income", "log_per_capita_income")) {
  f_iv <- as.formula(paste(outcome, "~ 1 | village_id + year | asinh_funding_total ~ city + strong"))
  f_het <- as.formula(paste(outcome, "~ 1 | village_id + year | asinh_funding_total + asinh_funding_x_endowment",
                            "~ city + strong + city_x_endowment + strong_x_endowment"))
  f_ols <- as.formula(paste(outcome, "~ asinh_funding_total | village_id + year"))
  run_model("h10", paste0("iv_", outcome), feols(f_iv, data = h10), h10_vcovs, "default", TRUE, TRUE)
  run_model("h10", paste0("het_", outcome), feols(f_het, data = h10), h10_vcovs, "default", TRUE, TRUE)
  run_model("h10", paste0("ols_", outcome), feols(f_ols, data = h10), h10_vcovs, "default", TRUE, FALSE)
}

# ---- B. the small IV design, every small-sample variant ---------------------------------------------------------
small <- read.csv(file.path(here, "iv_small.csv"))
small_vcovs <- c("iid", "hetero", "CRV1:unit", "CRV1:grp", "CRV1:unit+period", "CRV1:grp+period")
fml_fe2 <- y ~ w | unit + period | x ~ z1 + z2
fml_fe1 <- y ~ w | unit | x ~ z1 + z2
fml_nofe <- y ~ w | x ~ z1 + z2
run_model("small", "iv_fe2", feols(fml_fe2, data = small), small_vcovs, names(ssc_all), TRUE, TRUE)
run_model("small", "iv_fe1", feols(fml_fe1, data = small), small_vcovs, names(ssc_all), TRUE, TRUE)
run_model("small", "iv_nofe", feols(fml_nofe, data = small), small_vcovs, names(ssc_all), FALSE, TRUE)
jackknife("small", "iv_fe2", fml_fe2, small, "grp")
jackknife("small", "iv_nofe", fml_nofe, small, "grp")

# ---- C. the H6 Anderson-Hsiao design ---------------------------------------------------------------------------
# Estimated with cluster = ~unit as specified; the first stages then carry that clustered vcov, so fixest's own
# fitstat(summary(m, vcov = "iid"), "ivwald1") would still report the clustered first-stage Wald. ivwald1_rows
# recomputes it under each requested vcov (df1, df2 as fixest reports them for this model).
ah <- read.csv(file.path(here, "ah_design.csv"))
m_ah <- feols(dy ~ D_demo + D_demo_years | year | L_y + L_z ~ Z_y + Z_z, data = ah, cluster = ~unit)
stopifnot(is.null(m_ah$collin.var))  # neither D_demo nor D_demo_years is dropped
run_model("ah", "anderson_hsiao", m_ah, c("CRV1:unit", "iid", "hetero"), "default", TRUE, TRUE)

# ---- write ---------------------------------------------------------------------------------------------------
fmt <- function(x) {
  if (is.character(x)) return(x)
  ifelse(is.na(x), "NA", sprintf("%.17g", as.numeric(x)))
}
write_out <- function(rows, file) {
  df <- do.call(rbind, rows)
  df[] <- lapply(df, fmt)
  write.csv(df, file.path(here, file), row.names = FALSE, quote = FALSE)
}
write_out(ref_rows, "reference.csv")
write_out(stat_rows, "statistics.csv")
writeLines(capture.output(sessionInfo()), file.path(here, "reference_session.txt"))
if (length(vcov_fixed) > 0) {
  cat("Vcovs with a negative diagonal entry, replaced by fixest's eigenvalue-clipped version:\n")
  cat(paste0("  ", vcov_fixed), sep = "\n")
}
if (length(not_pd) > 0) {
  cat("Wald statistics where the vcov is not positive definite (fixest drops a pivot):\n")
  cat(paste0("  ", not_pd), sep = "\n")
}
