-- 月次締め: closed accounting months with their summary at closing.
CREATE TABLE month_closes (
    month     TEXT PRIMARY KEY,
    closed_at INTEGER NOT NULL,
    closed_by TEXT NOT NULL,
    summary   TEXT NOT NULL
);
