"""Body -> items -> jobs -> batches -> ImportLog: the import's logic, with the store and locks passed in."""
