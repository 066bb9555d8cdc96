# Reference intervals for villageaid.estimators.honest's conditional methods ("Conditional", "C-LF") under
# relative magnitudes (Delta^RM) and smoothness (Delta^SD), computed with R HonestDiD's own sources.
#
# R HonestDiD cannot be installed from Debian (CVXR, TruncatedNormal and lpSolveAPI are not packaged), and the
# conditional methods do not use CVXR, so this script sources the package's R/ files directly:
#   HonestDiD   github.com/asheshrambachan/HonestDiD at 6813f02 (R/*.R except HonestDiD-Temp.R)
#   lpSolveAPI  5.5.2.0-17.15, built from github.com/cran/lpSolveAPI (R CMD INSTALL)
#   Rglpk, purrr, tibble, foreach, matrixStats, mvtnorm, pracma, Matrix, jsonlite: Debian bookworm packages
#   TruncatedNormal: the stand-in package TruncatedNormalShim/ beside this script (norminvp only, from base R's
#     pnorm/qnorm on the log scale; R CMD INSTALL TruncatedNormalShim), because the real package's dependencies
#     are not packaged either. norminvp only sets critical values; agreement with the published README
#     intervals (see the test) shows the substitution does not matter at the printed precision.
# Inputs: honestdid_vignette.json (BC, LW event studies shipped with HonestDiD) and conditional_inputs.json
# (Medicaid README example and villageaid's H4 event study; written by make_inputs.py).
# Run: Rscript conditional.R /path/to/HonestDiD/R   -> conditional_reference.json   (about 10 minutes)
suppressMessages({
  library(Rglpk); library(lpSolveAPI); library(purrr); library(tibble); library(foreach); library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
for (f in list.files(args[1], pattern = "\\.R$", full.names = TRUE)) {
  if (basename(f) != "HonestDiD-Temp.R") source(f)
}
vignette <- fromJSON("honestdid_vignette.json")
inputs <- fromJSON("conditional_inputs.json")
BC <- vignette$BC; LW <- vignette$LW; MED <- inputs$medicaid; VA <- inputs$villageaid_h4
e <- function(i, n) { v <- rep(0, n); v[i] <- 1; v }

run <- function(name, data, delta, method, l_vec, grid = NULL, npre = data$numPrePeriods,
                npost = data$numPostPeriods, gridPoints = 1000, grid.lb = NA, grid.ub = NA) {
  t0 <- Sys.time()
  if (delta == "RM") {
    args <- list(betahat = data$betahat, sigma = data$sigma, numPrePeriods = npre, numPostPeriods = npost,
                 l_vec = l_vec, method = method, gridPoints = gridPoints, grid.lb = grid.lb, grid.ub = grid.ub)
    if (!is.null(grid)) args$Mbarvec <- grid
    r <- suppressWarnings(do.call(createSensitivityResults_relativeMagnitudes, args))
    m <- r$Mbar
  } else {
    args <- list(betahat = data$betahat, sigma = data$sigma, numPrePeriods = npre, numPostPeriods = npost,
                 l_vec = l_vec, method = method)
    if (!is.null(grid)) args$Mvec <- grid
    r <- suppressWarnings(do.call(createSensitivityResults, args))
    m <- r$M
  }
  cat(name, format(Sys.time() - t0), "\n")
  list(name = name, delta = delta, method = method, l_vec = l_vec, num_pre = npre, num_post = npost,
       grid_points = gridPoints, grid_lb = grid.lb, grid_ub = grid.ub, M = m, lb = r$lb, ub = r$ub)
}

cases <- list(
  run("medicaid_rm_clf", MED, "RM", "C-LF", e(1, 2), seq(0.5, 2, by = 0.5)),
  run("medicaid_rm_conditional", MED, "RM", "Conditional", e(1, 2), seq(0.5, 2, by = 0.5)),
  run("medicaid_rm_average", MED, "RM", "C-LF", c(0.5, 0.5), seq(0, 2, by = 0.5)),
  run("medicaid_sd_conditional", MED, "SD", "Conditional", e(1, 2), seq(0, 0.05, by = 0.01)),
  run("medicaid_sd_clf", MED, "SD", "C-LF", e(1, 2), seq(0, 0.05, by = 0.01)),
  run("bc_rm_default", BC, "RM", "C-LF", e(1, 4)),
  run("bc_rm_third_conditional", BC, "RM", "Conditional", e(3, 4), seq(0, 2, by = 0.5), gridPoints = 100,
      grid.lb = -1, grid.ub = 1),
  run("bc_sd_conditional", BC, "SD", "Conditional", e(1, 4), seq(0, 0.3, by = 0.1)),
  run("bc_sd_clf_default_grid", BC, "SD", "C-LF", e(3, 4)),
  run("bc_one_post_sd_conditional", BC, "SD", "Conditional", 1, seq(0, 0.3, by = 0.1), npre = 7, npost = 1),
  run("bc_one_post_sd_clf", BC, "SD", "C-LF", 1, seq(0, 0.3, by = 0.1), npre = 7, npost = 1),
  run("bc_one_post_rm_conditional", BC, "RM", "Conditional", 1, seq(0, 2, by = 0.5), npre = 7, npost = 1),
  run("bc_one_post_rm_clf", BC, "RM", "C-LF", 1, seq(0, 2, by = 0.5), npre = 7, npost = 1),
  run("lw_sd_conditional", LW, "SD", "Conditional", e(17, LW$numPostPeriods), c(0, 0.02)),
  run("villageaid_h4_rm_clf", VA, "RM", "C-LF", e(1, VA$numPostPeriods)),
  run("villageaid_h4_sd_clf", VA, "SD", "C-LF", e(1, VA$numPostPeriods))
)
write(toJSON(list(source = "conditional.R with R HonestDiD sources at 6813f02", cases = cases), digits = NA,
             auto_unbox = TRUE, pretty = TRUE), "conditional_reference.json")
