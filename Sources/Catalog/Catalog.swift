import GRDB

/// Placeholder until the catalog lands in the next commit.
enum CatalogPlaceholder {}
