"""Getting a digest started and out: scaffold (init/new), search (Pagefind), deploy."""
