"""The ops page (/ops) and the API it reads: health, lag, outbox backlog, dead letters, failed deliveries."""
