"""Provider-neutral machinery: transport, auth, retry, pagination, errors, records."""
