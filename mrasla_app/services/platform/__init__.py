"""Platform plumbing shared by the product's services: outgoing webhooks (and, after the layout
change of issue 13, the audit chain, jobs, notifications, backup and the master key)."""
