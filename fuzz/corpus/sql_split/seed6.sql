ATTACH DATABASE 'other.db' AS other;
