"""Independent numeric references: nothing here reuses a derived formula."""
