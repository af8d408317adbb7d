"""Who is calling: API keys now, OAuth2 client credentials with the gateway issue."""
