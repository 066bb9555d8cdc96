# Reference values for villageaid's small-sample corrections (the ssc object), computed with R fixest.
#
#   R_LIBS=/tmp/rlib Rscript tests/reference/ssc/reference.R     (from the repository root)
#
# R_LIBS names the library where fixest (with dreamerr and stringmagic) is installed; see README.md.
# Reads tests/reference/estimators/panel_data.csv. Writes, at full precision (%.17g), in tests/reference/ssc/:
#   reference.csv   dataset, model, vcov, ssc, term, estimate, std_error, df_t, nobs
#   statistics.csv  dataset, model, vcov, ssc, statistic, value, p_value, df1, df2
#   reference_session.txt  sessionInfo()
source("tests/reference/fixest_common.R")  # fixest, vcov/ssc labels, collectors, degenerate-case checks
here <- "tests/reference/ssc"

# Coefficients, standard errors, df of the t tests, the joint Wald test and dof.K under one vcov/ssc.
record <- function(dataset, model, m, vcov_name, ssc_name) {
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
}

run_model <- function(dataset, model, m, vcovs, has_fe) {
  for (vn in vcovs) for (sn in names(ssc_all)) {
    if (ssc_applies(sn, vn, has_fe)) record(dataset, model, m, vn, sn)
  }
}

panel <- read.csv("tests/reference/estimators/panel_data.csv")
vcovs_fe <- c("iid", "hetero", "CRV1:unit", "CRV1:grp", "CRV1:unit+period", "CRV1:grp+period")
vcovs_nofe <- c("iid", "hetero", "CRV1:unit", "CRV1:grp", "CRV1:grp+period")

m_twoway <- feols(y ~ x1 + x2 + d | unit + period, data = panel)
run_model("panel", "ols_twoway", m_twoway, vcovs_fe, TRUE)
run_model("panel", "ols_oneway", feols(y ~ x1 + x2 + d | unit, data = panel), vcovs_fe, TRUE)
run_model("panel", "ols_nofe", feols(y ~ x1 + x2 + d, data = panel), vcovs_nofe, FALSE)
run_model("panel", "ols_weighted", feols(y ~ x1 + x2 | unit + period, data = panel, weights = ~w), vcovs_fe, TRUE)
# Likelihood models converged tightly (fixest's defaults stop at a relative deviance change of 1e-8, which leaves
# about 1e-6 in the standard errors): glm.tol and fixef.tol as small as the solver takes.
tight <- list(glm.tol = 1e-12, fixef.tol = 1e-11)
run_model("panel", "ppml_twoway", fepois(count ~ x1 + x2 + d | unit + period, data = panel,
                                         glm.tol = tight$glm.tol, fixef.tol = tight$fixef.tol), vcovs_fe, TRUE)
run_model("panel", "ppml_nofe", fepois(count ~ x1 + x2 + d, data = panel, glm.tol = tight$glm.tol), vcovs_nofe, FALSE)
run_model("panel", "logit", feglm(b ~ x1 + x2 + d, data = panel, family = binomial, glm.tol = tight$glm.tol),
          vcovs_nofe, FALSE)

# wald() (R/fitstats.R): joint test of x1 and x2 under the clustered vcov; its df2 is nobs - nparams, not the
# nobs - dof.K of fitstat "wald".
w <- wald(summary(m_twoway, vcov = ~unit), keep = "^x1$|^x2$", print = FALSE)
add_stat("panel", "ols_twoway", "CRV1:unit", "default", "wald_x1_x2", w$stat, w$p, w$df1, w$df2)

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
