"""The simulated company: schema, committed data, template and episode copies, policy."""
