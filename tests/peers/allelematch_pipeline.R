# Drive allelematch's amUnique clustering steps with base R and the dynamicTreeCut package, to
# compare partitions with bigcats when allelematch itself is not installed (it is not in Debian).
# Written for bigcats from allelematch's documented procedure (Galpern et al. 2012; package
# 3.x): dissimilarity 1 - (matching allele columns + 1/2 per missing allele column on either
# side) / columns; complete-linkage hclust; dynamicTreeCut::cutreeHybrid with
# minClusterSize = 1 at cutHeight = 1 - (1 - m / columns) (computed as allelematch does, so a
# merge at exactly m is inside the cut); the first member of each cluster represents it; the
# representatives and singletons are clustered again until only singletons remain. Each sample
# is then assigned to its most similar representative (amPairwise-style) for the partition.
#
# Usage: Rscript allelematch_pipeline.R GENOTYPES.csv M OUT.csv
# GENOTYPES.csv: allelematch example layout (sampleId, knownIndividual, LOC..a, LOC..b; -99 missing).
# Prints "unique N multiple_match K"; OUT.csv: sampleId, representative.
suppressMessages(library(dynamicTreeCut))
args <- commandArgs(trailingOnly = TRUE)
m <- as.numeric(args[2])
df <- read.csv(args[1])
g <- as.matrix(df[, grep("^LOC", names(df))])
g[g == -99] <- NA

dissim <- function(x) {
  n <- nrow(x)
  same <- matrix(0, n, n)
  for (j in seq_len(ncol(x))) {
    eq <- outer(x[, j], x[, j], "==")
    eq[is.na(eq)] <- FALSE
    same <- same + eq
  }
  half <- rowSums(is.na(x)) * 0.5
  1 - (same + outer(half, half, "+")) / ncol(x)
}

cut_height <- 1 - (1 - m / ncol(g))
current <- seq_len(nrow(g))
repeat {
  d <- dissim(g[current, , drop = FALSE])
  tree <- hclust(as.dist(d), method = "complete")
  labels <- cutreeHybrid(tree, d, cutHeight = cut_height, minClusterSize = 1, verbose = 0)$labels + 1
  kept <- c()
  n_clusters <- 0
  for (i in seq_len(length(unique(labels)))) {  # as many labels as distinct ones, as allelematch loops
    members <- which(labels == i)
    if (i == 1) {
      kept <- c(kept, current[members])
    } else {
      n_clusters <- n_clusters + 1
      kept <- c(kept, current[members[1]])
    }
  }
  current <- sort(kept)
  if (n_clusters == 0) break
}
full <- dissim(g)[, current, drop = FALSE]
best <- apply(full, 1, which.min)
n_match <- rowSums(full <= cut_height)
cat("unique", length(current), "multiple_match", sum(n_match > 1), "\n")
write.csv(data.frame(sampleId = df$sampleId, representative = df$sampleId[current[best]]),
          args[3], row.names = FALSE)
