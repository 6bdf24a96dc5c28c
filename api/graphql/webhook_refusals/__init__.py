"""Webhook items the channels trusted but could not read, for admins and auditors."""
