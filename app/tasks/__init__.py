"""RQ jobs, one module per part of the product: ids in, orchestration only, safe to run twice."""
