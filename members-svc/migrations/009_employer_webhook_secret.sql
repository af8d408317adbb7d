-- When the gateway last issued the structure an inbound webhook secret (the secret stays in the gateway).
ALTER TABLE employer_directory ADD COLUMN webhook_secret_issued_at timestamptz;
