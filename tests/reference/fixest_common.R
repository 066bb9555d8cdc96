# Shared by tests/reference/iv/reference.R and tests/reference/ssc/reference.R: loading fixest, the vcov and
# small-sample specifications by label, the collectors of rows and the checks of degenerate cases.
lib <- Sys.getenv("R_LIBS")
if (nzchar(lib)) .libPaths(c(strsplit(lib, .Platform$path.sep)[[1]], .libPaths()))
suppressPackageStartupMessages(library(fixest))
setFixest_nthreads(1)
setFixest_notes(FALSE)


# ---- vcov and ssc specifications ------------------------------------------------------------------------------
vcov_spec <- function(name) {
  if (name %in% c("iid", "hetero")) return(name)
  stopifnot(startsWith(name, "CRV1:"))
  as.formula(paste0("~", sub("^CRV1:", "", name)))
}
is_cluster <- function(name) startsWith(name, "CRV1:")
is_twoway <- function(name) is_cluster(name) && grepl("+", name, fixed = TRUE)

ssc_all <- list(
  "default" = ssc(),
  "adj=FALSE" = ssc(adj = FALSE),
  "fixef.K=full" = ssc(fixef.K = "full"),
  "fixef.K=none" = ssc(fixef.K = "none"),
  "cluster.adj=FALSE" = ssc(cluster.adj = FALSE),
  "cluster.df=conventional" = ssc(cluster.df = "conventional"),
  "t.df=conventional" = ssc(t.df = "conventional")
)
# The variants that change something (or may) for a vcov: fixef.K only with fixed effects; cluster.adj also
# scales the heteroskedasticity-robust vcov (n/(n-1)); cluster.df only for multi-way clustering; t.df only when
# clustered.
ssc_applies <- function(ssc_name, vcov_name, has_fe) {
  switch(ssc_name,
         "default" = TRUE, "adj=FALSE" = TRUE,
         "fixef.K=full" = has_fe, "fixef.K=none" = has_fe,
         "cluster.adj=FALSE" = vcov_name != "iid",
         "cluster.df=conventional" = is_twoway(vcov_name),
         "t.df=conventional" = is_cluster(vcov_name))
}

# ---- collectors -----------------------------------------------------------------------------------------------
ref_rows <- list()
stat_rows <- list()
add_ref <- function(dataset, model, vcov_name, ssc_name, terms, estimate, std_error, df_t, nobs) {
  ref_rows[[length(ref_rows) + 1]] <<- data.frame(
    dataset = dataset, model = model, vcov = vcov_name, ssc = ssc_name, term = terms,
    estimate = unname(estimate), std_error = unname(std_error), df_t = df_t, nobs = nobs)
}
add_stat <- function(dataset, model, vcov_name, ssc_name, statistic, value, p_value = NA, df1 = NA, df2 = NA) {
  stat_rows[[length(stat_rows) + 1]] <<- data.frame(
    dataset = dataset, model = model, vcov = vcov_name, ssc = ssc_name, statistic = statistic,
    value = value, p_value = p_value, df1 = df1, df2 = df2)
}

# Wald statistics are fixest's own (.wald in R/fitstats.R): b' V^-1 b / q with V^-1 from fixest's pivoting
# Cholesky, which drops a coefficient whose pivot is not positive. When a (multi-way clustered) vcov is not
# positive definite, the statistic is then computed on the remaining coefficients (divided by their number)
# while df1 stays the full count. Such cases are listed on stdout (and in README.md): there the plain
# solve(V, b) value differs.
not_pd <- character(0)
# fixest replaces a vcov whose diagonal has a negative entry by its eigenvalue-clipped version (Cameron, Gelbach
# & Miller 2011; mat_posdef_fix in R/miscfuns.R) and says so in a message. Those cases are listed on stdout too.
vcov_fixed <- character(0)
noting_fix <- function(label, expr) {
  withCallingHandlers(expr, message = function(msg) {
    if (grepl("was 'fixed'", conditionMessage(msg), fixed = TRUE)) {
      vcov_fixed <<- unique(c(vcov_fixed, label))
      invokeRestart("muffleMessage")
    }
  })
}
check_pd <- function(label, b, V, stat) {
  naive <- drop(t(b) %*% solve(V, b)) / length(b)
  if (!isTRUE(all.equal(naive, stat, tolerance = 1e-10))) {
    not_pd <<- c(not_pd, sprintf("%s: fixest %.10g, solve() %.10g, eigenvalues %s", label, stat, naive,
                                 paste(sprintf("%.4g", eigen(V, symmetric = TRUE)$values), collapse = " ")))
  }
}

