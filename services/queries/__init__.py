"""The read side: plain SQL over sqlite3 or psycopg, one module per thing read."""
