# Reference values for villageaid.estimators.honest (Rambachan & Roth 2023), from R HonestDiD's published outputs.
#
# 1. LW (Lovenheim & Willen) and BC (Benzarti & Carloni) event studies shipped with R HonestDiD
#    (github.com/asheshrambachan/HonestDiD, data/LWdata_EventStudy.rda and data/BCdata_EventStudy.rda), and the
#    robust intervals its vignette published (data/VignetteResults.rda at commit fdadae3, computed by
#    vignettes/precompute.R with HonestDiD::createSensitivityResults): LW, Delta^SD(M) FLCI for 15 years of exposure,
#    M = 0, 0.005, ..., 0.04.
# 2. The Medicaid-expansion example of HonestDiD's README (ehec_data.csv from github.com/Mixtape-Sessions/Advanced-DID,
#    commit 39867d01ea6f3b32ebe96b23f0965815f184f799): its printed FLCI for M = 0, ..., 0.05 are in the test itself.
# Base R only (the .rda files are read with load()); run: Rscript reference.R VignetteResults.rda LWdata.rda BCdata.rda
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
load(args[1]); load(args[2]); load(args[3])
clean <- function(x) unname(as.matrix(x))
out <- list(
  source = "R HonestDiD: data/*.rda at HEAD 6813f02 and data/VignetteResults.rda at fdadae3",
  LW = list(betahat = unname(LWdata_EventStudy$betahat), sigma = clean(LWdata_EventStudy$sigma),
            timeVec = LWdata_EventStudy$timeVec, referencePeriod = LWdata_EventStudy$referencePeriod,
            numPrePeriods = length(LWdata_EventStudy$prePeriodIndices),
            numPostPeriods = length(LWdata_EventStudy$postPeriodIndices), l_index = 15 - (-2),
            DeltaSD_FLCI = as.data.frame(VignetteResults$LW_DeltaSD_RobustResults)),
  BC = list(betahat = unname(BCdata_EventStudy$betahat), sigma = clean(BCdata_EventStudy$sigma),
            timeVec = BCdata_EventStudy$timeVec, referencePeriod = BCdata_EventStudy$referencePeriod,
            numPrePeriods = length(BCdata_EventStudy$prePeriodIndices),
            numPostPeriods = length(BCdata_EventStudy$postPeriodIndices),
            original = as.data.frame(VignetteResults$BC_OriginalResults))
)
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "honestdid_vignette.json")
