"""Customer analytics computed set-based: DuckDB over Arrow tables in, Arrow tables out."""
