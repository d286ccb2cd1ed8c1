"""Articles and search: loading, passages, speakers, encoders, the on-disk index and hybrid search."""
