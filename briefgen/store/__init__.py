"""What a build keeps between runs: the on-disk cache, its codec and the build lock."""
